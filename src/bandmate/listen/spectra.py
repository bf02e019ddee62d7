"""Spectral features of a mono signal: onset strength, chroma, spectral centroid.

All functions take the mono mix at the analysis rate and work in blocks of frames, so a
30-minute file never holds a full spectrogram in memory. Frame ``k`` of a feature is
centred at ``k * hop / sample_rate`` seconds (the signal is zero-padded by half a window
at both ends, as librosa's ``center=True`` does).

The analysis rate is the file's rate divided by a whole number, 11025..16000 Hz (see
:func:`bandmate.listen.decode.analysis_rate_for`; 8000 Hz files stay at 8000): music's pitch
and rhythm live well below 5.5 kHz, and half the samples of 22050 Hz halve the cost.

- Onset strength: spectral flux (half-wave rectified rise of band power in dB, floored
  80 dB below the loudest band) averaged over 64 log-spaced bands from 30 Hz to just under
  Nyquist, 512-sample windows every 256 samples (23 ms at 11025 Hz), as librosa's
  ``onset_strength`` does on a mel spectrogram.
- Chroma: a pitch spectrogram (semitone bands, MIDI 36..95, i.e. C2..B6) from
  4096-sample windows (2.7 Hz bins at 11025 Hz) every 512 samples (46 ms),
  log-compressed; folded to 12 pitch classes, once for the bass register
  (MIDI 36..59) and once for the rest (MIDI 48..95).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.fft
import scipy.signal
from numpy.typing import NDArray

ONSET_FFT = 512
ONSET_HOP = 256
ONSET_BANDS = 64
CHROMA_FFT = 4096
CHROMA_HOP = 512
"""Hop of the chroma frames, samples (46 ms at 11025 Hz)."""
LOW_MIDI = 36
HIGH_MIDI = 96  # exclusive
BASS_HIGH_MIDI = 60  # exclusive
TREBLE_LOW_MIDI = 48
_BLOCK = 2048  # frames per block

Float32 = NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class OnsetFeatures:
    """Frame-wise rhythm and timbre features.

    Attributes:
        envelope: Onset strength [shape=(n,)], >= 0, one per ``hop / rate`` seconds.
        low_envelope: Onset strength of the bands below 200 Hz [shape=(n,)].
        rms: Root-mean-square level of each frame [shape=(n,)], full scale 1.0.
        centroid: Spectral centroid of each frame in Hz [shape=(n,)] (0 in silence).
        frame_rate: Frames per second.
    """

    envelope: Float32
    low_envelope: Float32
    rms: Float32
    centroid: Float32
    frame_rate: float


@dataclass(frozen=True, slots=True, eq=False)
class ChromaFeatures:
    """Frame-wise pitch-class energy.

    Attributes:
        treble: Chroma of MIDI 48..95 [shape=(n, 12)], log-compressed, >= 0.
        bass: Chroma of MIDI 36..59 [shape=(n, 12)], log-compressed, >= 0.
        frame_rate: Frames per second.
    """

    treble: Float32
    bass: Float32
    frame_rate: float


def _frames(y: Float32, n_fft: int, hop: int) -> Iterator[Float32]:
    """Blocks of windowed frames [shape=(block, n_fft)], centred, zero-padded."""
    padded = np.pad(y, (n_fft // 2, n_fft // 2))
    count = 1 + max(len(y) - 1, 0) // hop if len(y) else 0
    needed = (count - 1) * hop + n_fft
    if len(padded) < needed:
        padded = np.pad(padded, (0, needed - len(padded)))
    window = scipy.signal.get_window("hann", n_fft).astype(np.float32)
    views = np.lib.stride_tricks.sliding_window_view(padded, n_fft)
    for start in range(0, count, _BLOCK):
        stop = min(start + _BLOCK, count)
        yield views[start * hop : (stop - 1) * hop + 1 : hop] * window


@cache
def _band_matrix(n_fft: int, rate: int, bands: int, low: float, high: float) -> Float32:
    """Triangular log-spaced bands over rfft bins [shape=(bins, bands)]."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    edges = np.geomspace(low, high, bands + 2)
    matrix = np.zeros((len(freqs), bands), dtype=np.float32)
    for b in range(bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        matrix[:, b] = np.maximum(0.0, np.minimum(rise, fall))
    # Low bands narrower than a bin would be empty: give each its nearest bin.
    for b in range(bands):
        if not matrix[:, b].any():
            matrix[int(np.argmin(np.abs(freqs - edges[b + 1]))), b] = 1.0
    return matrix


@cache
def _pitch_matrix(n_fft: int, rate: int) -> Float32:
    """Semitone bands MIDI 36..95 over rfft bins [shape=(bins, 60)], unit peak each."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(np.maximum(freqs, 1e-6) / 440.0)
    pitches = np.arange(LOW_MIDI, HIGH_MIDI)
    distance = np.abs(midi[:, None] - pitches[None, :])
    # A narrow triangle: energy within half a semitone of the pitch; detuned partials
    # (beyond 0.5) fall between pitches instead of smearing into both neighbours.
    matrix: Float32 = np.maximum(0.0, 1.0 - 2.0 * distance).astype(np.float32)
    return matrix


def onset_features(
    y: Float32, rate: int, *, progress: Callable[[float], object] | None = None
) -> OnsetFeatures:
    """Onset strength, low-band onset strength, RMS and spectral centroid per frame.

    Args:
        y: Mono signal [shape=(n,)] at ``rate``.
        rate: Sample rate, Hz.
        progress: Called with the fraction done after each block.

    Returns:
        The features, ``1 + (n - 1) // 256`` frames.
    """
    top = rate / 2 - 50.0
    bands = _band_matrix(ONSET_FFT, rate, ONSET_BANDS, 30.0, top)
    freqs = np.fft.rfftfreq(ONSET_FFT, 1.0 / rate).astype(np.float32)
    low_bands = np.flatnonzero(np.geomspace(30.0, top, ONSET_BANDS + 2)[1:-1] < 200.0)
    logs: list[Float32] = []
    rms: list[Float32] = []
    centroid: list[Float32] = []
    total = max(len(y), 1)
    done = 0
    for block in _frames(y, ONSET_FFT, ONSET_HOP):
        power = np.abs(scipy.fft.rfft(block, axis=1)) ** 2
        logs.append((10.0 * np.log10(np.maximum(power @ bands, 1e-10))).astype(np.float32))
        energy = power.sum(axis=1)
        rms.append(np.sqrt(2.0 * energy / (ONSET_FFT * ONSET_FFT * 0.375)).astype(np.float32))
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(energy > 1e-12, (power @ freqs) / energy, 0.0)
        centroid.append(c.astype(np.float32))
        done += len(block)
        if progress is not None:
            progress(min(1.0, done * ONSET_HOP / total))
    if not logs:
        empty = np.zeros(0, dtype=np.float32)
        return OnsetFeatures(empty, empty, empty, empty, rate / ONSET_HOP)
    log_bands = np.concatenate(logs)
    np.maximum(log_bands, log_bands.max() - 80.0, out=log_bands)
    rise = np.maximum(0.0, np.diff(log_bands, axis=0, prepend=log_bands[:1]))
    envelope = rise.mean(axis=1)
    low = rise[:, low_bands].mean(axis=1) if len(low_bands) else np.zeros_like(envelope)
    return OnsetFeatures(
        envelope=envelope.astype(np.float32),
        low_envelope=low.astype(np.float32),
        rms=np.concatenate(rms),
        centroid=np.concatenate(centroid),
        frame_rate=rate / ONSET_HOP,
    )


def chroma_features(
    y: Float32, rate: int, *, progress: Callable[[float], object] | None = None
) -> ChromaFeatures:
    """Bass and treble chroma of a mono signal.

    Args:
        y: Mono signal [shape=(n,)] at ``rate``.
        rate: Sample rate, Hz.
        progress: Called with the fraction done after each block.

    Returns:
        The chroma, one frame per ``512 / rate`` seconds.
    """
    matrix = _pitch_matrix(CHROMA_FFT, rate)
    pitchgrams: list[Float32] = []
    total = max(len(y), 1)
    for block in _frames(y, CHROMA_FFT, CHROMA_HOP):
        magnitude = np.abs(scipy.fft.rfft(block, axis=1))
        pitchgrams.append(magnitude @ matrix)
        if progress is not None:
            progress(min(1.0, sum(len(x) for x in pitchgrams) * CHROMA_HOP / total))
    frame_rate = rate / CHROMA_HOP
    if not pitchgrams:
        empty = np.zeros((0, 12), dtype=np.float32)
        return ChromaFeatures(empty, empty, frame_rate)
    pitchgram = np.concatenate(pitchgrams)
    pitchgram = np.log1p(10.0 * pitchgram).astype(np.float32)
    treble = _fold(pitchgram, TREBLE_LOW_MIDI, HIGH_MIDI)
    bass = _fold(pitchgram, LOW_MIDI, BASS_HIGH_MIDI)
    return ChromaFeatures(treble=treble, bass=bass, frame_rate=frame_rate)


def _fold(pitchgram: Float32, low: int, high: int) -> Float32:
    """Sum the MIDI ``low..high-1`` columns into 12 pitch classes [shape=(n, 12)]."""
    chroma = np.zeros((len(pitchgram), 12), dtype=np.float32)
    for midi in range(low, high):
        chroma[:, midi % 12] += pitchgram[:, midi - LOW_MIDI]
    return chroma
