"""Time-stretching and pitch-shifting recorded audio: a phase vocoder in numpy.

:func:`time_stretch` changes duration without changing pitch (the phase vocoder of
Flanagan & Golden, with the phase propagation of Laroche & Dolson's "identity phase
locking" left out for simplicity: each bin advances by its own measured frequency);
:func:`pitch_shift` stretches by the pitch ratio and resamples back to the original
length, so the duration is kept and the pitch moves. Both work on each channel alone.
Quality is that of a plain phase vocoder: fine for loops within a few semitones and
about 25% of tempo; transients smear a little beyond that.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from bandmate.loops.errors import LoopError

N_FFT = 2048
HOP = 512
MIN_RATE, MAX_RATE = 0.5, 2.0
MAX_SEMITONES = 12
BLOCK = 512
"""Output frames computed at once."""


def _stft(y: NDArray[np.float32], window: NDArray[np.float32]) -> NDArray[np.complex64]:
    padded = np.pad(y, (N_FFT // 2, N_FFT // 2 + N_FFT))
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP] * window
    # numpy 2 transforms float32 in single precision: the cast copies nothing.
    return np.asarray(np.fft.rfft(frames, axis=1), dtype=np.complex64)  # (frames, bins)


def _overlap_add(frames: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum frames [shape=(count, N_FFT)] placed every HOP samples (N_FFT = 4 HOP)."""
    count, parts = len(frames), N_FFT // HOP
    blocks = frames.reshape(count, parts, HOP)
    out = np.zeros((count + parts - 1, HOP))
    for k in range(parts):  # block k of frame i lands in hop slot i + k
        out[k : k + count] += blocks[:, k, :]
    return out.reshape(-1)


def _istft(
    spectrum: NDArray[np.complexfloating], window: NDArray[np.float32], length: int
) -> NDArray[np.float64]:
    frames = np.fft.irfft(spectrum, n=N_FFT, axis=1) * window  # (frames, N_FFT)
    out = _overlap_add(frames)
    norm = _overlap_add(np.broadcast_to(window**2, frames.shape))
    out /= np.where(norm > 1e-8, norm, 1.0)
    result: NDArray[np.float64] = out[N_FFT // 2 : N_FFT // 2 + length]
    if len(result) < length:
        result = np.pad(result, (0, length - len(result)))
    return result


def _stretch_channel(y: NDArray[np.float64], rate: float) -> NDArray[np.float64]:
    window = scipy.signal.get_window("hann", N_FFT, fftbins=True).astype(np.float32)
    spectrum = _stft(y.astype(np.float32), window)
    # Single precision from here: plenty for audio, and twice as fast as double.
    magnitude = np.abs(spectrum).astype(np.float32)
    phase = np.angle(spectrum).astype(np.float32)
    steps = np.arange(0, len(spectrum) - 1, rate)  # fractional frame positions read
    bins = np.arange(N_FFT // 2 + 1, dtype=np.float32)
    expected = np.float32(2 * np.pi * HOP / N_FFT) * bins  # phase advance per hop
    two_pi = np.float32(2 * np.pi)
    out = np.empty((len(steps), spectrum.shape[1]), dtype=np.complex64)
    acc = phase[0].copy()
    # Blocks of output frames keep the temporaries small for long files.
    for first in range(0, len(steps), BLOCK):
        step = steps[first : first + BLOCK]
        j = step.astype(np.int64)
        frac = (step - j).astype(np.float32)[:, None]
        mag = (1 - frac) * magnitude[j] + frac * magnitude[j + 1]  # (block, bins)
        delta = phase[j + 1] - phase[j] - expected
        delta -= two_pi * np.round(delta / two_pi)
        # Each frame's phase: the running sum of the measured frequencies before it.
        # Increments and the carried phase are wrapped to 0..2π so that single precision
        # keeps its accuracy however long the file is.
        advance = np.cumsum(np.mod(expected + delta, two_pi), axis=0)
        before = np.vstack([acc[None, :], acc + advance[:-1]])
        out[first : first + len(step)] = mag * np.exp(1j * before)
        acc = np.mod(acc + advance[-1], two_pi)
    length = round(len(y) / rate)
    return _istft(out, window, length)


def _as_frames(audio: NDArray[np.floating]) -> NDArray[np.float64]:
    frames = np.asarray(audio, dtype=np.float64)
    if frames.ndim == 1:
        frames = frames[:, None]
    if frames.ndim != 2 or frames.shape[0] == 0 or not 1 <= frames.shape[1] <= 8:
        raise LoopError(f"audio shape={np.shape(audio)} must be (n>0,) or (n>0, 1..8)")
    if not np.isfinite(frames).all():
        raise LoopError("audio holds NaN or infinity")
    return frames


def time_stretch(audio: NDArray[np.floating], rate: float) -> NDArray[np.float32]:
    """Play ``audio`` ``rate`` times as fast without changing its pitch.

    Args:
        audio: Samples [shape=(n,) or (n, channels)].
        rate: Speed factor, 0.5..2 (2: half as long).

    Returns:
        float32 samples [shape=(round(n / rate), channels)] (2-D even for mono input).

    Raises:
        LoopError: for a rate out of range or unusable audio.
    """
    if not (math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE):
        raise LoopError(f"rate={rate} must be in {MIN_RATE}..{MAX_RATE}")
    frames = _as_frames(audio)
    if abs(rate - 1.0) < 1e-6:
        return frames.astype(np.float32)
    channels = [_stretch_channel(frames[:, c], rate) for c in range(frames.shape[1])]
    return np.stack(channels, axis=1).astype(np.float32)


def pitch_shift(audio: NDArray[np.floating], semitones: float) -> NDArray[np.float32]:
    """Move ``audio`` by ``semitones`` keeping its duration.

    Args:
        audio: Samples [shape=(n,) or (n, channels)].
        semitones: -12..12.

    Returns:
        float32 samples [shape=(n, channels)].

    Raises:
        LoopError: for a shift out of range or unusable audio.
    """
    if not (math.isfinite(semitones) and abs(semitones) <= MAX_SEMITONES):
        raise LoopError(f"semitones={semitones} must be in -{MAX_SEMITONES}..{MAX_SEMITONES}")
    frames = _as_frames(audio)
    if semitones == 0:
        return frames.astype(np.float32)
    ratio = 2.0 ** (semitones / 12.0)
    # Longer by the ratio at the same pitch, then squeezed back: the pitch rises by it.
    longer = time_stretch(frames, 1.0 / ratio).astype(np.float64)
    n = len(frames)
    positions = np.linspace(0.0, len(longer) - 1, n)
    out = np.stack(
        [
            np.interp(positions, np.arange(len(longer)), longer[:, c])
            for c in range(frames.shape[1])
        ],
        axis=1,
    )
    return out.astype(np.float32)


def transform(
    audio: NDArray[np.floating], *, semitones: float = 0.0, rate: float = 1.0
) -> NDArray[np.float32]:
    """Pitch-shift then time-stretch (each skipped when neutral)."""
    shifted = pitch_shift(audio, semitones)
    return time_stretch(shifted, rate)
