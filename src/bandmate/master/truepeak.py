"""Sample peak and true peak (ITU-R BS.1770-4 Annex 2).

The true peak is the highest absolute value of the audio reconstructed between its samples.
Annex 2 estimates it by oversampling 4x at 48 kHz; here every rate is oversampled to at least
176.4 kHz: 4x at 44.1 and 48 kHz, 2x at 88.2 and 96 kHz, and none at 176.4 kHz and above
(where the sample peak is the true peak). Lower rates get larger factors (6x at 32 kHz).

The interpolator is a polyphase FIR: a Kaiser-windowed sinc (beta 7) spanning 32 input samples
per phase, each phase normalised to unity gain at DC. Its phase 0 passes the samples through
unchanged, so the true peak is never below the sample peak, and the other phases follow the
ideal band-limited signal to within 0.05 % (0.004 dB) up to 0.4 x the sample rate
(17.6 kHz at 44.1 kHz).

Interpolated points count only where the interpolator's whole span of samples lies inside the
audio: the edges of the array are not read as jumps from silence, whose ringing would depend
on where the audio was cut (a cut-out never reads a higher true peak than the whole). The
sample peak still covers every sample.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from bandmate.master._checks import check_audio, check_sample_rate

TRUE_PEAK_RATE = 176_400
"""Oversampled rate (Hz) the true-peak meter reaches at least."""

_HALF_SPAN = 16  # input samples on each side of an interpolated point
_KAISER_BETA = 7.0
_FRAME = 2048  # FFT length of the overlap-save convolution
_FRAMES_PER_CHUNK = 64


def oversampling_factor(sample_rate: float) -> int:
    """Return the true-peak oversampling factor for a sample rate.

    Args:
        sample_rate: Sample rate in Hz, 8000..384000.

    Returns:
        The smallest factor that brings the rate to 176.4 kHz or more (1 means none).

    Raises:
        MasterError: if the sample rate is out of range.
    """
    rate = check_sample_rate(sample_rate)
    return max(1, math.ceil(TRUE_PEAK_RATE / rate - 1e-9))


def sample_peak(audio: NDArray[np.floating]) -> float:
    """Return the highest absolute sample over all channels, in dBFS.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.

    Returns:
        Peak level in dBFS (0 dBFS is 1.0); ``-inf`` for silence or empty audio.

    Raises:
        MasterError: on non-finite or non-float samples or a bad channel count.
    """
    return amplitude_to_db(peak_amplitude(check_audio(audio)))


def true_peak(audio: NDArray[np.floating], sample_rate: float) -> float:
    """Return the highest inter-sample peak over all channels, in dBTP.

    Every channel counts, the LFE included.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.
        sample_rate: Sample rate in Hz, 8000..384000.

    Returns:
        True-peak level in dBTP (dB relative to full scale 1.0); ``-inf`` for silence or
        empty audio. Never below the sample peak.

    Raises:
        MasterError: on invalid audio or sample rate.
    """
    factor = oversampling_factor(sample_rate)
    samples = check_audio(audio)
    return amplitude_to_db(true_peak_amplitude(samples, factor, peak_amplitude(samples)))


def peak_amplitude(samples: NDArray[np.float64]) -> float:
    """Highest absolute value of checked ``samples`` [shape=(n, channels)]; 0.0 if empty."""
    if samples.size == 0:
        return 0.0
    return max(float(samples.max()), -float(samples.min()))


def true_peak_amplitude(samples: NDArray[np.float64], factor: int, peak: float) -> float:
    """Highest interpolated absolute value of checked ``samples`` [shape=(n, channels)].

    ``factor`` is the oversampling factor and ``peak`` the sample peak amplitude.
    """
    if factor == 1 or peak == 0.0:
        return peak
    phases = _interpolator(factor)
    bound = float(np.abs(phases).sum(axis=1).max())
    highest = 1.0
    for channel in samples.T:
        # Scaling to a unit sample peak keeps float32 safe for any finite input level.
        highest = _interpolated_peak(channel, 1.0 / peak, phases, bound, floor=highest)
    return peak * highest


def amplitude_to_db(amplitude: float) -> float:
    """Convert a linear amplitude (full scale 1.0) to dB; ``-inf`` for 0."""
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else -math.inf


@cache
def _interpolator(factor: int) -> NDArray[np.float64]:
    """The fractional phases of the interpolator [shape=(factor - 1, 2 * _HALF_SPAN)].

    Row ``p - 1`` holds the taps ``g`` that give the value ``p / factor`` of the way from input
    sample ``m`` to ``m + 1`` as ``sum_j g[j] * x[m + _HALF_SPAN - j]``.
    """
    offsets = np.arange(1, factor)[:, np.newaxis] / factor  # (P, 1)
    tau = np.arange(2 * _HALF_SPAN) - _HALF_SPAN + offsets  # (P, J): distance in samples
    window = np.i0(_KAISER_BETA * np.sqrt(1.0 - (tau / _HALF_SPAN) ** 2)) / np.i0(_KAISER_BETA)
    taps: NDArray[np.float64] = np.sinc(tau) * window
    taps /= taps.sum(axis=1, keepdims=True)
    taps.setflags(write=False)
    return taps


def _interpolated_peak(
    x: NDArray[np.float64],
    scale: float,
    phases: NDArray[np.float64],
    bound: float,
    *,
    floor: float,
) -> float:
    """Highest absolute value of every fractional phase of ``x * scale``, by overlap-save FFT.

    Only points whose whole interpolation span lies inside ``x`` count. Frames that cannot beat
    ``floor`` (their peak times ``bound``, the largest sum of tap magnitudes, stays below it)
    are skipped, so the result is at least ``floor``.
    """
    taps = phases.shape[1]
    outputs = len(x) - taps + 1  # interpolated points per phase with a full span of samples
    if outputs < 1:
        return floor
    hop = _FRAME - taps + 1
    frames = -(-outputs // hop)
    padded = np.zeros(frames * hop + taps - 1, dtype=np.float32)  # whole frames: zeros past x
    np.multiply(x, scale, out=padded[: len(x)], casting="same_kind")
    blocks = padded[: frames * hop].reshape(frames, hop)
    tail = padded[frames * hop :]
    block_peak = np.append(
        np.maximum(blocks.max(axis=1), -blocks.min(axis=1)), max(tail.max(), -tail.min())
    )
    # Frame s spans blocks s and s + 1 (it overlaps the next frame by taps - 1 < hop samples).
    frame_peak = np.maximum(block_peak[:-1], block_peak[1:])
    candidates = np.flatnonzero(frame_peak * bound >= floor)
    # The last frame's outputs past this count would reach into the zero padding.
    last_frame_outputs = outputs - (frames - 1) * hop

    views = np.lib.stride_tricks.sliding_window_view(padded, _FRAME)[::hop]
    responses = scipy.fft.rfft(phases.astype(np.float32), _FRAME, axis=1)  # (P, F/2 + 1)
    highest = floor
    for first in range(0, len(candidates), _FRAMES_PER_CHUNK):
        chunk = candidates[first : first + _FRAMES_PER_CHUNK]
        spectra = scipy.fft.rfft(views[chunk], axis=1)  # (S, F/2 + 1)
        for response in responses:  # one phase at a time keeps the chunk in cache
            output = scipy.fft.irfft(spectra * response, _FRAME, axis=1, overwrite_x=True)
            # Circular wrap-around spoils the first taps - 1 values of each frame.
            valid = output[:, taps - 1 :]
            if chunk[-1] == frames - 1:
                valid[-1, last_frame_outputs:] = 0.0
            highest = max(highest, float(valid.max()), -float(valid.min()))
    return highest
