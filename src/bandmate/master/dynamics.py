"""Gain envelopes, a gentle linked bus compressor, and stereo width.

Dynamics here run on short blocks rather than single samples, with vectorized envelopes:

- A release envelope that falls at a constant rate in dB (``r`` dB per step) and jumps up
  at once is ``A[b] = max_{k<=b}(a[k] - r (b - k))``, which is a running maximum of
  ``a[k] + r k`` shifted back by ``r b``: one ``np.maximum.accumulate`` instead of a loop.
- Attack smoothing is a moving average of the gain reduction (a box filter).
- Block gains become sample gains by linear interpolation between block centres. The
  mastering chain does not apply the compressor's gain on its own: it hands the curve to
  the leveling stage, which applies compression, make-up gain and limiting in one pass.

The compressor's detector is the mean square of both channels together (linked, so the
stereo image does not wander), and its threshold is set from the track itself (4 dB under
the level its loudest 5 % of blocks reach), so it acts the same at any input level: a few
dB on the loudest moments, nothing in quiet passages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.ndimage
from numpy.typing import NDArray

from bandmate.master._blas import one_blas_thread

_WIDTH_CHUNK = 1 << 15  # frames per width product
_COMP_BLOCK_SECONDS = 0.005
_COMP_RELEASE_DB_PER_SECOND = 40.0
_COMP_ATTACK_SECONDS = 0.020
_COMP_KNEE_DB = 6.0
_COMP_PERCENTILE = 95.0
_COMP_BELOW_PERCENTILE_DB = 4.0
_AUDIBLE_DB = -70.0
MIN_WIDTH = 0.0
MAX_WIDTH = 2.0


def release_envelope(level_db: NDArray[np.float64], fall_per_step: float) -> NDArray[np.float64]:
    """Instant-attack envelope that falls at ``fall_per_step`` dB per element.

    Args:
        level_db: Levels, dB [shape=(n,)]; ``-inf`` allowed.
        fall_per_step: Release rate in dB per element, positive.

    Returns:
        The envelope, dB [shape=(n,)], never below ``level_db``.
    """
    ramp = fall_per_step * np.arange(len(level_db), dtype=np.float64)
    envelope: NDArray[np.float64] = np.maximum.accumulate(level_db + ramp) - ramp
    return envelope


def sliding_max(values: NDArray[np.float64], half_width: int) -> NDArray[np.float64]:
    """Maximum over the ``2 * half_width + 1`` elements centred on each element."""
    if half_width <= 0:
        return values.copy()
    result: NDArray[np.float64] = scipy.ndimage.maximum_filter1d(
        values, size=2 * half_width + 1, mode="nearest"
    )
    return result


def box_mean(values: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Centred moving average over ``size`` elements (edges repeat the end values)."""
    if size <= 1:
        return values.copy()
    result: NDArray[np.float64] = scipy.ndimage.uniform_filter1d(values, size=size, mode="nearest")
    return result


def block_gains_to_samples(
    gain: NDArray[np.float64], block: int, length: int
) -> NDArray[np.float64]:
    """Interpolate per-block gains to per-sample gains.

    Args:
        gain: One gain per block of ``block`` samples [shape=(n_blocks,)], linear.
        block: Samples per block.
        length: Number of samples wanted.

    Returns:
        Gains [shape=(length,)], linear between block centres and held at the ends.
    """
    centres = (np.arange(len(gain)) + 0.5) * block
    samples: NDArray[np.float64] = np.interp(np.arange(length), centres, gain)
    return samples


def block_mean_square(audio: NDArray[np.float64], block: int) -> NDArray[np.float64]:
    """Mean square of all channels together over consecutive blocks (the last one padded).

    Args:
        audio: Samples [shape=(n, channels)].
        block: Samples per block.

    Returns:
        Mean square per block [shape=(ceil(n / block),)].
    """
    full, rest = divmod(len(audio), block)
    channels = audio.shape[1]
    blocks = audio[: full * block].reshape(full, block, channels)
    power: NDArray[np.float64] = np.einsum("ijk,ijk->i", blocks, blocks) / (block * channels)
    if rest:
        tail = audio[full * block :]
        power = np.append(power, float(np.sum(np.square(tail))) / (block * channels))
    return power


@dataclass(frozen=True, slots=True, eq=False)
class BlockGain:
    """A gain curve in blocks.

    Attributes:
        gain_db: Gain of each block, dB [shape=(n_blocks,)].
        block: Samples per block (block ``k`` is centred on sample ``(k + 0.5) * block``).
    """

    gain_db: NDArray[np.float64]
    block: int

    def at(self, positions: NDArray[np.floating]) -> NDArray[np.float64]:
        """The gain (dB) at sample positions, linear between block centres."""
        centres = (np.arange(len(self.gain_db)) + 0.5) * self.block
        values: NDArray[np.float64] = np.interp(positions, centres, self.gain_db)
        return values


