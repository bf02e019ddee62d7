"""A mood estimate on the valence/arousal plane (Russell's circumplex), as a heuristic.

This is not a trained model: it maps a few measured features to valence and arousal with
fixed weights that follow findings of music-emotion research (Gabrielsson & Lindström
2010: fast tempo, loudness and bright timbre raise arousal; the major mode, brightness
and fast tempo raise valence). Both axes run from -1 to +1. Treat it as a rough guide;
a tagger trained on rated music will replace it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mood:
    """Valence and arousal in -1..1 and the quadrant's name.

    Attributes:
        valence: Negative (sad, tense) .. positive (happy, calm).
        arousal: Low (calm, sleepy) .. high (excited, angry).
        label: ``"happy"``, ``"tense"``, ``"sad"`` or ``"calm"`` (the quadrant).
    """

    valence: float
    arousal: float
    label: str


def _squash(x: float) -> float:
    return math.tanh(x)


def estimate_mood(
    *,
    major: float,
    bpm: float,
    energy: float,
    brightness_hz: float,
    rhythm_strength: float,
) -> Mood:
    """Map features to valence and arousal.

    Args:
        major: How major the music is, -1 (clearly minor) .. 1 (clearly major).
        bpm: Tempo in beats per minute (0 when unknown).
        energy: Loudness on a 0..1 scale.
        brightness_hz: Mean spectral centroid, Hz.
        rhythm_strength: Pulse clarity, 0..1.

    Returns:
        The mood.
    """
    tempo = 0.0 if bpm <= 0 else math.log2(bpm / 110.0)
    bright = 0.0 if brightness_hz <= 0 else math.log2(brightness_hz / 1500.0)
    arousal = _squash(
        1.2 * tempo + 1.6 * (energy - 0.5) + 0.5 * bright + 0.6 * rhythm_strength - 0.3
    )
    valence = _squash(0.9 * major + 0.5 * tempo + 0.3 * bright)
    if valence >= 0:
        label = "happy" if arousal >= 0 else "calm"
    else:
        label = "tense" if arousal >= 0 else "sad"
    return Mood(valence=round(valence, 4), arousal=round(arousal, 4), label=label)
