"""Harmonizer examples: the chorales' soprano beat by beat, with Bach's chord on each beat.

Every run of constant local key of a chorale (as in the chord data) becomes one example:
the beat features of the soprano in that key (:func:`beat_features`) and the numeral on
each beat, or ``-1`` where the data script could not label the beat. The split is the
committed one, by piece.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from bandmate.assist.dataset import SPLITS, Split, Vocabulary, load_pieces, manifest
from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.features import Beat, beat_features
from bandmate.assist.keyfind import key_on
from bandmate.music.key import parse_key

NO_LABEL = -1


@dataclass(frozen=True, slots=True)
class HarmonyExample:
    """One run of beats in one local key.

    Attributes:
        piece: The chorale's corpus id.
        minor: Whether the local key is minor.
        features: Beat features, shape ``(T, N_FEATURES)``.
        numerals: The numeral on each beat (``None`` where unlabelled), length ``T``.
    """

    piece: str
    minor: bool
    features: np.ndarray
    numerals: tuple[str | None, ...]

    def labels(self, vocab: Vocabulary) -> np.ndarray:
        """Target ids, shape ``(T,)``; ``NO_LABEL`` on unlabelled beats."""
        return np.array(
            [NO_LABEL if n is None else vocab.id(n) for n in self.numerals], dtype=np.int64
        )


def _piece_examples(piece: dict[str, Any]) -> list[HarmonyExample]:
    beat = float(piece["beat"])
    bars = {round(b, 4) for b in piece.get("bars", [])}
    melody = [(float(o), float(d), int(m)) for o, d, m in piece.get("melody", [])]
    examples = []
    for segment in piece["segments"]:
        chords = segment["chords"]
        start = chords[0][0]
        end = chords[-1][0] + chords[-1][1]
        count = round((end - start) / beat)
        grid = [start + i * beat for i in range(count)]
        beats = [Beat(t, beat, round(t, 4) in bars) for t in grid]
        labels: list[str | None] = [None] * count
        for onset, duration, numeral in chords:
            first = round((onset - start) / beat)
            for j in range(first, min(count, first + max(1, round(duration / beat)))):
                labels[j] = numeral
        key = parse_key(segment["key"])
        tonic = key_on(key.tonic_pc, key.mode)
        features = beat_features(melody, beats, tonic_pc=tonic.tonic_pc, minor=key.is_minor)
        examples.append(HarmonyExample(piece["id"], key.is_minor, features, tuple(labels)))
    return examples


def load_examples(split: Split, *, min_beats: int = 2) -> list[HarmonyExample]:
    """The harmonizer examples of one split (chorales only: they carry their soprano)."""
    if split not in SPLITS:
        raise AssistError(f"split={split!r} must be one of {SPLITS}")
    pieces = load_pieces()
    examples = []
    for piece_id in manifest()["splits"][split]:
        piece = pieces[piece_id]
        if piece.get("melody"):
            examples += [e for e in _piece_examples(piece) if len(e.numerals) >= min_beats]
    return examples


def build_vocabulary(examples: list[HarmonyExample], *, min_count: int = 2) -> Vocabulary:
    """Specials, then every numeral labelled on at least ``min_count`` training beats."""
    counts = Counter(n for e in examples for n in e.numerals if n is not None)
    numerals = sorted(n for n, c in counts.items() if c >= min_count)
    return Vocabulary(["<pad>", "<eos>", "<unk>", *numerals])
