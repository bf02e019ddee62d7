"""Synthetic test "songs" for mastering: several spectral styles and the worst cases.

Every track is seeded and built from band-limited noise, tones and decaying hits, so the
tests need no audio files. Levels are set with our own meter after synthesis.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from bandmate.master import integrated_loudness

RATE = 44_100
SECONDS = 10.0

Audio = NDArray[np.float64]


def _noise(rng: np.random.Generator, n: int, low: float, high: float, rate: int) -> Audio:
    high = min(high, 0.45 * rate)
    low = min(low, 0.5 * high)
    sos = scipy.signal.butter(2, [low, high], "bandpass", fs=rate, output="sos")
    noise: Audio = scipy.signal.sosfilt(sos, rng.standard_normal((n, 2)), axis=0)
    scaled: Audio = noise / np.sqrt(np.mean(np.square(noise)))
    return scaled


def _chords(n: int, rate: int, roots: tuple[float, ...], *, seconds_per_chord: float) -> Audio:
    t = np.arange(n) / rate
    out = np.zeros(n)
    for harmonic, level in ((1.0, 1.0), (2.0, 0.4), (3.0, 0.2), (5.0, 0.08)):
        chord = np.zeros(n)
        for index, root in enumerate(roots):
            active = (t // seconds_per_chord) % len(roots) == index
            for ratio in (1.0, 1.26, 1.5):
                chord += active * np.sin(2 * np.pi * root * ratio * harmonic * t)
        out += level * chord
    return np.stack((out, np.roll(out, 37)), axis=1)  # a little width


def _hits(
    rng: np.random.Generator,
    n: int,
    rate: int,
    *,
    every: float,
    decay: float,
    low: float,
    high: float,
) -> Audio:
    out = np.zeros((n, 2))
    burst = _noise(rng, round(decay * 8 * rate), low, high, rate)
    envelope = np.exp(-np.arange(len(burst)) / (decay * rate))[:, np.newaxis]
    for start in range(0, n, round(every * rate)):
        stop = min(n, start + len(burst))
        out[start:stop] += (burst * envelope)[: stop - start]
    return out


def _kick(n: int, rate: int, *, every: float) -> Audio:
    length = round(0.25 * rate)
    t = np.arange(length) / rate
    sweep = np.sin(2 * np.pi * (50 * t + 100 * 0.03 * (1 - np.exp(-t / 0.03))))  # 150 -> 50 Hz
    body = sweep * np.exp(-t / 0.08)
    out = np.zeros(n)
    for start in range(0, n, round(every * rate)):
        stop = min(n, start + length)
        out[start:stop] += body[: stop - start]
    return np.repeat(out[:, np.newaxis], 2, axis=1)


def set_loudness(audio: Audio, lufs: float, rate: int = RATE) -> Audio:
    """Scale audio to an integrated loudness (LUFS)."""
    scaled: Audio = audio * 10.0 ** ((lufs - integrated_loudness(audio, rate)) / 20.0)
    return scaled


def pop(rng: np.random.Generator, seconds: float = SECONDS, rate: int = RATE) -> Audio:
    """Full-range pop: chords, noise bed, kick and hats at -20 LUFS."""
    n = round(seconds * rate)
    mix = (
        0.3 * _chords(n, rate, (220.0, 174.6, 196.0, 261.6), seconds_per_chord=2.0)
        + 0.15 * _noise(rng, n, 80.0, 12_000.0, rate)
        + 0.9 * _kick(n, rate, every=0.5)
        + 0.25 * _hits(rng, n, rate, every=0.25, decay=0.02, low=6000.0, high=16_000.0)
    )
    return set_loudness(mix, -20.0, rate)


def dark(rng: np.random.Generator, seconds: float = SECONDS, rate: int = RATE) -> Audio:
    """Lo-fi: everything under 3 kHz, at -24 LUFS."""
    n = round(seconds * rate)
    mix = 0.4 * _chords(n, rate, (110.0, 130.8), seconds_per_chord=2.5) + 0.2 * _noise(
        rng, n, 60.0, 3000.0, rate
    )
    return set_loudness(mix, -24.0, rate)


def bright(rng: np.random.Generator, seconds: float = SECONDS, rate: int = RATE) -> Audio:
    """Thin and bright: hats and noise from 2 to 18 kHz over a light chord, at -18 LUFS."""
    n = round(seconds * rate)
    mix = (
        0.5 * _noise(rng, n, 2000.0, 18_000.0, rate)
        + 0.6 * _hits(rng, n, rate, every=0.125, decay=0.01, low=5000.0, high=18_000.0)
        + 0.1 * _chords(n, rate, (440.0, 523.3), seconds_per_chord=1.0)
    )
    return set_loudness(mix, -18.0, rate)


def acoustic(rng: np.random.Generator, seconds: float = SECONDS, rate: int = RATE) -> Audio:
    """Plucked, dynamic: decaying harmonic notes with quiet gaps, at -23 LUFS."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)
    for index, start in enumerate(np.arange(0.0, seconds, 0.6)):
        pitch = (196.0, 246.9, 293.7, 392.0)[index % 4]
        active = t >= start
        local = (t - start) * active
        out += (
            active
            * np.exp(-local / 0.4)
            * sum(np.sin(2 * np.pi * pitch * h * local) / h**1.5 for h in range(1, 7))
        )
    stereo = np.stack((out, 0.8 * out), axis=1) + 0.003 * _noise(rng, n, 100.0, 10_000.0, rate)
    return set_loudness(stereo, -23.0, rate)


