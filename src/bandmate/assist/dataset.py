"""The committed chord data: numeral sequences by piece, the split, and the vocabulary.

``corpus/chords.json.gz`` is written once by ``scripts/assist_data.py`` from music21's
corpus; ``corpus/manifest.json`` holds the split by piece. Each run of constant local key
becomes one sequence ``[style, mode, numeral, ..., <eos>]``: the style token names the
collection (``style:bach``), the mode token the key's mode (``mode:minor``). No torch here:
the n-gram baseline and the tests read the data without it.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from bandmate.assist.errors import AssistError

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
ANY_STYLE = "any"
STYLES: tuple[str, ...] = ("bach", "monteverdi")
"""The collections the chord models were trained on, usable as ``style=``."""
MODES: tuple[str, ...] = ("major", "minor")
MIN_COUNT = 2
"""A numeral must occur this often in the training split to get its own token."""


def style_token(style: str) -> str:
    """The conditioning token of a style (a collection name, or ``"any"``)."""
    return f"style:{style}"


def mode_token(mode: str) -> str:
    """The conditioning token of a mode (``"major"`` or ``"minor"``)."""
    return f"mode:{mode}"


@dataclass(frozen=True, slots=True)
class ChordSequence:
    """One run of chords in one local key.

    Attributes:
        piece: The piece's id in the corpus (``"bach/bwv269"``).
        style: The collection (``"bach"``, ``"monteverdi"``).
        key: The local key, e.g. ``"G major"``.
        numerals: Roman numerals in that key, repeats merged.
    """

    piece: str
    style: str
    key: str
    numerals: tuple[str, ...]

    @property
    def mode(self) -> str:
        return "minor" if self.key.endswith("minor") else "major"

    def tokens(self) -> list[str]:
        """``[style, mode, numerals..., <eos>]``."""
        return [style_token(self.style), mode_token(self.mode), *self.numerals, EOS]


def read_corpus(
    data_file: str, manifest_file: str, what: str, script: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A committed training corpus (gzipped JSON) and its manifest, from ``assist/corpus``.

    Raises:
        AssistError: a file is missing (the error names ``script``, which writes it).
    """
    base = resources.files("bandmate.assist") / "corpus"
    try:
        with (base / data_file).open("rb") as fh:
            data = json.loads(gzip.decompress(fh.read()))
        manifest = json.loads((base / manifest_file).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AssistError(f"{what} {exc.filename!r} is missing: run scripts/{script}") from exc
    return data, manifest


@cache
def _raw() -> tuple[dict[str, Any], dict[str, Any]]:
    return read_corpus("chords.json.gz", "manifest.json", "chord data", "assist_data.py")


def load_pieces() -> dict[str, dict[str, Any]]:
    """Every extracted piece by id, as the data script wrote it (see ``scripts/assist_data.py``)."""
    return {p["id"]: p for p in _raw()[0]["pieces"]}


def manifest() -> dict[str, Any]:
    """The committed manifest: seed, shares and the piece ids of each split."""
    return _raw()[1]


def load_sequences(split: Split, *, min_length: int = 2) -> list[ChordSequence]:
    """The chord sequences of one split, in manifest order.

    Args:
        split: ``"train"``, ``"validation"`` or ``"test"``.
        min_length: Drop runs with fewer numerals than this (a one-chord run
            between two modulations teaches nothing about progressions).
    """
    if split not in SPLITS:
        raise AssistError(f"split={split!r} must be one of {SPLITS}")
    man = manifest()
    pieces = load_pieces()
    sequences = []
    for piece_id in man["splits"][split]:
        piece = pieces[piece_id]
        for segment in piece["segments"]:
            numerals = tuple(chord[2] for chord in segment["chords"])
            if len(numerals) >= min_length:
                sequences.append(
                    ChordSequence(piece_id, piece["collection"], segment["key"], numerals)
                )
    return sequences


class Vocabulary:
    """Token <-> id. Ids 0..2 are ``<pad>``, ``<eos>``, ``<unk>``; then styles, modes, numerals.

    Args:
        tokens: Every token, in id order (saved with the weights).
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)
        self._index = {t: i for i, t in enumerate(self.tokens)}
        if len(self._index) != len(self.tokens) or self.tokens[:3] != (PAD, EOS, UNK):
            raise AssistError("vocabulary tokens must be unique and start with <pad>, <eos>, <unk>")

    @classmethod
    def build(cls, sequences: Iterable[ChordSequence], *, min_count: int = MIN_COUNT) -> Vocabulary:
        """The vocabulary of a training split: every numeral seen ``min_count`` times."""
        counts = Counter(n for s in sequences for n in s.numerals)
        numerals = sorted(n for n, c in counts.items() if c >= min_count)
        specials = [PAD, EOS, UNK]
        conditions = [style_token(s) for s in (*STYLES, ANY_STYLE)] + [mode_token(m) for m in MODES]
        return cls(tuple(specials + conditions + numerals))

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def id(self, token: str) -> int:
        """The id of a token; unknown numerals map to ``<unk>``."""
        return self._index.get(token, self._index[UNK])

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.id(t) for t in tokens]

    @property
    def numeral_ids(self) -> list[int]:
        """Ids of the tokens that are chords (what a suggestion may be)."""
        return [i for i, t in enumerate(self.tokens) if not t.startswith(("<", "style:", "mode:"))]


def encode_split(split: Split, vocab: Vocabulary) -> list[list[int]]:
    """Every sequence of a split as token ids ``[style, mode, numerals..., <eos>]``."""
    return [vocab.encode(s.tokens()) for s in load_sequences(split)]
