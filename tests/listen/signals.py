"""Synthetic test signals with known answers: clicks at a tempo, chords, sines, silence."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

RATE = 22_050
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
CHORD_STEPS = {"maj": (0, 4, 7), "min": (0, 3, 7)}


def clicks(bpm: float, seconds: float, *, rate: int = RATE, accent: int = 4) -> NDArray[np.float32]:
    """Short noise bursts on every beat, the first of each ``accent`` beats louder."""
    rng = np.random.default_rng(7)
    y = np.zeros(int(seconds * rate), dtype=np.float32)
    burst = (rng.standard_normal(int(0.01 * rate)) * np.hanning(int(0.01 * rate))).astype(
        np.float32
    )
    for k, t in enumerate(np.arange(0.0, seconds - 0.02, 60.0 / bpm)):
        i = int(t * rate)
        y[i : i + len(burst)] += burst * (0.8 if k % accent == 0 else 0.4)
    return y


def tone(midi: int, seconds: float, *, rate: int = RATE, level: float = 0.2) -> NDArray[np.float32]:
    """A decaying harmonic tone (five partials) at a MIDI pitch."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    y = sum((0.6**k) * np.sin(2 * np.pi * f0 * (k + 1) * t) for k in range(5))
    return (level * y * np.exp(-1.5 * t)).astype(np.float32)


def progression(
    chords: list[tuple[int, str]], *, bpm: float = 100.0, beats: int = 4, rate: int = RATE
) -> NDArray[np.float32]:
    """Block chords (close voicing around middle C) with the root in the bass, one per bar,
    restruck on every beat, plus a click on each beat."""
    beat = 60.0 / bpm
    out = np.zeros(int(len(chords) * beats * beat * rate) + rate, dtype=np.float32)
    for index, (root, quality) in enumerate(chords):
        for b in range(beats):
            start = int(((index * beats) + b) * beat * rate)
            parts = [tone(36 + root, beat, rate=rate, level=0.25)]
            parts += [tone(60 + (root + s) % 12, beat, rate=rate) for s in CHORD_STEPS[quality]]
            chunk = np.sum(parts, axis=0)
            out[start : start + len(chunk)] += chunk
    return out
