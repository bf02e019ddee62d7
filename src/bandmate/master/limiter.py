"""A look-ahead true-peak limiter, vectorized over short blocks.

Detection reads the audio as the true-peak meter does (:mod:`bandmate.master.truepeak`): the
same windowed-sinc interpolator oversamples every channel to 176.4 kHz or more, and each
block of about 0.7 ms keeps its highest sample or inter-sample value. Detection is linear
in the input, so it runs once; every gain the loudness search tries reuses it.

For a make-up gain (per block, in dB) the needed attenuation is how far the block's peak
would rise above the ceiling. That need is held over ``lookahead`` blocks on either side,
released exponentially (the attenuation in dB halves every ``release`` x ln 2 seconds, so
deep reductions recover fast and shallow ones gently), and smoothed with a moving average as
long as
the look-ahead. Because the hold is wider than the smoothing window, the smoothed
attenuation at every block, and at its neighbours, is at least what the block needs; block
gains become sample gains by linear interpolation between neighbouring block centres, so
every sample gets at least its block's attenuation. What remains is the small error of
reading a time-varying gain at the interpolated points; the mastering loop measures the
result with the true-peak meter and tightens the ceiling if it is ever over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bandmate.master import _gains
from bandmate.master._polyphase import block_peaks
from bandmate.master.dynamics import box_mean, release_envelope, sliding_max
from bandmate.master.truepeak import oversampling_factor

BLOCK_SECONDS = 0.0007
LOOKAHEAD_SECONDS = 0.003
RELEASE_SECONDS = 0.08


@dataclass(frozen=True, slots=True, eq=False)
class PeakMap:
    """The true peaks of a signal in short blocks.

    Attributes:
        block: Samples per block.
        peak_db: Highest sample or inter-sample value in each block, over all channels,
            dBFS [shape=(n_blocks,)]; ``-inf`` for silent blocks.
        length: Number of samples in the signal.
        sample_rate: Sample rate in Hz.
    """

    block: int
    peak_db: NDArray[np.float64]
    length: int
    sample_rate: float

    @property
    def blocks_per_second(self) -> float:
        """Blocks per second of audio."""
        return self.sample_rate / self.block


def block_size(sample_rate: float) -> int:
    """Samples per limiter block at a sample rate (about 0.7 ms; at least 4)."""
    return max(4, round(BLOCK_SECONDS * sample_rate))


def detect_peaks(
    audio: NDArray[np.float64], sample_rate: float, *, loudest: float | None = None
) -> PeakMap:
    """Measure the true peak of every block of a signal.

    Args:
        audio: Samples [shape=(n, channels)].
        sample_rate: Sample rate in Hz.
        loudest: The largest ``|sample|`` of ``audio``, if already measured.

    Returns:
        The block peaks. Points after the last sample read the audio as followed by
        silence, so they are never lower than the meter's reading.
    """
    block = block_size(sample_rate)
    count = -(-len(audio) // block)
    factor = oversampling_factor(sample_rate)
    peaks = np.zeros(count, dtype=np.float32)
    if loudest is None:
        flat = audio.reshape(-1)
        loudest = max(float(flat.max()), -float(flat.min())) if flat.size else 0.0
    for channel in range(audio.shape[1]):
        x = audio[:, channel]
        if factor > 1:
            np.maximum(peaks, block_peaks(x, factor, block, peak=loudest), out=peaks)
        else:  # the samples are the true peak
            padded = np.zeros(count * block, dtype=np.float32)
            np.abs(x, out=padded[: len(x)], casting="same_kind")
            np.maximum(peaks, padded.reshape(count, block).max(axis=1), out=peaks)
    with np.errstate(divide="ignore"):
        peak_db = 20.0 * np.log10(peaks.astype(np.float64))
    return PeakMap(block=block, peak_db=peak_db, length=len(audio), sample_rate=sample_rate)


def attenuation(
    peaks: PeakMap,
    gain_db: NDArray[np.float64],
    ceiling_db: float,
    *,
    lookahead_seconds: float = LOOKAHEAD_SECONDS,
    release_seconds: float = RELEASE_SECONDS,
) -> NDArray[np.float64]:
    """Return the limiter's attenuation per block for a given make-up gain.

    Args:
        peaks: The block peaks of the signal before gain.
        gain_db: Gain applied before the limiter, per block, dB [shape=(n_blocks,)].
        ceiling_db: Highest true peak allowed after limiting, dBTP.
        lookahead_seconds: How far ahead the gain starts to fall before a peak.
        release_seconds: Time constant of the recovery after a peak, s.

    Returns:
        Attenuation, dB, non-negative [shape=(n_blocks,)].
    """
    lookahead = max(2, round(lookahead_seconds * peaks.blocks_per_second))
    # A neighbour's gain is part of every sample's interpolated gain: count the larger.
    need = np.maximum(peaks.peak_db + sliding_max(gain_db, 1) - ceiling_db, 0.0)
    held = sliding_max(need, lookahead)
    # An exponential fall in dB is a constant fall in log(dB): the same running maximum.
    with np.errstate(divide="ignore"):
        log_held = np.log(held)
    fall = 1.0 / (release_seconds * peaks.blocks_per_second)
    released = np.exp(release_envelope(log_held, fall))
    smoothed = box_mean(released, lookahead + 1)
    return np.maximum(smoothed, need)


def sample_gains(gain_db: NDArray[np.float64], block: int, length: int) -> NDArray[np.float64]:
    """Turn per-block gains (dB) into per-sample linear gains [shape=(length,)]."""
    linear = 10.0 ** (gain_db / 20.0)
    if len(linear) < 2:
        return np.full(length, linear[0] if len(linear) else 0.0)
    # Linear interpolation between block centres (k + 0.5) * block, as np.interp computes it
    # (slope * (x - centre) + value, bit for bit), but on a (segment, offset) grid: every
    # segment holds ``block`` samples at the same offsets from its left centre.
    first = math.ceil(0.5 * block)  # the first sample at or after the first centre
    end = first + (len(linear) - 1) * block  # the first sample at or after the last centre
    samples: NDArray[np.float64] = np.empty(max(length, end))
    grid = samples[first:end].reshape(len(linear) - 1, block)
    offsets = first - 0.5 * block + np.arange(block, dtype=np.float64)
    slopes = (linear[1:] - linear[:-1]) / float(block)
    np.multiply(slopes[:, np.newaxis], offsets, out=grid)
    grid += linear[:-1, np.newaxis]
    samples[:first] = linear[0]
    samples[end:] = linear[-1]
    return samples[:length]


def apply_gains(
    audio: NDArray[np.float64], gain_db: NDArray[np.float64], block: int
) -> NDArray[np.float64]:
    """Scale audio by per-block gains, interpolated per sample as :func:`sample_gains` does.

    Equal, bit for bit, to ``audio * sample_gains(gain_db, block, len(audio))[:, None]``,
    in one pass of a small C kernel (:mod:`bandmate.master._gains`) that makes each gain
    where it is used: no array of gains.

    Args:
        audio: Samples [shape=(n, channels)].
        gain_db: Gain of each block, dB [shape=(n_blocks,)].
        block: Samples per block.

    Returns:
        The scaled samples [shape=(n, channels)], a new array.
    """
    frames = np.ascontiguousarray(audio, dtype=np.float64)
    out = np.empty_like(frames)
    linear = np.ascontiguousarray(10.0 ** (gain_db / 20.0), dtype=np.float64)
    if len(linear) < 2:
        np.multiply(frames, linear[0] if len(linear) else 0.0, out=out)
        return out
    slopes = (linear[1:] - linear[:-1]) / float(block)
    first = math.ceil(0.5 * block)  # the first sample at or after the first centre
    _gains.apply_gains(frames, frames.shape[1], linear, slopes, block, first, out)
    return out


def peak_overshoot_db(peak_dbtp: float, ceiling_db: float) -> float:
    """How far a measured true peak is above a ceiling, dB (0.0 when it is not)."""
    if not math.isfinite(peak_dbtp):
        return 0.0
    return max(0.0, peak_dbtp - ceiling_db)
