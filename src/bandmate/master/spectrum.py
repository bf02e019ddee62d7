"""Long-term spectra in fractional-octave bands, and the tonal balance of mastering styles.

A track's long-term average spectrum is the mean power spectrum of its audible frames (the
channels mixed to mid), read in bands one sixth of an octave apart and each a third of an
octave wide, from 20 Hz up to 0.95 x Nyquist. Levels are power spectral densities in dB
relative to full scale per band (only differences between curves matter to the EQ).

The style curves are broad targets for that density, relative to 1 kHz. They follow the
long-term spectra of commercial mixes: roughly pink between 200 Hz and 2 kHz, falling
faster above (about -4.5 dB per octave), with a low-end shelf whose height depends on the
style. They are guides for gentle correction, not templates for every song.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.fft
from numpy.typing import NDArray

Style = Literal["balanced", "warm", "bright", "bass", "acoustic"]
STYLES: tuple[Style, ...] = ("balanced", "warm", "bright", "bass", "acoustic")

LOWEST_HZ = 20.0
BANDS_PER_OCTAVE = 6
BAND_WIDTH_OCTAVES = 1.0 / 3.0
_FFT_SECONDS = 0.186  # 8192 points at 44.1 kHz: 5.4 Hz bins
_MAX_FRAMES = 400  # frames averaged at most (spread over the track): about 75 s
_SILENT_FRAME_DB = -80.0  # frames quieter than this (RMS, dBFS) are not part of the balance

# (Hz, dB re 1 kHz): the "balanced" density; other styles tilt or shelve it.
_BALANCED = ((20.0, 4.0), (40.0, 9.0), (80.0, 10.0), (160.0, 8.0), (320.0, 5.0),
             (640.0, 2.0), (1000.0, 0.0), (2000.0, -3.5), (4000.0, -7.5), (8000.0, -12.0),
             (12000.0, -16.0), (16000.0, -22.0), (20000.0, -32.0))  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class Spectrum:
    """A long-term average spectrum in fractional-octave bands.

    Attributes:
        frequencies_hz: Band centres, Hz [shape=(n_bands,)], ascending.
        level_db: Mean power spectral density in each band, dB re full scale
            [shape=(n_bands,)]; ``-inf`` where the track has no energy.
    """

    frequencies_hz: NDArray[np.float64]
    level_db: NDArray[np.float64]


def band_centers(sample_rate: float) -> NDArray[np.float64]:
    """Return the band centres for a sample rate, Hz: 20 Hz upward in 1/6-octave steps.

    Args:
        sample_rate: Sample rate in Hz.

    Returns:
        Centres from 20 Hz to at most 20.5 kHz and 0.95 x the Nyquist frequency.
    """
    top = min(20_500.0, 0.95 * sample_rate / 2.0)
    count = math.floor(BANDS_PER_OCTAVE * math.log2(top / LOWEST_HZ)) + 1
    centers: NDArray[np.float64] = LOWEST_HZ * 2.0 ** (np.arange(count) / BANDS_PER_OCTAVE)
    return centers


def long_term_spectrum(audio: NDArray[np.float64], sample_rate: float) -> Spectrum:
    """Measure the long-term average spectrum of audio.

    Args:
        audio: Samples, full scale 1.0 [shape=(n, channels)].
        sample_rate: Sample rate in Hz.

    Returns:
        The band levels; all ``-inf`` for silence or audio shorter than one analysis frame
        (186 ms).
    """
    centers = band_centers(sample_rate)
    n_fft = 1 << round(math.log2(_FFT_SECONDS * sample_rate))
    count = len(audio) // n_fft
    if count == 0:
        return Spectrum(centers, np.full(len(centers), -math.inf))
    picks = np.unique(np.linspace(0, count - 1, min(count, _MAX_FRAMES)).astype(np.int64))
    framed = audio[: count * n_fft].reshape(count, n_fft, audio.shape[1])
    # Mid of the picked frames: the float32 mean over channels, summed channel by channel
    # (as mean(axis=2, dtype=np.float32) sums them, without its slow two-long inner loop).
    picked = framed[picks]
    frames = picked[:, :, 0].astype(np.float32)
    for channel in range(1, audio.shape[1]):
        frames += picked[:, :, channel].astype(np.float32)
    frames /= np.float32(audio.shape[1])
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    audible = rms > 10.0 ** (_SILENT_FRAME_DB / 20.0)
    if not audible.any():
        return Spectrum(centers, np.full(len(centers), -math.inf))
    window = np.hanning(n_fft).astype(np.float32)
    spectra = scipy.fft.rfft(frames[audible] * window, axis=1)
    # Density normalised so that a full-scale sine's band reads near 0 dB.
    power = np.mean(np.abs(spectra) ** 2, axis=0) / (np.sum(window) ** 2 / 4.0)
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate).astype(np.float64)
    return Spectrum(centers, _band_levels(bins, power.astype(np.float64), centers))


def _band_levels(
    bins: NDArray[np.float64], power: NDArray[np.float64], centers: NDArray[np.float64]
) -> NDArray[np.float64]:
    half = 2.0 ** (BAND_WIDTH_OCTAVES / 2.0)
    edges_low = np.searchsorted(bins, centers / half)
    edges_high = np.searchsorted(bins, centers * half)
    running = np.concatenate(([0.0], np.cumsum(power)))
    counts = edges_high - edges_low
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (running[edges_high] - running[edges_low]) / counts
    # Bands narrower than a bin (the lowest ones) read the density at their centre.
    narrow = counts == 0
    mean[narrow] = np.interp(centers[narrow], bins, power)
    with np.errstate(divide="ignore"):
        levels: NDArray[np.float64] = 10.0 * np.log10(np.maximum(mean, 0.0))
    return levels


def style_curve(style: Style, frequencies_hz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return a style's target density at the given frequencies, dB re 1 kHz.

    Args:
        style: ``"balanced"`` (modern full-range pop/rock), ``"warm"`` (1 dB per octave
            darker), ``"bright"`` (1 dB per octave brighter), ``"bass"`` (hip-hop and
            electronic: +4 dB below 120 Hz) or ``"acoustic"`` (less sub-bass, flatter top).
        frequencies_hz: Frequencies, Hz [shape=(n,)].

    Returns:
        Target levels, dB [shape=(n,)].

    Raises:
        ValueError: for an unknown style (callers validate user input first).
    """
    anchors = np.array(_BALANCED)
    octaves = np.log2(frequencies_hz / 1000.0)
    curve: NDArray[np.float64] = np.interp(octaves, np.log2(anchors[:, 0] / 1000.0), anchors[:, 1])
    if style == "balanced":
        return curve
    if style == "warm":
        return curve - 1.0 * octaves
    if style == "bright":
        return curve + 1.0 * octaves
    if style == "bass":
        return curve + 4.0 / (1.0 + (frequencies_hz / 120.0) ** 4)
    if style == "acoustic":
        shelf = -5.0 / (1.0 + (frequencies_hz / 70.0) ** 4)
        return curve + shelf + np.clip(octaves, 0.0, None) * 0.75
    raise ValueError(f"style={style!r} must be one of {', '.join(STYLES)}")