def bass_heavy(rng: np.random.Generator, seconds: float = SECONDS, rate: int = RATE) -> Audio:
    """Sub-bass and kick far above everything else, at -16 LUFS."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    sub = np.sin(2 * np.pi * 45.0 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    mix = (
        1.2 * np.repeat(sub[:, np.newaxis], 2, axis=1)
        + 1.0 * _kick(n, rate, every=0.5)
        + 0.05 * _noise(rng, n, 200.0, 8000.0, rate)
    )
    return set_loudness(mix, -16.0, rate)


def very_quiet(rng: np.random.Generator) -> Audio:
    """The pop track at -45 LUFS."""
    return set_loudness(pop(rng), -45.0)


def loud_clipped(rng: np.random.Generator) -> Audio:
    """The pop track driven 20 dB into hard clipping at full scale."""
    return np.clip(pop(rng) * 10.0, -1.0, 1.0)


def mono(rng: np.random.Generator) -> Audio:
    """The acoustic track as one channel [shape=(n, 1)]."""
    return acoustic(rng)[:, :1].copy()


def silence_inside(rng: np.random.Generator) -> Audio:
    """4 s of pop, 6 s of digital silence, 4 s of pop."""
    song = pop(rng, seconds=4.0)
    return np.concatenate((song, np.zeros((6 * RATE, 2)), song))


def one_second(rng: np.random.Generator) -> Audio:
    """One second of pop."""
    return pop(rng, seconds=1.0)


def pure_silence(rng: np.random.Generator) -> Audio:
    """Ten seconds of digital silence."""
    return np.zeros((round(SECONDS * RATE), 2))


def verse_chorus(rng: np.random.Generator) -> Audio:
    """A quiet verse (-34 LUFS) then a loud chorus (-18 LUFS)."""
    verse = set_loudness(acoustic(rng, seconds=5.0), -34.0)
    chorus = set_loudness(pop(rng, seconds=5.0), -18.0)
    return np.concatenate((verse, chorus))


TRACKS: dict[str, Callable[[np.random.Generator], Audio]] = {
    "pop": pop,
    "dark": dark,
    "bright": bright,
    "acoustic": acoustic,
    "bass_heavy": bass_heavy,
    "very_quiet": very_quiet,
    "loud_clipped": loud_clipped,
    "mono": mono,
    "silence_inside": silence_inside,
    "one_second": one_second,
    "pure_silence": pure_silence,
    "verse_chorus": verse_chorus,
}


@functools.cache
def track(name: str) -> Audio:
    """A test track by name, synthesized once per test session (read-only)."""
    audio = TRACKS[name](np.random.default_rng(7))
    audio.setflags(write=False)
    return audio
