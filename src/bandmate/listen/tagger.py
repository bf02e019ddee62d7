"""Style, mood and instrument tags from musicnn, re-implemented in NumPy.

musicnn (Pons & Serra, 2019; ISC licence) is a musically motivated CNN trained to tag
3-second excerpts. Its weights ship in the ``musicnn`` wheel as TensorFlow checkpoints;
``scripts/convert_musicnn.py`` converted them once to the ``.npz`` files in
``bandmate/listen/models/`` (see ``docs/models/musicnn.md``), so neither TensorFlow nor
torch is needed here: the network is a few convolutions and matrix products.

Two models, same architecture, 50 tags each:

- ``MTT_musicnn``: MagnaTagATune (genres, instruments, voices, tempo and loudness words);
- ``MSD_musicnn``: Million Song Dataset / Last.fm (genres, moods, decades).

The front end is musicnn's own: the mono mix at 16 kHz, 512-point STFT (periodic Hann,
zero-padded centred frames) every 256 samples, power, 96 Slaney mel bands (0..8 kHz), the
mel energies rounded to float16 and compressed as ``log10(10000 x + 1)`` (as
``musicnn.extractor.batch_data`` does). Mel energies beyond float16's range (65504, far
above full-scale music) saturate there instead of becoming infinite.

The track is cut into non-overlapping 187-frame (3 s) patches as musicnn does; when there
are more than ``max_patches``, that many are taken evenly spread over the track (the
first and the last included), which bounds the cost of long files. A clip shorter than
3 s is repeated to fill one patch (the "repeat-pad" musicnn was trained with). Each
patch's sigmoid scores are averaged over the patches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from math import ceil, gcd
from typing import Literal

import numpy as np
import scipy.fft
import scipy.signal
from numpy.typing import NDArray

from bandmate.listen.errors import ListenError

TAGGER_VERSION = "musicnn-0.1.0/1"
"""Names the weights and the front end; part of the analysis cache key."""
SAMPLE_RATE = 16_000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187
"""Frames per patch: 3 s at 16 kHz, hop 256 (``librosa.time_to_frames(3) + 1``)."""
PATCH_SECONDS = PATCH_FRAMES * HOP / SAMPLE_RATE
_BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default
_FILTER_HALF = 32  # half-length of the resampling filter, in output samples
_BATCH = 8  # patches per forward pass: bounds the im2col buffers (~170 MB at 8)

ModelName = Literal["MTT_musicnn", "MSD_musicnn"]
Float32 = NDArray[np.float32]

TAG_KINDS: dict[str, str] = {
    # MagnaTagATune
    "classical": "genre", "techno": "genre", "electronic": "genre", "rock": "genre",
    "ambient": "genre", "indian": "genre", "opera": "genre", "pop": "genre",
    "classic": "genre", "new age": "genre", "dance": "genre", "country": "genre",
    "metal": "genre", "choral": "genre",
    "slow": "mood", "fast": "mood", "loud": "mood", "quiet": "mood", "soft": "mood",
    "weird": "mood",
    "guitar": "instrument", "strings": "instrument", "drums": "instrument",
    "piano": "instrument", "violin": "instrument", "synth": "instrument",
    "harpsichord": "instrument", "flute": "instrument", "sitar": "instrument",
    "harp": "instrument", "cello": "instrument", "beat": "instrument",
    "beats": "instrument", "solo": "instrument",
    "vocal": "voice", "female": "voice", "male": "voice", "singing": "voice",
    "vocals": "voice", "no vocals": "voice", "woman": "voice", "male vocal": "voice",
    "no vocal": "voice", "man": "voice", "choir": "voice", "voice": "voice",
    "male voice": "voice", "female vocal": "voice", "no voice": "voice",
    "female voice": "voice",
    # Million Song Dataset (Last.fm)
    "alternative": "genre", "indie": "genre", "alternative rock": "genre", "jazz": "genre",
    "classic rock": "genre", "soul": "genre", "indie rock": "genre", "electronica": "genre",
    "folk": "genre", "punk": "genre", "blues": "genre", "hard rock": "genre",
    "acoustic": "genre", "experimental": "genre", "Hip-Hop": "genre",
    "easy listening": "genre", "funk": "genre", "electro": "genre", "heavy metal": "genre",
    "Progressive rock": "genre", "rnb": "genre", "indie pop": "genre", "House": "genre",
    "instrumental": "voice", "female vocalists": "voice", "male vocalists": "voice",
    "female vocalist": "voice",
    "beautiful": "mood", "chillout": "mood", "Mellow": "mood", "chill": "mood",
    "party": "mood", "sexy": "mood", "catchy": "mood", "sad": "mood", "happy": "mood",
    "00s": "era", "80s": "era", "90s": "era", "70s": "era", "60s": "era", "oldies": "era",
}  # fmt: skip
"""What each tag describes: ``genre`` (style), ``mood``, ``instrument``, ``voice``, ``era``."""


@dataclass(frozen=True, slots=True, eq=False)
class TagScores:
    """Tag probabilities of one model, averaged over the patches it heard.

    Attributes:
        model: ``"MTT_musicnn"`` or ``"MSD_musicnn"``.
        tags: The model's 50 tag names.
        scores: Mean sigmoid output per tag [shape=(50,)], 0..1.
        patches: Per-patch scores [shape=(patches, 50)].
        starts: Start time of each patch, seconds [shape=(patches,)].
    """

    model: str
    tags: tuple[str, ...]
    scores: NDArray[np.float64]
    patches: Float32
    starts: NDArray[np.float64]

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` highest-scoring tags as (name, score), best first."""
        order = np.argsort(-self.scores, kind="stable")[:n]
        return [(self.tags[i], float(self.scores[i])) for i in order]


