"""Tonal EQ: a gain curve from two spectra, and a linear-phase FIR that applies it.

The curve moves a track's long-term spectrum toward a goal (a style's balance or a
reference track's spectrum): the difference is aligned so the 150 Hz - 6 kHz region keeps
its level, smoothed over about two thirds of an octave so only broad moves remain, scaled
by ``amount`` and limited to ``max_db``. It never boosts where the track has nothing to
boost (bands more than 60 dB below its loudest band, and below 30 Hz), so noise and rumble
are not brought up. A gentle subsonic high-pass (2nd-order, 20 Hz) is part of every curve.

The FIR is linear phase (a symmetric, Blackman-windowed frequency-sampling design about
186 ms long), so the EQ does not smear transients in time; its delay is removed so the
output lines up with the input sample for sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from bandmate.master._convolve import fir_filter
from bandmate.master.spectrum import BANDS_PER_OCTAVE, Spectrum

ALIGN_BAND_HZ = (150.0, 6000.0)
SMOOTH_OCTAVES = 2.0 / 3.0
NO_BOOST_BELOW_HZ = 30.0
NO_BOOST_RANGE_DB = 60.0
HIGHPASS_HZ = 20.0
_FIR_SECONDS = 0.186


@dataclass(frozen=True, slots=True, eq=False)
class EqCurve:
    """A smooth EQ gain curve.

    Attributes:
        frequencies_hz: Frequencies, Hz [shape=(n,)], ascending.
        gain_db: Gain at each frequency, dB [shape=(n,)] (the high-pass not included).
    """

    frequencies_hz: NDArray[np.float64]
    gain_db: NDArray[np.float64]

    @property
    def max_abs_db(self) -> float:
        """The largest boost or cut, dB."""
        return float(np.max(np.abs(self.gain_db))) if len(self.gain_db) else 0.0


def flat_curve(frequencies_hz: NDArray[np.float64]) -> EqCurve:
    """Return a 0 dB curve at the given frequencies."""
    return EqCurve(frequencies_hz, np.zeros(len(frequencies_hz)))


def match_curve(
    source: Spectrum, goal_db: NDArray[np.float64], *, amount: float, max_db: float
) -> EqCurve:
    """Return the EQ that moves ``source`` toward ``goal_db``.

    Args:
        source: The track's long-term spectrum.
        goal_db: The goal's levels at ``source.frequencies_hz``, dB [shape=(n_bands,)];
            only its shape matters. ``-inf`` where the goal has no energy.
        amount: How far to move, 0.0 (not at all) to 1.0 (all the way).
        max_db: Largest boost or cut, dB.

    Returns:
        The gain curve at the source's band centres; flat when either spectrum is silent.
    """
    freqs = source.frequencies_hz
    level = source.level_db
    usable = np.isfinite(level) & np.isfinite(goal_db)
    align = usable & (freqs >= ALIGN_BAND_HZ[0]) & (freqs <= ALIGN_BAND_HZ[1])
    if amount <= 0.0 or align.sum() < 3:
        return flat_curve(freqs)
    diff = np.where(usable, goal_db - level, 0.0)
    diff -= float(np.mean(diff[align]))
    span = max(1, round(SMOOTH_OCTAVES * BANDS_PER_OCTAVE))
    diff = _smooth(diff, span)
    gain = np.clip(amount * diff, -max_db, max_db)
    loudest = float(np.max(level[usable]))
    no_boost = (freqs < NO_BOOST_BELOW_HZ) | ~usable | (level < loudest - NO_BOOST_RANGE_DB)
    gain = np.where(no_boost, np.minimum(gain, 0.0), gain)
    return EqCurve(freqs, gain)


def _smooth(values: NDArray[np.float64], span: int) -> NDArray[np.float64]:
    """Centred moving average over ``2 * span + 1`` points, edges padded with edge values."""
    padded = np.pad(values, span, mode="edge")
    kernel = np.full(2 * span + 1, 1.0 / (2 * span + 1))
    smoothed: NDArray[np.float64] = np.convolve(padded, kernel, mode="valid")
    return smoothed


def design_fir(curve: EqCurve, sample_rate: float) -> NDArray[np.float64]:
    """Design a linear-phase FIR with the curve's magnitude (and the subsonic high-pass).

    Args:
        curve: The gain curve; gains between its points are interpolated in log frequency,
            and held beyond its ends.
        sample_rate: Sample rate in Hz.

    Returns:
        Filter taps [shape=(n_taps,)], odd length, symmetric (delay ``n_taps // 2``).
    """
    n_fft = 1 << round(math.log2(_FIR_SECONDS * sample_rate))
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    safe = np.maximum(bins, 1e-3)
    gain_db = np.interp(np.log2(safe), np.log2(curve.frequencies_hz), curve.gain_db)
    magnitude = 10.0 ** (gain_db / 20.0)
    ratio = safe / HIGHPASS_HZ
    magnitude *= ratio**2 / np.sqrt(1.0 + ratio**4)  # |H| of a 2nd-order Butterworth HP
    magnitude[0] = 0.0
    impulse = np.fft.irfft(magnitude, n_fft)
    impulse = np.roll(impulse, n_fft // 2)  # zero phase -> centred at n_fft // 2
    taps = np.empty(n_fft + 1)
    taps[:n_fft] = impulse
    taps[n_fft] = impulse[0]  # symmetric, odd length
    taps *= np.blackman(n_fft + 1)
    return taps


def apply_fir(audio: NDArray[np.float64], taps: NDArray[np.float64]) -> NDArray[np.float64]:
    """Filter every channel with a linear-phase FIR, compensating its delay.

    Args:
        audio: Samples [shape=(n, channels)].
        taps: Symmetric FIR taps [shape=(n_taps,)], odd length.

    Returns:
        Filtered samples [shape=(n, channels)], aligned with the input (computed in
        float32). Exact digital silence far (more than half the FIR) from any sound stays
        exactly zero.
    """
    delay = len(taps) // 2
    out = np.empty_like(audio)
    for channel in range(audio.shape[1]):
        fir_filter(audio[:, channel], taps, delay=delay, out=out[:, channel])
    silent = _silent_runs(audio, margin=delay)
    if silent is not None:
        out[silent] = 0.0
    return out


def _silent_runs(audio: NDArray[np.float64], *, margin: int) -> NDArray[np.bool_] | None:
    """Frames that are exact zeros in every channel with ``margin`` zero frames either side.

    FFT convolution leaves rounding noise (about -300 dBFS) in silent stretches; zeroing
    them keeps digital silence digital. ``None`` when there are none.
    """
    # Such a frame sits in a run of at least margin + 1 zero frames (the audio is read as
    # silent beyond its ends), and such a run holds a whole aligned chunk of that many
    # frames or the last, shorter chunk. If no chunk is all zeros (long reductions over
    # contiguous memory: fast), there is nothing to find.
    size = (margin + 1) * audio.shape[1]
    flat = np.ascontiguousarray(audio).reshape(-1)
    whole = len(flat) // size * size
    chunks = flat[:whole].reshape(-1, size)
    tail = flat[whole:]
    if not (
        np.any((chunks.max(axis=1) == 0.0) & (chunks.min(axis=1) == 0.0))
        or (len(tail) and not np.any(tail))
    ):
        return None
    zero: NDArray[np.bool_] = audio[:, 0] == 0.0  # column by column: no (n, channels) temporary
    for channel in range(1, audio.shape[1]):
        zero &= audio[:, channel] == 0.0
    width = 2 * margin + 1
    edge = np.ones(margin, dtype=np.int64)  # before and after the audio counts as silence
    running = np.concatenate(([0], np.cumsum(np.concatenate((edge, zero, edge)))))
    counts = running[width:] - running[:-width]
    silent: NDArray[np.bool_] = counts >= width
    return silent


def fir_response_db(
    taps: NDArray[np.float64], frequencies_hz: NDArray[np.float64], sample_rate: float
) -> NDArray[np.float64]:
    """Return the magnitude response of FIR taps at the given frequencies, dB.

    Args:
        taps: FIR taps [shape=(n_taps,)].
        frequencies_hz: Frequencies, Hz [shape=(n,)].
        sample_rate: Sample rate in Hz.
    """
    n_fft = 1 << max(16, math.ceil(math.log2(len(taps))) + 2)
    response = np.abs(scipy.fft.rfft(taps, n_fft))
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    with np.errstate(divide="ignore"):
        levels: NDArray[np.float64] = 20.0 * np.log10(np.interp(frequencies_hz, bins, response))
    return levels
