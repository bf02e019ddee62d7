"""The baseline: a Markov model of the lower voice's interval under each melody note.

P(interval | style, depth, previous interval, melody pitch class) with Witten–Bell
interpolation down to P(interval | style, depth, melody pitch class), P(interval | style,
depth) and the uniform distribution over the 37 classes, so every class keeps some mass.
It knows the melody note and where the voice was, not where the melody goes next nor the
meter: what a first-order counterpoint table knows. Fitting is one pass over the counts
(under a second), so it is refitted from the committed data rather than shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bandmate.assist.voices.data import IGNORE, N_CLASSES, VOICE_STYLES, VoiceSequence

Context = tuple[int, ...]


def _pitch_classes(seq: VoiceSequence) -> np.ndarray:
    return (seq.melody - seq.tonic_pc) % 12


class IntervalMarkov:
    """Witten–Bell interpolated counts of intervals under the melody."""

    def __init__(self) -> None:
        self._tables: list[dict[Context, np.ndarray]] = [{}, {}, {}]

    def fit(self, sequences: Sequence[VoiceSequence]) -> IntervalMarkov:
        """Count every learned step of ``sequences``."""
        for seq in sequences:
            style = VOICE_STYLES.index(seq.style)
            for pc, prev, target in zip(_pitch_classes(seq), seq.previous, seq.targets,
                                        strict=True):  # fmt: skip
                if target == IGNORE:
                    continue
                for level, ctx in enumerate(self._contexts(style, seq.depth, int(prev), int(pc))):
                    table = self._tables[level]
                    if ctx not in table:
                        table[ctx] = np.zeros(N_CLASSES)
                    table[ctx][target] += 1
        return self

    @staticmethod
    def _contexts(style: int, depth: int, prev: int, pc: int) -> tuple[Context, ...]:
        return (style, depth), (style, depth, pc), (style, depth, pc, prev)

    def distribution(self, style: str, depth: int, prev: int, pc: int) -> np.ndarray:
        """P(interval class), shape ``(N_CLASSES,)``, summing to 1."""
        probs = np.full(N_CLASSES, 1.0 / N_CLASSES)
        contexts = self._contexts(VOICE_STYLES.index(style), depth, prev, pc)
        for level, ctx in enumerate(contexts):
            counts = self._tables[level].get(ctx)
            if counts is None:
                continue
            total, types = float(counts.sum()), float(np.count_nonzero(counts))
            probs = (counts + types * probs) / (total + types)
        return probs

    def sequence_log_probs(self, seq: VoiceSequence) -> np.ndarray:
        """log P of each step's class over the whole sequence, shape ``(T, N_CLASSES)``."""
        rows = [
            self.distribution(seq.style, seq.depth, int(prev), int(pc))
            for pc, prev in zip(_pitch_classes(seq), seq.previous, strict=True)
        ]
        out: np.ndarray = np.log(np.array(rows))
        return out
