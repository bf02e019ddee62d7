"""The baseline: an interpolated Kneser–Ney n-gram model over numeral tokens.

Interpolated Kneser–Ney (Chen & Goodman 1998, eq. 17 with one discount per order,
``D = n1 / (n1 + 2 n2)`` where n1, n2 count the n-grams seen once and twice): the
highest order uses raw counts, every lower order the *continuation* counts (in how many
distinct contexts a token follows its shorter history), and the unigram level interpolates
with the uniform distribution, so every token of the vocabulary gets a non-zero
probability and each distribution sums to one. Histories are left-padded with ``<pad>``
so the first chord is predicted from ``(<pad>, style, mode)`` at order 4: the
conditioning tokens are ordinary context.

Fitting is one pass over the training tokens (well under a second), so the baseline is
refitted from the committed data rather than shipped as weights.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

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
        # For each history length k (0..order-1): history -> (next ids, counts, total, types).
        self._tables: list[dict[Context, tuple[np.ndarray, np.ndarray, float, int]]] = []
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
        self._tables = []
        self._discounts = []
        for k in range(n):
            grouped: dict[Context, dict[int, int]] = defaultdict(dict)
            for gram, c in counts[k].items():
                grouped[gram[:-1]][gram[-1]] = c
            of_count = Counter(counts[k].values())
            n1, n2 = of_count.get(1, 0), of_count.get(2, 0)
            # At least 0.05, so that lower orders (and every token) keep some mass on tiny data.
            discount = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
            self._discounts.append(max(discount, 0.05))
            table = {}
            for history, nexts in grouped.items():
                ids = np.fromiter(nexts.keys(), dtype=np.int64, count=len(nexts))
                cs = np.fromiter(nexts.values(), dtype=np.float64, count=len(nexts))
                table[history] = (ids, cs, float(cs.sum()), len(nexts))
            self._tables.append(table)
        return self

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """P(next token | history) over the whole vocabulary.

        Args:
            history: The tokens so far, oldest first, starting with the style token
                (only the last ``order - 1`` are used).

        Returns:
            Probabilities, shape ``(vocab_size,)``, summing to 1.
        """
        if not self._tables:
            raise AssistError("the n-gram model must be fitted before it predicts")
        n = self.order
        context = tuple([self.pad_id] * (n - 1) + list(history))[len(history) :]
        probs = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for k in range(n):  # unigram first, then ever longer histories
            hist = context[len(context) - k :] if k else ()
            entry = self._tables[k].get(hist)
            if entry is None:
                continue  # unseen history: keep the lower-order estimate
            ids, cs, total, types = entry
            d = self._discounts[k]
            lower = probs
            probs = lower * (d * types / total)
            probs[ids] += np.maximum(cs - d, 0.0) / total
        return probs

    def log_likelihood(self, sequence: Sequence[int]) -> list[float]:
        """Natural-log probability of each target of one sequence (all after style and mode)."""
        return [
            float(np.log(self.distribution(sequence[:i])[sequence[i]]))
            for i in range(PREFIX, len(sequence))
        ]
