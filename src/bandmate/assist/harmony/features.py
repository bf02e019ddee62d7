"""Beat features of a melody, for the harmonizers: what the tune does in each beat.

A melody is read on a beat grid. Each beat becomes ``N_FEATURES`` numbers: how much of
the beat each pitch class sounds, counted from the key's tonic (12), how much is rest,
whether a note starts on the beat, whether the beat starts a bar, and whether the key is
minor. The same function reads a chorale's soprano for training (from the committed
data) and a song's melody track for the API, so the models see one kind of input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

N_FEATURES = 16
REST = 12
"""The 'pitch class' of a beat with no melody note, for the HMM's emissions."""


@dataclass(frozen=True, slots=True)
class Beat:
    """One beat of the grid.

    Attributes:
        start: Where the beat starts (ticks or quarter notes: any unit, used consistently).
        length: How long it lasts, in the same unit.
        downbeat: Whether it is the first beat of a bar.
    """

    start: float
    length: float
    downbeat: bool


MelodyNote = tuple[float, float, int]
"""``(onset, duration, midi pitch)`` in the unit of the beat grid."""


def beat_features(
    notes: Sequence[MelodyNote], beats: Sequence[Beat], *, tonic_pc: int, minor: bool
) -> np.ndarray:
    """Features of a melody on a beat grid.

    Args:
        notes: The melody's notes, any order.
        beats: The beat grid, in time order.
        tonic_pc: The key's tonic, so features are the same in every key.
        minor: Whether the key is minor.

    Returns:
        Features, shape ``(len(beats), N_FEATURES)``: 12 pitch-class shares of the beat
        from the tonic up, the rest share, note-onset flag, downbeat flag, minor flag.
    """
    out = np.zeros((len(beats), N_FEATURES), dtype=np.float32)
    ordered = sorted(notes)
    starts = np.array([n[0] for n in ordered], dtype=np.float64)
    first = 0
    for i, beat in enumerate(beats):
        end = beat.start + beat.length
        # Notes sorted by onset: skip those that ended before this beat for good.
        while first < len(ordered) and ordered[first][0] + ordered[first][1] <= beat.start - 1e-9:
            first += 1
        stop = int(np.searchsorted(starts, end - 1e-9, side="left"))
        sounding = 0.0
        for onset, duration, midi in ordered[first:stop]:
            overlap = min(onset + duration, end) - max(onset, beat.start)
            if overlap > 1e-9:
                share = overlap / beat.length
                out[i, (midi - tonic_pc) % 12] += share
                sounding += share
            if abs(onset - beat.start) < 1e-6:
                out[i, 13] = 1.0
        out[i, :12] /= max(1.0, sounding)  # a chord in the melody track still sums to 1
        out[i, 12] = max(0.0, 1.0 - sounding)
        out[i, 14] = 1.0 if beat.downbeat else 0.0
        out[i, 15] = 1.0 if minor else 0.0
    return out


def main_pitch_class(features: np.ndarray) -> np.ndarray:
    """The pitch class (from the tonic) that sounds longest in each beat, or ``REST``.

    Args:
        features: From :func:`beat_features`, shape ``(T, N_FEATURES)``.

    Returns:
        Integers in 0..12, shape ``(T,)``.
    """
    pcs = np.argmax(features[:, :12], axis=1)
    silent = features[:, :12].max(axis=1) <= 0.0
    return np.where(silent, REST, pcs).astype(np.int64)
