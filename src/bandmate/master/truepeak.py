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

import numpy as np
from numpy.typing import NDArray

from bandmate.master._checks import check_audio, check_sample_rate
from bandmate.master._polyphase import valid_peak

TRUE_PEAK_RATE = 176_400
"""Oversampled rate (Hz) the true-peak meter reaches at least."""


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


def true_peak_amplitude(
    samples: NDArray[np.float64],
    factor: int,
    peak: float,
    *,
    bounds: tuple[int, NDArray[np.float64]] | None = None,
) -> float:
    """Highest interpolated absolute value of checked ``samples`` [shape=(n, channels)].

    ``factor`` is the oversampling factor and ``peak`` the sample peak amplitude.
    ``bounds`` is ``(block, ceiling)``: for each block of ``block`` frames, a level that no
    point after one of its samples exceeds in any channel; stretches below the highest
    point found so far are then skipped without computing them (see
    :func:`bandmate.master._polyphase.valid_peak`).
    """
    if factor == 1 or peak == 0.0:
        return peak
    highest = peak
    for channel in samples.T:
        highest = valid_peak(channel, factor, floor=highest, peak=peak, bounds=bounds)
    return highest


def amplitude_to_db(amplitude: float) -> float:
    """Convert a linear amplitude (full scale 1.0) to dB; ``-inf`` for 0."""
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else -math.inf
