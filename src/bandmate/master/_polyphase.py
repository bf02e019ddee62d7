"""The true-peak interpolator, and its phases applied to whole blocks of samples at once.

The interpolator is a polyphase FIR: a Kaiser-windowed sinc (beta 7) spanning 32 input samples
per phase, each phase normalised to unity gain at DC (see :mod:`bandmate.master.truepeak`).

Applied to ``R`` consecutive positions, its phases are one banded matrix: the ``R + 31``
input samples around the positions, times a ``(R + 31, P * R)`` matrix, give all ``P``
interpolated points after each of the ``R`` samples. A signal is then a stack of windows,
one row per block (the windows overlap by 31 samples and are copied a chunk at a time), and
one single-precision matrix product (BLAS ``sgemm``) per chunk computes every interpolated
point. It does more multiplications than overlap-save FFTs (the band is mostly zeros), but
runs at the processor's peak: about twice as fast on a 4-minute track. BLAS runs on one
thread (:mod:`bandmate.master._blas`).

Where the processor has AVX2 and FMA, a small C kernel (:mod:`bandmate.master._peaks`)
computes the points instead: eight positions per vector, only the 32 taps of each phase (a
third of the banded product's multiplications), about three times as fast. Both give the
same points to within the rounding of single precision.

Samples are scaled to a unit peak before they become float32, so any finite level is safe;
the rounding error of a point is about 1e-7 of the peak (1e-6 dB).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bandmate.master import _peaks
from bandmate.master._blas import one_blas_thread

HALF_SPAN = 16
"""Input samples on each side of an interpolated point."""
TAPS = 2 * HALF_SPAN
_KAISER_BETA = 7.0
_CHUNK_SAMPLES = 1 << 15  # samples per matrix product: its operands stay in the L2 cache
_KERNEL = _peaks.available()


@cache
def interpolator(factor: int) -> NDArray[np.float64]:
    """The fractional phases of the interpolator [shape=(factor - 1, 32)].

    Row ``p - 1`` holds the taps ``g`` that give the value ``p / factor`` of the way from input
    sample ``m`` to ``m + 1`` as ``sum_j g[j] * x[m + 16 - j]``.
    """
    offsets = np.arange(1, factor)[:, np.newaxis] / factor  # (P, 1)
    tau = np.arange(TAPS) - HALF_SPAN + offsets  # (P, J): distance in samples
    window = np.i0(_KAISER_BETA * np.sqrt(1.0 - (tau / HALF_SPAN) ** 2)) / np.i0(_KAISER_BETA)
    taps: NDArray[np.float64] = np.sinc(tau) * window
    taps /= taps.sum(axis=1, keepdims=True)
    taps.setflags(write=False)
    return taps


@cache
def _kernel_taps(factor: int) -> NDArray[np.float32]:
    """The phases' taps for :mod:`._peaks`, in the order of the samples they multiply
    (``x[m - 15] .. x[m + 16]`` for the points after sample ``m``) [shape=(factor - 1, 32)]."""
    taps = np.ascontiguousarray(interpolator(factor)[:, ::-1], dtype=np.float32)
    taps.setflags(write=False)
    return taps


@cache
def gain_bound(factor: int) -> float:
    """The largest sum of tap magnitudes of any phase: no point exceeds the peak times this."""
    return float(np.abs(interpolator(factor)).sum(axis=1).max())


@cache
def _block_matrix(factor: int, rows: int, *, samples: bool) -> NDArray[np.float32]:
    """Every phase at ``rows`` positions, transposed [shape=(P * rows, rows + 31)].

    Row ``p * rows + r`` gives the point ``(p + 1) / factor`` of the way after position ``r``
    of a window whose first sample is 15 samples before position 0:
    ``T[p * rows + r, r + 31 - j] = g[p, j]``. With ``samples``, ``rows`` more rows at the
    end pass the samples themselves through (phase 0).
    """
    phases = interpolator(factor)
    count = len(phases) + (1 if samples else 0)
    matrix = np.zeros((count * rows, rows + TAPS - 1), dtype=np.float64)
    r = np.arange(rows)
    for p, taps in enumerate(phases):
        for j in range(TAPS):
            matrix[p * rows + r, r + TAPS - 1 - j] = taps[j]
    if samples:
        matrix[len(phases) * rows + r, r + HALF_SPAN - 1] = 1.0
    result = matrix.astype(np.float32)
    result.setflags(write=False)
    return result


def _windows(padded: NDArray[np.float32], rows: int, width: int, count: int) -> NDArray[Any]:
    """Read-only view of ``count`` windows of ``width`` samples, ``rows`` apart."""
    return np.lib.stride_tricks.as_strided(
        padded, shape=(count, width), strides=(rows * padded.strides[0], padded.strides[0]),
        writeable=False,
    )  # fmt: skip


def block_peaks(
    x: NDArray[np.floating], factor: int, block: int, *, peak: float | None = None
) -> NDArray[np.float32]:
    """Largest magnitude of the samples and the interpolated points, per block of samples.

    A block holds its samples and the interpolated points after each of them; samples
    before and after ``x`` are read as zeros.

    Args:
        x: One channel [shape=(n,)].
        factor: Oversampling factor, 2 or more.
        block: Samples per block.
        peak: Any level at or above the largest ``|x|``; measured when not given.

    Returns:
        For each block of ``block`` samples (the last one may be short), the largest
        magnitude [shape=(ceil(n / block),)], float32, in the units of ``x``.
    """
    n = len(x)
    count = -(-n // block)
    width = block + TAPS - 1
    if peak is None:
        peak = max(float(np.max(x)), -float(np.min(x))) if n else 0.0
    if peak == 0.0:
        return np.zeros(count, dtype=np.float32)
    if _KERNEL:
        out = np.zeros(count, dtype=np.float32)
        samples = np.asarray(x, dtype=np.float64)
        _peaks.block_max(samples, _kernel_taps(factor), 1.0 / peak, 0, n, block, True, out)
        out *= np.float32(peak)
        return out
    matrix = _block_matrix(factor, block, samples=True)
    out = np.empty(count, dtype=np.float32)
    last = n - (count - 1) * block  # samples in the last block
    step = max(1, _CHUNK_SAMPLES // block)
    local = np.empty((step - 1) * block + width, dtype=np.float32)
    with one_blas_thread():
        for first in range(0, count, step):
            rows = min(step, count - first)
            # Window k holds x[k * block - 15 : k * block - 15 + width] / peak (zeros
            # outside x); these rows' windows are one stretch of x, copied to float32.
            start, size = first * block - (HALF_SPAN - 1), (rows - 1) * block + width
            _load(x, start, local[:size], 1.0 / peak)
            windows = _windows(local, block, width, rows)
            # The windows overlap: copy them into rows BLAS can read. Points come out one
            # block per column, so the largest is an elementwise maximum over rows.
            points = matrix @ np.ascontiguousarray(windows).T
            if first + rows == count and last < block:  # no points after the last sample
                points[:, -1].reshape(-1, block)[:, last:] = 0.0
            np.abs(points, out=points)
            points.max(axis=0, out=out[first : first + rows])
    out *= np.float32(peak)
    return out


def _load(x: NDArray[np.floating], start: int, into: NDArray[np.float32], scale: float) -> None:
    """Fill ``into`` with ``x[start : start + len(into)] * scale``, zeros outside ``x``."""
    low, high = max(start, 0), min(start + len(into), len(x))
    if low > start or high < start + len(into):
        into[...] = 0.0
    if low < high:
        np.multiply(x[low:high], scale, out=into[low - start : high - start], casting="same_kind")


def valid_peak(
    x: NDArray[np.floating],
    factor: int,
    *,
    floor: float,
    peak: float | None = None,
    bounds: tuple[int, NDArray[np.float64]] | None = None,
) -> float:
    """Largest interpolated magnitude of ``x`` over the points whose span lies inside it.

    The points are computed a stretch of 1,024 samples at a time, the stretch that could
    reach highest first. A stretch that cannot beat the highest value found so far (or
    ``floor``) is skipped: by the samples' peak over its span times :func:`gain_bound`
    (no point can exceed that), or by ``bounds`` where the caller knows better. So the
    result is ``max(floor, the largest point)``, usually after computing a few stretches.

    Args:
        x: One channel [shape=(n,)].
        factor: Oversampling factor, 2 or more.
        floor: A level already reached (the sample peak, say), in the units of ``x``.
        peak: Any level at or above the largest ``|x|`` (the peak of all channels, say);
            measured when not given.
        bounds: ``(block, ceiling)``: for each block of ``block`` samples, a level that no
            point after one of its samples exceeds [shape=(ceil(n / block),)].

    Returns:
        The larger of ``floor`` and the largest ``|point|``.
    """
    rows = 32  # positions per window
    width = rows + TAPS - 1
    group = 32  # windows per stretch
    stretch = rows * group
    outputs = len(x) - TAPS + 1  # points after samples 15 .. n - 17
    if peak is None:
        peak = max(float(np.max(x)), -float(np.min(x))) if len(x) else 0.0
    if outputs < 1 or peak == 0.0 or peak * gain_bound(factor) < floor:
        return floor
    count = -(-outputs // rows)
    stretches = -(-count // group)
    # Window k holds x[k * rows : k * rows + width]: the span of the points after samples
    # k * rows + 15 ... k * rows + rows + 14. Stretch s is windows s * group ... and spans
    # its own 1,024 samples and the 31 after them.
    span = stretch + width - rows  # samples a stretch's windows read
    padded: NDArray[np.float32] | None = None
    if bounds is not None:  # the caller's bound: no pass over all of x
        reach = _stretch_bounds(bounds, stretches, stretch)
    else:
        # All of x as float32 once, with the sample peak of each stretch's own samples.
        padded = np.zeros((stretches + 1) * stretch, dtype=np.float32)
        np.multiply(x, 1.0 / peak, out=padded[: len(x)], casting="same_kind")
        spans = padded.reshape(stretches + 1, stretch)
        stretch_peak = np.maximum(spans.max(axis=1), -spans.min(axis=1)).astype(np.float64)
        reach = np.maximum(stretch_peak[:-1], stretch_peak[1:]) * (gain_bound(factor) * peak)
    order = np.argsort(-reach, kind="stable")
    order = order[reach[order] >= floor]
    if _KERNEL:
        return _valid_peak_kernel(x, factor, floor, peak, order, reach, stretch)
    matrix = _block_matrix(factor, rows, samples=False)
    last_valid = outputs - (count - 1) * rows  # points of the last window inside the audio
    highest = floor / peak
    batch = _CHUNK_SAMPLES // stretch
    local = np.empty((batch, span), dtype=np.float32)
    with one_blas_thread():
        for first in range(0, len(order), batch):
            picked = order[first : first + batch]
            picked = picked[reach[picked] >= highest * peak]
            if len(picked) == 0:
                break  # sorted: nothing after can beat it either
            if padded is not None:
                local[: len(picked)] = _windows(padded, stretch, span, stretches)[picked]
            else:  # only the stretches needed, straight from x
                for row, index in enumerate(picked):
                    _load(x, int(index) * stretch, local[row], 1.0 / peak)
            # (stretch, window) -> one row of BLAS input per window.
            windows = np.lib.stride_tricks.as_strided(
                local[: len(picked)], shape=(len(picked), group, width),
                strides=(local.strides[0], rows * local.strides[1], local.strides[1]),
                writeable=False,
            )  # fmt: skip
            points = matrix @ windows.reshape(-1, width).T  # (P * rows, S * group)
            if last_valid < rows and picked.max() == stretches - 1:
                # The last window (inside the last stretch): no points past the audio.
                column = int(np.argmax(picked)) * group + (count - 1) % group
                points[:, column].reshape(-1, rows)[:, last_valid:] = 0.0
            if (stretches - 1) in picked and count % group:
                # Windows past the last one (zeros past the audio) have no valid points.
                tail = int(np.argmax(picked)) * group
                points[:, tail + count % group : tail + group] = 0.0
            highest = max(highest, float(points.max()), -float(points.min()))
    return max(floor, highest * peak)


def _valid_peak_kernel(
    x: NDArray[np.floating],
    factor: int,
    floor: float,
    peak: float,
    order: NDArray[np.intp],
    reach: NDArray[np.float64],
    stretch: int,
) -> float:
    """:func:`valid_peak`'s search with the C kernel: the stretches in ``order`` (highest
    reach first), each one's points after samples ``s * stretch + 15`` onward, up to
    sample ``n - 17``; stops at the first that cannot beat the highest point found."""
    samples = np.asarray(x, dtype=np.float64)
    taps = _kernel_taps(factor)
    last = len(samples) - HALF_SPAN  # points after samples up to n - 17
    best = np.zeros(1, dtype=np.float32)
    highest = floor
    for index in order.tolist():
        if reach[index] < highest:
            break  # sorted: nothing after can beat it either
        low = index * stretch + HALF_SPAN - 1
        high = min(low + stretch, last)
        if high > low:
            _peaks.block_max(samples, taps, 1.0 / peak, low, high, stretch, False, best)
        highest = max(highest, float(best[0]) * peak)
    return highest


def _stretch_bounds(
    bounds: tuple[int, NDArray[np.float64]], stretches: int, stretch: int
) -> NDArray[np.float64]:
    """The largest of the block bounds over each stretch's points (after samples
    ``s * stretch + 15 .. (s + 1) * stretch + 14``)."""
    block, ceiling = bounds
    # A block's bound also covers the block after it, so that segments that end where the
    # next one starts still see the block of their last point.
    wide = np.maximum(ceiling, np.append(ceiling[1:], ceiling[-1]))
    starts = np.minimum((np.arange(stretches) * stretch + HALF_SPAN - 1) // block, len(ceiling) - 1)
    result: NDArray[np.float64] = np.maximum.reduceat(wide, starts)
    return result
