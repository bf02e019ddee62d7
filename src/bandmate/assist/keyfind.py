"""Key finding: the Krumhansl–Kessler key profiles correlated with a pitch-class histogram.

This is the Krumhansl–Schmuckler algorithm (Krumhansl 1990, *Cognitive Foundations of
Musical Pitch*): weight each pitch class by how long it sounds, correlate the
12-vector with the major and minor probe-tone profiles rotated to every tonic, and
take the best of the 24 keys. The bandmate uses it when a song has no key, and the
data script uses it to find the local key of each phrase of a chorale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bandmate.music.key import Key, KeyMode
from bandmate.music.song import Song

MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
"""Krumhansl–Kessler probe-tone ratings for a major key, tonic first."""
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
"""Krumhansl–Kessler probe-tone ratings for a minor key, tonic first."""

_PROFILES: dict[KeyMode, tuple[float, ...]] = {"major": MAJOR_PROFILE, "minor": MINOR_PROFILE}


def key_on(pc: int, mode: KeyMode) -> Key:
    """The key on pitch class ``pc`` spelled with the fewest accidentals (F# minor, Bb major)."""
    return Key("C", mode).transpose(pc % 12)


def _correlation(x: Sequence[float], y: Sequence[float]) -> float:
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return 0.0 if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def key_scores(weights: Sequence[float]) -> dict[Key, float]:
    """Correlation of a pitch-class histogram with each of the 24 major and minor keys.

    Args:
        weights: 12 non-negative weights, index = pitch class (0 = C), e.g. seconds
            or ticks each pitch class sounds.

    Returns:
        Pearson correlation in -1..1 for every key (all 0.0 for a flat histogram).
    """
    if len(weights) != 12:
        raise ValueError(f"weights has {len(weights)} entries; must have 12 (one per pitch class)")
    scores: dict[Key, float] = {}
    for mode, profile in _PROFILES.items():
        for tonic in range(12):
            rotated = [profile[(pc - tonic) % 12] for pc in range(12)]
            scores[key_on(tonic, mode)] = _correlation(weights, rotated)
    return scores


def estimate_key(weights: Sequence[float]) -> Key | None:
    """The best-correlated key for a pitch-class histogram, or ``None`` if it is empty.

    Ties go to the first key in the order C..B major, then C..B minor.
    """
    if sum(weights) <= 0:
        return None
    scores = key_scores(weights)
    return max(scores, key=lambda k: scores[k])


def song_pitch_weights(song: Song, *, include_chords: bool = True) -> list[float]:
    """How many ticks each pitch class sounds in a song's pitched tracks (drums skipped).

    Args:
        song: The song.
        include_chords: Also count the tones of the chord lane (each for its duration).

    Returns:
        12 weights, index = pitch class.
    """
    weights = [0.0] * 12
    for track in song.tracks:
        if track.instrument.drums:
            continue
        for note in track.notes:
            weights[note.pitch % 12] += note.duration
    if include_chords:
        for event in song.chords:
            for pc in event.chord.pitch_classes:
                weights[pc] += event.duration
    return weights


def estimate_song_key(song: Song) -> Key | None:
    """The song's key as Krumhansl–Schmuckler hears its notes and chords, or ``None``.

    ``None`` means there is nothing pitched to hear: no notes outside drum
    tracks and no chords.
    """
    return estimate_key(song_pitch_weights(song))
