"""A mood estimate on the valence/arousal plane (Russell's circumplex), as a heuristic.

This is not a trained model: it maps a few measured features to valence and arousal with
fixed weights that follow findings of music-emotion research (Gabrielsson & Lindström
2010: fast tempo, loudness and bright timbre raise arousal; the major mode, brightness
and fast tempo raise valence). Both axes run from -1 to +1. Treat it as a rough guide.

When the pretrained tagger (:mod:`bandmate.listen.tagger`) heard the audio, its mood
tags nudge both axes: valence by the log ratio of the happy tags to the sad ones,
arousal by the log ratio of the energetic tags (party, dance, metal, punk, ...) to the
calm ones (mellow, chill, ambient, easy listening). The tags were trained on listeners'
Last.fm tags, so they carry what the fixed weights miss (timbre, style), but the shift is
kept small (at most about +-0.5 before the squashing) because tag scores of synthetic or
unusual audio are weak evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

VALENCE_TAGS: dict[str, float] = {"happy": 1.0, "party": 0.5, "catchy": 0.3, "sad": -1.0}
"""Tag weights for valence (positive: happy side)."""
AROUSAL_TAGS: dict[str, float] = {
    "party": 1.0, "dance": 0.6, "House": 0.6, "electro": 0.6, "metal": 0.8,
    "heavy metal": 0.8, "hard rock": 0.8, "punk": 0.8,
    "Mellow": -1.0, "chill": -1.0, "chillout": -1.0, "ambient": -0.8,
    "easy listening": -0.8,
}  # fmt: skip
"""Tag weights for arousal (positive: energetic side)."""
_TAG_GAIN = 0.25
_TAG_FLOOR = 0.03  # keeps the ratio calm when both sides are near zero


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
    tags: Mapping[str, float] | None = None,
) -> Mood:
    """Map features to valence and arousal.

    Args:
        major: How major the music is, -1 (clearly minor) .. 1 (clearly major).
        bpm: Tempo in beats per minute (0 when unknown).
        energy: Loudness on a 0..1 scale.
        brightness_hz: Mean spectral centroid, Hz.
        rhythm_strength: Pulse clarity, 0..1.
        tags: Tagger scores by tag name (0..1), or ``None`` without a tagger.

    Returns:
        The mood.
    """
    tempo = 0.0 if bpm <= 0 else math.log2(bpm / 110.0)
    bright = 0.0 if brightness_hz <= 0 else math.log2(brightness_hz / 1500.0)
    arousal = _squash(
        1.2 * tempo
        + 1.6 * (energy - 0.5)
        + 0.5 * bright
        + 0.6 * rhythm_strength
        - 0.3
        + tag_shift(tags, AROUSAL_TAGS)
    )
    valence = _squash(0.9 * major + 0.5 * tempo + 0.3 * bright + tag_shift(tags, VALENCE_TAGS))
    if valence >= 0:
        label = "happy" if arousal >= 0 else "calm"
    else:
        label = "tense" if arousal >= 0 else "sad"
    return Mood(valence=round(valence, 4), arousal=round(arousal, 4), label=label)


def tag_shift(tags: Mapping[str, float] | None, weights: Mapping[str, float]) -> float:
    """``_TAG_GAIN * log(positive evidence / negative evidence)``, clipped to +-0.5.

    Args:
        tags: Tag scores 0..1 by name (``None``: no shift).
        weights: Signed weight per tag name.
    """
    if not tags:
        return 0.0
    up = sum(w * tags.get(name, 0.0) for name, w in weights.items() if w > 0)
    down = sum(-w * tags.get(name, 0.0) for name, w in weights.items() if w < 0)
    shift = _TAG_GAIN * math.log((up + _TAG_FLOOR) / (down + _TAG_FLOOR))
    return max(-0.5, min(0.5, shift))
