"""Input checks shared by the meters: one place that says what audio and rates are accepted."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from bandmate.errors import MasterError

MIN_SAMPLE_RATE = 8_000
"""Lowest accepted sample rate in Hz."""

MAX_SAMPLE_RATE = 384_000
"""Highest accepted sample rate in Hz."""

MAX_CHANNELS = 8
"""Most channels a meter accepts (7.1)."""


def check_sample_rate(sample_rate: float) -> float:
    """Return ``sample_rate`` as a float after checking it is a rate we can meter.

    Args:
        sample_rate: Samples per second, in Hz.

    Returns:
        The sample rate in Hz.

    Raises:
        MasterError: if it is not a finite number in 8000..384000 Hz.
    """
    if isinstance(sample_rate, bool) or not isinstance(
        sample_rate, int | float | np.integer | np.floating
    ):
        raise MasterError(f"sample_rate={sample_rate!r} must be a number of Hz")
    rate = float(sample_rate)
    if not (math.isfinite(rate) and MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE):
        raise MasterError(
            f"sample_rate={sample_rate!r} must be in {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz"
        )
    return rate


def check_audio(audio: NDArray[np.floating]) -> NDArray[np.float64]:
    """Return ``audio`` as a float64 array of shape ``(n, channels)`` after checking it.

    Args:
        audio: Samples, nominally in [-1, 1] (full scale is 1.0)
            [shape=(n,) or (n, channels)], any floating dtype. A 1-D array is one channel.

    Returns:
        The samples [shape=(n, channels)], float64; a view when no copy is needed.

    Raises:
        MasterError: if it is not a floating-point array, has more than two dimensions,
            has 0 or more than 8 channels, or holds NaN or infinity.
    """
    if not isinstance(audio, np.ndarray):
        raise MasterError(f"audio of type {type(audio).__name__} must be a numpy array")
    if not np.issubdtype(audio.dtype, np.floating):
        raise MasterError(
            f"audio dtype={audio.dtype} must be floating point (scale integer PCM to [-1, 1])"
        )
    if audio.ndim == 1:
        audio = audio[:, np.newaxis]
    elif audio.ndim != 2:
        raise MasterError(f"audio.ndim={audio.ndim} must be 1 or 2 (shape (n,) or (n, channels))")
    channels = audio.shape[1]
    if not 1 <= channels <= MAX_CHANNELS:
        hint = " (is it (channels, n)? pass audio.T)" if audio.shape[0] <= MAX_CHANNELS else ""
        raise MasterError(
            f"audio has {channels} channels (shape {audio.shape}); "
            f"must be 1..{MAX_CHANNELS} in shape (n, channels){hint}"
        )
    samples = audio.astype(np.float64, copy=False)
    # A finite sum proves every sample finite (NaN or infinity would spread to it); only
    # otherwise (a bad sample, or an overflowing sum) is each sample checked.
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(samples)) if samples.size else 0.0
    if math.isfinite(total):
        return samples
    finite = np.isfinite(samples)
    if not finite.all():
        bad = int(np.count_nonzero(~finite))
        frame, channel = (int(i) for i in np.argwhere(~finite)[0])
        raise MasterError(
            f"audio holds {bad} NaN or infinite samples (first at frame {frame}, "
            f"channel {channel}); every sample must be finite"
        )
    return samples