def compression_gain(
    audio: NDArray[np.float64], sample_rate: float, *, amount: float
) -> BlockGain | None:
    """The gain curve of gentle linked bus compression (``None`` when it does nothing).

    Args:
        audio: Samples [shape=(n, channels)].
        sample_rate: Sample rate in Hz.
        amount: 0.0 (off) to 1.0; the ratio is ``1 + amount`` (1.5:1 at 0.5).

    Returns:
        Gain per 5 ms block, dB (0 or negative).
    """
    if amount <= 0.0 or len(audio) == 0:
        return None
    block = max(1, round(_COMP_BLOCK_SECONDS * sample_rate))
    with np.errstate(divide="ignore"):
        level = 10.0 * np.log10(block_mean_square(audio, block))
    audible = level > _AUDIBLE_DB
    if audible.sum() < 10:
        return None
    threshold = float(np.percentile(level[audible], _COMP_PERCENTILE)) - _COMP_BELOW_PERCENTILE_DB
    envelope = release_envelope(level, _COMP_RELEASE_DB_PER_SECOND * block / sample_rate)
    over = envelope - threshold
    knee = _COMP_KNEE_DB
    # Soft knee: quadratic through the knee, then linear (slope 1 - 1/ratio).
    excess = np.where(
        over <= -knee / 2,
        0.0,
        np.where(over >= knee / 2, over, (over + knee / 2) ** 2 / (2 * knee)),
    )
    reduction = excess * (1.0 - 1.0 / (1.0 + amount))
    reduction = box_mean(reduction, max(1, round(_COMP_ATTACK_SECONDS * sample_rate / block)))
    return BlockGain(-reduction, block)


def compress(
    audio: NDArray[np.float64], sample_rate: float, *, amount: float
) -> tuple[NDArray[np.float64], float]:
    """Apply gentle linked bus compression (see :func:`compression_gain`).

    Returns:
        The compressed samples [shape=(n, channels)] and the largest gain reduction, dB.
    """
    gain = compression_gain(audio, sample_rate, amount=amount)
    if gain is None:
        return audio, 0.0
    linear = 10.0 ** (gain.at(np.arange(len(audio), dtype=np.float64)) / 20.0)
    return audio * linear[:, np.newaxis], float(-gain.gain_db.min())


def side_to_mid(audio: NDArray[np.float64]) -> float:
    """Ratio of side to mid RMS of a stereo signal (0.0 for mono or silence).

    Args:
        audio: Samples [shape=(n, channels)]; anything but two channels reads 0.0.
    """
    if audio.shape[1] != 2 or len(audio) == 0:
        return 0.0
    # One pass over the frames for all three products (a 2 x 2 Gram matrix in BLAS),
    # rather than three passes over strided columns.
    with one_blas_thread():
        gram = audio.T @ audio
    ll, rr, lr = float(gram[0, 0]), float(gram[1, 1]), float(gram[0, 1])
    mid_power, side_power = ll + rr + 2 * lr, ll + rr - 2 * lr  # 4x the mean squares
    if mid_power <= 0.0:
        return 0.0
    return math.sqrt(max(side_power, 0.0) / mid_power)


def set_width(
    audio: NDArray[np.float64], width: float, *, in_place: bool = False
) -> NDArray[np.float64]:
    """Scale the side signal of a stereo track.

    Args:
        audio: Samples [shape=(n, 2)]; other channel counts are returned unchanged.
        width: Side gain, 0.0 (mono) to 2.0; 1.0 leaves the track as it is.
        in_place: Change ``audio`` itself instead of a copy.

    Returns:
        Samples [shape=(n, channels)].
    """
    if audio.shape[1] != 2 or width == 1.0:
        return audio
    # L' = M + wS = L + (w - 1) S and R' = R - (w - 1) S, with S = (L - R) / 2: one 2 x 2
    # matrix per frame, applied a cache-sized chunk at a time.
    k = 0.5 * (width - 1.0)
    mix = np.array([[1.0 + k, -k], [-k, 1.0 + k]])
    out = audio if in_place else np.empty_like(audio)
    with one_blas_thread():
        for start in range(0, len(audio), _WIDTH_CHUNK):
            chunk = slice(start, start + _WIDTH_CHUNK)
            out[chunk] = audio[chunk] @ mix
    return out