@dataclass(frozen=True, slots=True, eq=False)
class _Net:
    tags: tuple[str, ...]
    w: dict[str, Float32]


@cache
def _load(model: ModelName) -> _Net:
    """The converted weights of ``model`` (read once per process)."""
    source = resources.files("bandmate.listen").joinpath("models", f"{model}.npz")
    try:
        with resources.as_file(source) as path, np.load(path, allow_pickle=False) as archive:
            tags = tuple(str(t) for t in archive["__tags__"])
            w = {
                k: np.ascontiguousarray(archive[k], dtype=np.float32)
                for k in archive.files
                if k != "__tags__"
            }
    except (OSError, KeyError, ValueError) as exc:
        raise ListenError(
            f"tagger weights bandmate/listen/models/{model}.npz are missing or damaged "
            f"(reinstall bandmate): {exc}"
        ) from exc
    return _Net(tags=tags, w=w)


@cache
def mel_filters() -> Float32:
    """librosa's default mel filterbank for musicnn: 96 Slaney bands, 0..8 kHz, Slaney
    area normalization [shape=(257, 96)] (transposed, for ``power @ filters``)."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - freqs[None, :]
    weights = np.zeros((N_MELS, len(freqs)))
    for i in range(N_MELS):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return np.ascontiguousarray(weights.T, dtype=np.float32)


def _hz_to_mel(hz: float) -> float:
    # Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
    if hz < 1000.0:
        return hz * 3.0 / 200.0
    return 15.0 + math.log(hz / 1000.0) / (math.log(6.4) / 27.0)


def _mel_to_hz(mels: NDArray[np.float64]) -> NDArray[np.float64]:
    linear = mels * 200.0 / 3.0
    log = 1000.0 * np.exp(np.log(6.4) / 27.0 * (mels - 15.0))
    out: NDArray[np.float64] = np.where(mels >= 15.0, log, linear)
    return out


def log_mel(y: Float32) -> Float32:
    """musicnn's input representation of a 16 kHz mono signal.

    Args:
        y: Mono signal at 16 kHz [shape=(n,)], float32.

    Returns:
        ``log10(10000 * mel + 1)`` of the float16-rounded mel energies
        [shape=(1 + n // 256, 96)], float32.
    """
    frames = _power_frames(np.asarray(y, dtype=np.float32), 1 + len(y) // HOP)
    return _compress(frames @ mel_filters())


def _power_frames(padded_source: Float32, count: int, offset: int = 0) -> Float32:
    """Power spectra of ``count`` centred frames, frame k centred on sample
    ``offset + k * HOP`` of ``padded_source`` (zeros outside it) [shape=(count, 257)]."""
    start = offset - N_FFT // 2
    stop = offset + (count - 1) * HOP + N_FFT // 2
    lo, hi = max(start, 0), min(stop, len(padded_source))
    segment = np.zeros(stop - start, dtype=np.float32)
    if hi > lo:
        segment[lo - start : hi - start] = padded_source[lo:hi]
    views = np.lib.stride_tricks.sliding_window_view(segment, N_FFT)[::HOP][:count]
    spectrum = scipy.fft.rfft(views * _window(), axis=1)
    power: Float32 = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return power


@cache
def _window() -> Float32:
    window: Float32 = scipy.signal.get_window("hann", N_FFT, fftbins=True).astype(np.float32)
    return window


def _compress(mel: Float32) -> Float32:
    """Round to float16, then ``log10(10000 x + 1)`` in float32, as musicnn does under
    NumPy 1.x (whose value-based casting lifts ``10000 * float16`` to float32)."""
    biggest = np.finfo(np.float16).max  # musicnn would get infinity above this
    half = np.minimum(mel, biggest).astype(np.float16).astype(np.float32)
    out: Float32 = np.log10(np.float32(10000) * half + np.float32(1))
    return out


def patch_starts(total_frames: int, max_patches: int | None) -> NDArray[np.int64]:
    """First frame of each patch: musicnn's non-overlapping grid, thinned to at most
    ``max_patches`` spread evenly (first and last kept); ``[0]`` for a short clip."""
    if total_frames <= PATCH_FRAMES:
        return np.zeros(1, dtype=np.int64)
    grid = np.arange(0, total_frames - PATCH_FRAMES + 1, PATCH_FRAMES, dtype=np.int64)
    if max_patches is None or len(grid) <= max_patches:
        return grid
    if max_patches == 1:
        return grid[len(grid) // 2 : len(grid) // 2 + 1]
    pick = np.round(np.linspace(0, len(grid) - 1, max_patches)).astype(np.int64)
    out: NDArray[np.int64] = grid[pick]
    return out


def tag_audio(
    samples: NDArray[np.floating],
    sample_rate: int,
    *,
    model: ModelName = "MTT_musicnn",
    max_patches: int | None = 8,
) -> TagScores:
    """Tag a recording with one musicnn model.

    Args:
        samples: Audio [shape=(n,) or (n, channels)], full scale 1.0.
        sample_rate: Its rate, 8000..192000 Hz (resampled to 16 kHz with a polyphase
            filter, patch by patch).
        model: ``"MTT_musicnn"`` or ``"MSD_musicnn"``.
        max_patches: At most this many 3-second patches, spread over the track
            (``None``: every patch, as musicnn does).

    Returns:
        The scores.

    Raises:
        ListenError: for empty audio, a bad rate or shape, NaN/infinity, an unknown
            model or a ``max_patches`` below 1.
    """
    if model not in ("MTT_musicnn", "MSD_musicnn"):
        raise ListenError(f"model={model!r} must be 'MTT_musicnn' or 'MSD_musicnn'")
    if max_patches is not None and max_patches < 1:
        raise ListenError(f"max_patches={max_patches} must be at least 1")
    if not 8_000 <= sample_rate <= 192_000:
        raise ListenError(f"sample_rate={sample_rate} must be in 8000..192000 Hz")
    array = np.asarray(samples, dtype=np.float32)
    if array.size == 0:
        raise ListenError(f"samples shape={array.shape} are empty: nothing to tag")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ListenError(f"samples shape={array.shape} must be (n,) or (n, channels)")
    for block in range(0, len(array), 1 << 20):  # in blocks: no track-sized temporary
        if not np.isfinite(array[block : block + (1 << 20)]).all():
            raise ListenError("samples hold NaN or infinity")
    common = gcd(SAMPLE_RATE, sample_rate)
    up, down = SAMPLE_RATE // common, sample_rate // common
    length16 = ceil(len(array) * up / down)
    total = 1 + length16 // HOP
    starts = patch_starts(total, max_patches)
    specs = np.empty((len(starts), PATCH_FRAMES, N_MELS), dtype=np.float32)
    for i, first in enumerate(starts):
        count = min(PATCH_FRAMES, total - int(first))
        y, offset = _segment16(array, int(first) * HOP, count, up, down)
        rep = _compress(_power_frames(y, count, offset) @ mel_filters())
        if count < PATCH_FRAMES:  # a short clip: repeat it to fill the patch
            rep = np.resize(rep, (PATCH_FRAMES, N_MELS))
        specs[i] = rep
    net = _load(model)
    scores = np.concatenate(
        [forward(specs[i : i + _BATCH], net.w) for i in range(0, len(specs), _BATCH)]
    )
    return TagScores(
        model=model,
        tags=net.tags,
        scores=scores.astype(np.float64).mean(axis=0),
        patches=scores,
        starts=starts.astype(np.float64) * (HOP / SAMPLE_RATE),
    )


def _mix(frames: Float32, lo: int, hi: int) -> Float32:
    """The mean of the channels over rows ``lo..hi`` [shape=(hi - lo,)], zeros outside."""
    out = np.zeros(hi - lo, dtype=np.float32)
    a, b = max(lo, 0), min(hi, len(frames))
    if b > a:
        # Channel by channel, as librosa.to_mono's mean, without a big temporary.
        for channel in range(frames.shape[1]):
            out[a - lo : b - lo] += frames[a:b, channel]
        out /= np.float32(frames.shape[1])
    return out


def _segment16(frames: Float32, centre: int, count: int, up: int, down: int) -> tuple[Float32, int]:
    """The 16 kHz mono samples that ``count`` STFT frames from the one centred on 16 kHz
    sample ``centre`` need, and the offset of ``centre`` in them. Only that stretch (plus
    a margin for the filter) is mixed and resampled; its start sits on the whole track's
    output grid, so patch by patch equals resampling the whole track."""
    if up == down:
        lo = max(centre - N_FFT // 2, 0)
        return _mix(frames, lo, centre + (count - 1) * HOP + N_FFT // 2), centre - lo
    margin = 2 * _FILTER_HALF  # output samples: beyond the anti-aliasing filter's reach
    want_lo = centre - N_FFT // 2 - margin
    want_hi = centre + (count - 1) * HOP + N_FFT // 2 + margin
    lo_blocks = want_lo // up  # output block b (up samples) starts at input sample b * down
    hi_blocks = -(-want_hi // up)
    piece = _mix(frames, lo_blocks * down, hi_blocks * down)
    y = scipy.signal.resample_poly(piece, up, down, window=_lowpass(up, down))
    y = y.astype(np.float32)
    out_lo = lo_blocks * up
    # Output samples past the end of the track are zeros in the whole-track version too.
    end16 = ceil(len(frames) * up / down)
    if end16 < out_lo + len(y):
        y[max(end16 - out_lo, 0) :] = 0.0
    return y, centre - out_lo


@cache
def _lowpass(up: int, down: int) -> NDArray[np.float64]:
    """The anti-aliasing filter for ``up / down`` resampling: pass band to 95 % of the
    lower Nyquist, Kaiser window (beta 8.6), ``_FILTER_HALF`` output samples each side.
    Sharper than ``resample_poly``'s default, whose roll-off starts well below Nyquist and
    would dim the top mel bands; close to the high-quality resamplers (soxr, resampy)
    musicnn's librosa front end uses."""
    widest = max(up, down)
    taps = 2 * _FILTER_HALF * widest + 1
    return np.asarray(scipy.signal.firwin(taps, 0.95 / widest, window=("kaiser", 8.6)))


def _bn(x: Float32, w: dict[str, Float32], name: str, axis: int) -> Float32:
    """Inference batch norm over ``axis`` with the moving statistics."""
    scale = w[f"{name}/gamma"] / np.sqrt(w[f"{name}/moving_variance"] + _BN_EPSILON)
    shift = w[f"{name}/beta"] - w[f"{name}/moving_mean"] * scale
    shape = [1] * x.ndim
    shape[axis] = -1
    out: Float32 = x * scale.reshape(shape) + shift.reshape(shape)
    return out


def _conv_time(x: Float32, kernel: Float32, bias: Float32, pad: tuple[int, int]) -> Float32:
    """A 'valid' convolution over time after zero padding, full width in features.

    Args:
        x: [shape=(B, T, F)].
        kernel: TensorFlow layout [shape=(K, F, 1, C)].
        bias: [shape=(C,)].
        pad: Frames of zeros before and after.

    Returns:
        ReLU of the convolution [shape=(B, T + pad - K + 1, C)].
    """
    k, f, _, c = kernel.shape
    padded = np.pad(x, ((0, 0), pad, (0, 0)))
    cols = np.lib.stride_tricks.sliding_window_view(padded, k, axis=1)  # (B, T', F, K)
    b, t = cols.shape[:2]
    flat = np.ascontiguousarray(cols.transpose(0, 1, 3, 2)).reshape(b * t, k * f)
    out: Float32 = np.maximum(flat @ kernel.reshape(k * f, c) + bias, 0.0).reshape(b, t, c)
    return out


def _pool_block(pre: Float32, w: dict[str, Float32], conv: str, bn: str) -> Float32:
    """ReLU, batch norm and max over frequency of a convolution's output
    [shape=(B, T, F, C), bias not yet added] -> [shape=(B, T, C)].

    The three commute with the pooling up to a choice: ReLU and adding the bias are
    monotonic, and the affine batch norm is increasing where its scale is positive and
    decreasing where it is negative. So the maximum over frequency after them is the
    maximum (or, for a negative scale, the minimum) before them, which spares three passes
    over the big tensor.
    """
    scale = w[f"{bn}/gamma"] / np.sqrt(w[f"{bn}/moving_variance"] + _BN_EPSILON)
    extreme = np.where(scale >= 0, pre.max(axis=2), pre.min(axis=2))  # (B, T, C)
    active = np.maximum(extreme + w[f"{conv}/bias"], 0.0)
    return _bn(active.astype(np.float32), w, bn, axis=2)


def _timbral(x: Float32, w: dict[str, Float32], conv: str, bn: str) -> Float32:
    """Conv (7 x width) over the mel patch, ReLU, BN, max over frequency [(B, T, C)]."""
    kernel = w[f"{conv}/kernel"]  # (7, width, 1, C)
    k, width, _, c = kernel.shape
    padded = np.pad(x, ((0, 0), (3, 3), (0, 0)))  # (B, T + 6, 96)
    cols = np.lib.stride_tricks.sliding_window_view(padded, (k, width), axis=(1, 2))
    b, t, fr = cols.shape[:3]  # (B, T, 96 - width + 1, 7, width)
    flat = cols.reshape(b * t * fr, k * width)
    pre = (flat @ kernel.reshape(k * width, c)).reshape(b, t, fr, c)
    return _pool_block(pre, w, conv, bn)


def _temporal(x: Float32, w: dict[str, Float32], conv: str, bn: str) -> Float32:
    """Conv (K x 1) along time on each mel band ('same' padding as TensorFlow pads),
    ReLU, BN, max over frequency [(B, T, C)]."""
    kernel = w[f"{conv}/kernel"]  # (K, 1, 1, C)
    k, _, _, c = kernel.shape
    before = (k - 1) // 2
    padded = np.pad(x, ((0, 0), (before, k - 1 - before), (0, 0)))
    cols = np.lib.stride_tricks.sliding_window_view(padded, k, axis=1)  # (B, T, 96, K)
    b, t, f = cols.shape[:3]
    flat = cols.reshape(b * t * f, k)  # a copy: contiguous rows for one BLAS product
    pre = (flat @ kernel.reshape(k, c)).reshape(b, t, f, c)
    return _pool_block(pre, w, conv, bn)


def forward(specs: Float32, w: dict[str, Float32]) -> Float32:
    """musicnn's network on log-mel patches.

    Args:
        specs: Patches [shape=(B, T, 96)] (T = 187 for the trained length).
        w: The converted weights, TensorFlow names.

    Returns:
        Sigmoid tag scores [shape=(B, 50)].
    """
    x = _bn(specs.astype(np.float32), w, "batch_normalization", axis=2)  # (B, T, 96)
    front = np.concatenate(
        [
            _timbral(x, w, "conv2d", "batch_normalization_1"),  # (B, T, 204), 7 x 38
            _timbral(x, w, "conv2d_1", "batch_normalization_2"),  # (B, T, 204), 7 x 67
            _temporal(x, w, "conv2d_2", "batch_normalization_3"),  # (B, T, 51), 128 x 1
            _temporal(x, w, "conv2d_3", "batch_normalization_4"),  # (B, T, 51), 64 x 1
            _temporal(x, w, "conv2d_4", "batch_normalization_5"),  # (B, T, 51), 32 x 1
        ],
        axis=2,
    )  # (B, T, 561)
    mid1 = _bn(_conv_time(front, w["conv2d_5/kernel"], w["conv2d_5/bias"], (3, 3)),
               w, "batch_normalization_6", axis=2)  # fmt: skip
    mid2 = _bn(_conv_time(mid1, w["conv2d_6/kernel"], w["conv2d_6/bias"], (3, 3)),
               w, "batch_normalization_7", axis=2) + mid1  # fmt: skip
    mid3 = _bn(_conv_time(mid2, w["conv2d_7/kernel"], w["conv2d_7/bias"], (3, 3)),
               w, "batch_normalization_8", axis=2) + mid2  # fmt: skip
    features = np.concatenate([front, mid1, mid2, mid3], axis=2)  # (B, T, 753)
    # TensorFlow concatenates [max, mean] on a last axis of 2, then flattens: interleaved.
    pooled = np.stack([features.max(axis=1), features.mean(axis=1)], axis=2)
    flat = _bn(pooled.reshape(len(specs), -1), w, "batch_normalization_9", axis=1)  # (B, 1506)
    dense = np.maximum(flat @ w["dense/kernel"] + w["dense/bias"], 0.0)
    dense = _bn(dense, w, "batch_normalization_10", axis=1)  # (B, 200)
    logits = dense @ w["dense_1/kernel"] + w["dense_1/bias"]  # (B, 50)
    out: Float32 = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    return out
