"""The baseline: an interpolated Kneser–Ney n-gram model over numeral tokens.

Interpolated Kneser–Ney (Chen & Goodman 1998, eq. 17 with one discount per order,
``D = n1 / (n1 + 2 n2)`` where n1, n2 count the n-grams seen once and twice): the
highest order uses raw counts, every lower order the *continuation* counts (in how many
distinct contexts a token follows its shorter history), and the unigram level interpolates
with the uniform distribution, so every token of the vocabulary gets a non-zero
probability and each distribution sums to one. Histories are left-padded with ``<pad>``
so the first chord is predicted from ``(<pad>, style, mode)`` at order 4: the
conditioning tokens are ordinary context.

Fitting is one pass over the training tokens (well under a second for the chords; for the
order-12 melody baseline about half a minute, so that one is cached with :meth:`KneserNey.save`).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bandmate.assist.errors import AssistError

Context = tuple[int, ...]
PREFIX = 2
"""Conditioning tokens at the start of every sequence (style, mode): context, never targets."""


class KneserNey:
    """An interpolated Kneser–Ney language model over token ids ``0..vocab_size-1``.

    Args:
        vocab_size: Number of token ids.
        order: n of the n-gram (2 = bigram); histories are ``order - 1`` tokens.
        pad_id: The id used to left-pad histories.
    """

    def __init__(self, vocab_size: int, *, order: int = 3, pad_id: int = 0) -> None:
        if order < 1:
            raise AssistError(f"n-gram order={order} must be >= 1")
        self.vocab_size = vocab_size
        self.order = order
        self.pad_id = pad_id
        # For each history length k (0..order-1), flat arrays: ``histories`` (H, k), the
        # next ids and counts of row r at ``offsets[r]:offsets[r + 1]``, ``totals`` (H,),
        # and a hash of each history, sorted (``keys``) with its row (``rows``), so that a
        # saved model is looked up straight from its arrays, with no dictionary to build.
        self._arrays: list[dict[str, np.ndarray]] = []
        self._discounts: list[float] = []

    def fit(self, sequences: Sequence[Sequence[int]]) -> KneserNey:
        """Count the n-grams of ``sequences`` (each ``[style, mode, ..., eos]``).

        The style and mode tokens are context only; every later token is a target.
        """
        n = self.order
        counts: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(n)]
        for seq in sequences:
            padded = [self.pad_id] * (n - 1) + list(seq)
            for i in range(n - 1 + PREFIX, len(padded)):
                counts[n - 1][tuple(padded[i - n + 1 : i + 1])] += 1
        # Lower orders count distinct left extensions (continuation counts).
        for k in range(n - 1, 0, -1):
            for gram in counts[k]:
                counts[k - 1][gram[1:]] += 1
        self._arrays, self._discounts = [], []
        for k in range(n):
            grouped: dict[Context, dict[int, int]] = defaultdict(dict)
            for gram, c in counts[k].items():
                grouped[gram[:-1]][gram[-1]] = c
            of_count = Counter(counts[k].values())
            n1, n2 = of_count.get(1, 0), of_count.get(2, 0)
            # At least 0.05, so that lower orders (and every token) keep some mass on tiny data.
            discount = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
            self._discounts.append(max(discount, 0.05))
            histories = list(grouped)
            sizes = np.array([len(grouped[h]) for h in histories], dtype=np.int64)
            offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            size = int(offsets[-1])
            ids = np.fromiter((i for h in histories for i in grouped[h]), np.int64, size)
            cs = np.fromiter((c for h in histories for c in grouped[h].values()), np.float64, size)
            totals = np.add.reduceat(cs, offsets[:-1]) if histories else np.zeros(0)
            hist = np.array(histories, dtype=np.int64).reshape(len(histories), k)
            keys = _hash_rows(hist)
            rows = np.argsort(keys, kind="stable")
            self._arrays.append(
                {"histories": hist, "offsets": offsets, "ids": ids, "counts": cs,
                 "totals": totals, "keys": keys[rows], "rows": rows}
            )  # fmt: skip
        return self

    def save(self, path: Path) -> None:
        """Write the fitted tables to ``path`` (an uncompressed ``.npz``) for :meth:`load`."""
        if not self._arrays:
            raise AssistError("the n-gram model must be fitted before it is saved")
        arrays: dict[str, np.ndarray] = {
            "meta": np.array([self.vocab_size, self.order, self.pad_id], dtype=np.int64),
            "discounts": np.array(self._discounts, dtype=np.float64),
        }
        small = np.int16 if self.vocab_size < 2**15 else np.int32
        for k, table in enumerate(self._arrays):
            for name, values in table.items():
                # Ids and counts are whole numbers: 16 or 32 bits hold them.
                kind = {"histories": small, "ids": small, "counts": np.int32,
                        "offsets": np.int32, "rows": np.int32}.get(name, values.dtype)  # fmt: skip
                arrays[f"{name}{k}"] = values.astype(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part.npz")  # writers never collide
        np.savez(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> KneserNey:
        """A model saved by :meth:`save`.

        Raises:
            AssistError: The file is missing or not a saved n-gram model.
        """
        try:
            with np.load(path) as data:
                vocab_size, order, pad_id = (int(x) for x in data["meta"])
                model = cls(vocab_size, order=order, pad_id=pad_id)
                model._discounts = [float(d) for d in data["discounts"]]
                names = ("histories", "offsets", "ids", "counts", "totals", "keys", "rows")
                model._arrays = [{name: data[f"{name}{k}"] for name in names} for k in range(order)]
        except (OSError, KeyError, ValueError) as exc:
            raise AssistError(f"{path}: not a saved n-gram model ({exc})") from exc
        if len(model._discounts) != order:
            raise AssistError(f"{path}: {len(model._discounts)} discounts for order={order}")
        return model

    def _row(self, k: int, history: Context) -> int | None:
        """The row of ``history`` (``k`` tokens) in the order-``k`` tables, if it was seen."""
        table = self._arrays[k]
        keys = table["keys"]
        key = _hash(history)
        i = int(np.searchsorted(keys, np.uint64(key)))  # a Python int past 2**63 would be a float
        while i < len(keys) and int(keys[i]) == key:
            row = int(table["rows"][i])
            if tuple(table["histories"][row].tolist()) == history:
                return row
            i += 1  # a hash collision: try the next row with the same key
        return None

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """P(next token | history) over the whole vocabulary.

        Args:
            history: The tokens so far, oldest first, starting with the style token
                (only the last ``order - 1`` are used).

        Returns:
            Probabilities, shape ``(vocab_size,)``, summing to 1.
        """
        if not self._arrays:
            raise AssistError("the n-gram model must be fitted before it predicts")
        n = self.order
        context = tuple([self.pad_id] * (n - 1) + list(history))[len(history) :]
        probs = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for k in range(n):  # unigram first, then ever longer histories
            hist = context[len(context) - k :] if k else ()
            row = self._row(k, hist)
            if row is None:
                continue  # unseen history: keep the lower-order estimate
            table = self._arrays[k]
            lo, hi = int(table["offsets"][row]), int(table["offsets"][row + 1])
            ids, cs = table["ids"][lo:hi], table["counts"][lo:hi]
            total = float(table["totals"][row])
            d = self._discounts[k]
            lower = probs
            probs = lower * (d * (hi - lo) / total)
            probs[ids] += np.maximum(cs - d, 0.0) / total
        return probs

    def log_likelihood(self, sequence: Sequence[int]) -> list[float]:
        """Natural-log probability of each target of one sequence (all after style and mode)."""
        return [
            float(np.log(self.distribution(sequence[:i])[sequence[i]]))
            for i in range(PREFIX, len(sequence))
        ]


_MULTIPLIER = 0x9E3779B97F4A7C15  # odd: a multiplicative hash over 64 bits
_MASK = 2**64 - 1


def _hash(history: Context) -> int:
    """A 64-bit hash of a history (the same as :func:`_hash_rows` gives its row)."""
    key = len(history)
    for token in history:
        key = ((key * _MULTIPLIER) + token + 1) & _MASK
    return key


def _hash_rows(histories: np.ndarray) -> np.ndarray:
    """:func:`_hash` of each row of ``histories`` (shape ``(H, k)``), as ``uint64``."""
    h, k = histories.shape
    keys = np.full(h, k, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the point
        for j in range(k):
            keys = keys * np.uint64(_MULTIPLIER) + histories[:, j].astype(np.uint64) + np.uint64(1)
    return keys
