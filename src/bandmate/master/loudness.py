"""Loudness per ITU-R BS.1770-4 and EBU R128: momentary, short-term, integrated, LRA.

Every measure starts from the same signal: each channel K-weighted, squared, scaled by its
channel weight and summed into one "weighted power" per sample. A window's loudness is
``-0.691 + 10 log10(mean weighted power)`` in LUFS (LKFS), so a full-scale 1 kHz sine in one
front channel reads -3.01 LUFS and in both channels of a stereo pair 0 LUFS.

- Momentary loudness: 400 ms windows; short-term: 3 s windows; both every ``hop_seconds``
  (100 ms by default). Element ``k`` covers samples ``[k * hop, k * hop + window)``: only
  windows that lie wholly inside the audio are reported, so audio shorter than a window gives
  an empty series.
- Integrated loudness (BS.1770-4): 400 ms blocks every 100 ms (75 % overlap), gated at
  -70 LUFS absolute and then 10 LU below the loudness of the blocks that passed.
- Loudness range (EBU Tech 3342): short-term values gated at -70 LUFS and then 20 LU below
  their power mean; LRA is the spread from the 10th to the 95th percentile (linear
  interpolation between values), in LU.

Silence reads ``-inf`` LUFS (never an error). Audio with no gated block (silent, or shorter
than 400 ms) has integrated loudness ``-inf``; with no gated short-term value (silent, or
shorter than 3 s) its loudness range is 0.0 LU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from bandmate.errors import MasterError
from bandmate.master import _kweight
from bandmate.master._blas import one_blas_thread
from bandmate.master._checks import check_audio, check_sample_rate
from bandmate.master.truepeak import (
    amplitude_to_db,
    oversampling_factor,
    peak_amplitude,
    true_peak_amplitude,
)
from bandmate.master.weighting import ChannelLabel, channel_weights, k_weighting_sos

MOMENTARY_SECONDS = 0.4
SHORT_TERM_SECONDS = 3.0
GATING_STEP_SECONDS = 0.1
"""Step between the 400 ms gating blocks of integrated loudness (75 % overlap)."""
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
"""Integrated loudness: relative gate below the absolute-gated loudness."""
LRA_RELATIVE_GATE_LU = -20.0
LRA_PERCENTILES = (10.0, 95.0)

_LOUDNESS_OFFSET = -0.691  # cancels the K-weighting gain at 997 Hz
_CHUNK = 1 << 16  # samples per K-weighting pass


@dataclass(frozen=True, slots=True, eq=False)
class LoudnessReport:
    """Everything an R128 meter shows for a piece of audio.

    The series are read-only arrays. ``-inf`` means silence (or nothing measurable); see
    the module notes for too-short audio.

    Attributes:
        integrated_lufs: Gated integrated loudness, LUFS.
        loudness_range_lu: EBU Tech 3342 loudness range, LU.
        true_peak_dbtp: Highest inter-sample peak over all channels, dBTP.
        sample_peak_dbfs: Highest absolute sample over all channels, dBFS.
        max_momentary_lufs: Loudest value of ``momentary``, LUFS.
        max_short_term_lufs: Loudest value of ``short_term``, LUFS.
        momentary: Momentary loudness, LUFS [shape=(n_momentary,)], one per hop.
        short_term: Short-term loudness, LUFS [shape=(n_short_term,)], one per hop.
        hop_seconds: Time between consecutive series values, in seconds (the requested hop
            rounded to whole samples).
    """

    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    max_momentary_lufs: float
    max_short_term_lufs: float
    momentary: NDArray[np.float64]
    short_term: NDArray[np.float64]
    hop_seconds: float


def measure_loudness(
    audio: NDArray[np.floating],
    sample_rate: float,
    *,
    hop_seconds: float = 0.1,
    channels_layout: Sequence[ChannelLabel] | None = None,
) -> LoudnessReport:
    """Measure loudness, loudness range and peaks in one pass over the K-weighted audio.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.
        sample_rate: Sample rate in Hz, 8000..384000.
        hop_seconds: Time between momentary and short-term values, in seconds.
        channels_layout: One label per channel; ``None`` assumes the default order for the
            channel count (5.1 is ``L R C LFE Ls Rs``; LFE is not measured for loudness).

    Returns:
        The report. Silence gives ``-inf`` loudness and peaks, and 0.0 LU loudness range.

    Raises:
        MasterError: on non-finite or non-float samples, 0 or more than 8 channels, a
            sample rate outside 8000..384000 Hz, a bad layout or a non-positive hop.
    """
    rate = check_sample_rate(sample_rate)
    return _measure(check_audio(audio), rate, _hop_samples(hop_seconds, rate), channels_layout)


def _measure(
    samples: NDArray[np.float64],
    rate: float,
    hop: int,
    channels_layout: Sequence[ChannelLabel] | None = None,
    *,
    peak_bounds: tuple[int, NDArray[np.float64]] | None = None,
) -> LoudnessReport:
    """:func:`measure_loudness` of audio already checked [shape=(n, channels)].

    ``peak_bounds`` passes what the caller knows of the true peaks to the true-peak meter
    (see :func:`.true_peak_amplitude`): the same reading, sooner.
    """
    power, peak = _power_and_peak(samples, rate, channels_layout)
    momentary = _power_to_lufs(_sliding_mean(power, _samples(MOMENTARY_SECONDS, rate), hop))
    short_term_power = _sliding_mean(power, _samples(SHORT_TERM_SECONDS, rate), hop)
    short_term = _power_to_lufs(short_term_power)
    momentary.setflags(write=False)
    short_term.setflags(write=False)
    return LoudnessReport(
        integrated_lufs=_gated_loudness(_gating_blocks(power, rate)),
        loudness_range_lu=_range_of(short_term_power),
        true_peak_dbtp=amplitude_to_db(
            true_peak_amplitude(samples, oversampling_factor(rate), peak, bounds=peak_bounds)
        ),
        sample_peak_dbfs=amplitude_to_db(peak),
        max_momentary_lufs=_max_or_silence(momentary),
        max_short_term_lufs=_max_or_silence(short_term),
        momentary=momentary,
        short_term=short_term,
        hop_seconds=hop / rate,
    )


def integrated_loudness(
    audio: NDArray[np.floating],
    sample_rate: float,
    *,
    channels_layout: Sequence[ChannelLabel] | None = None,
) -> float:
    """Return the gated integrated loudness (BS.1770-4, EBU R128 "I") in LUFS.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.
        sample_rate: Sample rate in Hz, 8000..384000.
        channels_layout: One label per channel; ``None`` assumes the default order.

    Returns:
        Loudness in LUFS; ``-inf`` when no 400 ms block passes the -70 LUFS gate (silence,
        or audio shorter than 400 ms).

    Raises:
        MasterError: on invalid audio, sample rate or layout (see ``measure_loudness``).
    """
    rate = check_sample_rate(sample_rate)
    power = _weighted_power(check_audio(audio), rate, channels_layout)
    return _gated_loudness(_gating_blocks(power, rate))


def momentary_loudness(
    audio: NDArray[np.floating],
    sample_rate: float,
    *,
    hop_seconds: float = 0.1,
    channels_layout: Sequence[ChannelLabel] | None = None,
) -> NDArray[np.float64]:
    """Return the momentary loudness (400 ms windows) every ``hop_seconds``, in LUFS.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.
        sample_rate: Sample rate in Hz, 8000..384000.
        hop_seconds: Time between windows, in seconds.
        channels_layout: One label per channel; ``None`` assumes the default order.

    Returns:
        Loudness in LUFS [shape=(n_windows,)]; value ``k`` covers the 400 ms from
        ``k * hop``. Empty when the audio is shorter than 400 ms; ``-inf`` for silence.

    Raises:
        MasterError: on invalid audio, sample rate, layout or hop.
    """
    return _series(audio, sample_rate, MOMENTARY_SECONDS, hop_seconds, channels_layout)


def short_term_loudness(
    audio: NDArray[np.floating],
    sample_rate: float,
    *,
    hop_seconds: float = 0.1,
    channels_layout: Sequence[ChannelLabel] | None = None,
) -> NDArray[np.float64]:
    """Return the short-term loudness (3 s windows) every ``hop_seconds``, in LUFS.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.
        sample_rate: Sample rate in Hz, 8000..384000.
        hop_seconds: Time between windows, in seconds.
        channels_layout: One label per channel; ``None`` assumes the default order.

    Returns:
        Loudness in LUFS [shape=(n_windows,)]; value ``k`` covers the 3 s from ``k * hop``.
        Empty when the audio is shorter than 3 s; ``-inf`` for silence.

    Raises:
        MasterError: on invalid audio, sample rate, layout or hop.
    """
    return _series(audio, sample_rate, SHORT_TERM_SECONDS, hop_seconds, channels_layout)


def loudness_range(
    audio: NDArray[np.floating],
    sample_rate: float,
    *,
    hop_seconds: float = 0.1,
    channels_layout: Sequence[ChannelLabel] | None = None,
) -> float:
    """Return the loudness range (EBU Tech 3342, R128 "LRA") in LU.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], 1..8 channels.
        sample_rate: Sample rate in Hz, 8000..384000.
        hop_seconds: Time between the short-term values it is computed from, in seconds.
        channels_layout: One label per channel; ``None`` assumes the default order.

    Returns:
        The spread between the 10th and 95th percentile of the gated short-term loudness,
        in LU; 0.0 when no short-term value passes the gates (silence, or audio shorter
        than 3 s).

    Raises:
        MasterError: on invalid audio, sample rate, layout or hop.
    """
    rate = check_sample_rate(sample_rate)
    hop = _hop_samples(hop_seconds, rate)
    power = _weighted_power(check_audio(audio), rate, channels_layout)
    return _range_of(_sliding_mean(power, _samples(SHORT_TERM_SECONDS, rate), hop))


def _series(
    audio: NDArray[np.floating],
    sample_rate: float,
    window_seconds: float,
    hop_seconds: float,
    channels_layout: Sequence[ChannelLabel] | None,
) -> NDArray[np.float64]:
    rate = check_sample_rate(sample_rate)
    hop = _hop_samples(hop_seconds, rate)
    power = _weighted_power(check_audio(audio), rate, channels_layout)
    return _power_to_lufs(_sliding_mean(power, _samples(window_seconds, rate), hop))


def _weighted_power(
    samples: NDArray[np.float64], rate: float, channels_layout: Sequence[ChannelLabel] | None
) -> NDArray[np.float64]:
    """Per-sample sum over channels of weight * (K-weighted sample)^2 [shape=(n,)]."""
    return _power_and_peak(samples, rate, channels_layout, peak=False)[0]


def _power_and_peak(
    samples: NDArray[np.float64],
    rate: float,
    channels_layout: Sequence[ChannelLabel] | None,
    *,
    peak: bool = True,
) -> tuple[NDArray[np.float64], float]:
    """:func:`_weighted_power`, and the sample peak of all channels (0.0 unless ``peak``).

    The peak is taken a chunk at a time while the K-weighting reads it, from the cache,
    rather than in two more passes over the whole array.
    """
    weights = channel_weights(samples.shape[1], channels_layout=channels_layout)
    sos = k_weighting_sos(rate)
    if len(weights) == 2 and weights[0] == weights[1] != 0.0:
        return _pair_power(samples, sos, float(weights[0]), peak=peak)
    highest = peak_amplitude(samples) if peak else 0.0
    measured = np.flatnonzero(weights)
    if len(measured) == 0:  # only LFE: nothing that counts for loudness
        return np.zeros(len(samples), dtype=np.float64), highest
    if len(measured) < len(weights):  # skip the LFE rather than filter it for nothing
        samples, weights = samples[:, measured], weights[measured]
    power = np.empty(len(samples), dtype=np.float64)
    state = np.zeros((len(sos), 2, samples.shape[1]), dtype=np.float64)
    # Filtering a cache-sized chunk at a time, carrying the filter state across, is about
    # twice as fast on long audio as one pass (no large temporaries to allocate).
    with one_blas_thread():  # the weighted sum is a BLAS product too small for threads
        for start in range(0, len(samples), _CHUNK):
            stop = start + _CHUNK
            weighted, state = scipy.signal.sosfilt(sos, samples[start:stop], axis=0, zi=state)
            np.square(weighted, out=weighted)
            np.matmul(weighted, weights, out=power[start:stop])
    return power, highest


def _pair_power(
    samples: NDArray[np.float64], sos: NDArray[np.float64], weight: float, *, peak: bool
) -> tuple[NDArray[np.float64], float]:
    """:func:`_power_and_peak` of two channels with the same weight (a stereo pair).

    One pass of a small C kernel (:mod:`bandmate.master._kweight`) reads each frame once,
    filters both channels with the same arithmetic as ``scipy.signal.sosfilt`` and writes
    the pair's weighted power, and takes the sample peak on the way (``peak`` only says
    whether the caller wants it).
    """
    frames = np.ascontiguousarray(samples, dtype=np.float64)
    power = np.empty(len(frames), dtype=np.float64)
    state = np.zeros(8, dtype=np.float64)
    coefficients = np.ascontiguousarray(sos, dtype=np.float64)
    if len(coefficients) != 2:  # the kernel knows K-weighting's two biquads only
        return _pair_power_scipy(frames, coefficients, weight, peak=peak)
    highest = _kweight.pair_power(frames, coefficients, weight, state, power)
    return power, highest if peak else 0.0


def _pair_power_scipy(
    samples: NDArray[np.float64], sos: NDArray[np.float64], weight: float, *, peak: bool
) -> tuple[NDArray[np.float64], float]:
    """:func:`_pair_power` through ``scipy.signal.sosfilt``: the reference the kernel
    matches, and the path for filters of other lengths.

    The frames are read as complex numbers ``L + iR`` (a view, no copy): filtering them
    with the real K-weighting filter filters both channels in one pass, with the same
    arithmetic (so the same bits) as filtering each, and ``|y|^2`` is the pair's power.
    """
    flat = np.ascontiguousarray(samples).reshape(-1)
    pairs = flat.view(np.complex128)
    power = np.empty(len(pairs), dtype=np.float64)
    state = np.zeros((len(sos), 2), dtype=np.complex128)
    highest = 0.0
    for start in range(0, len(pairs), _CHUNK):
        stop = start + _CHUNK
        if peak:
            chunk = flat[2 * start : 2 * stop]
            highest = max(highest, float(chunk.max()), -float(chunk.min()))
        weighted, state = scipy.signal.sosfilt(sos, pairs[start:stop], zi=state)
        parts = weighted.view(np.float64).reshape(-1, 2)
        np.square(parts, out=parts)
        target = power[start:stop]
        np.add(parts[:, 0], parts[:, 1], out=target)
        if weight != 1.0:
            target *= weight
    return power, highest


def _sliding_mean(power: NDArray[np.float64], length: int, hop: int) -> NDArray[np.float64]:
    """Mean of ``power`` over ``[k * hop, k * hop + length)`` for every window inside it."""
    if len(power) < length:
        return np.zeros(0, dtype=np.float64)
    starts = np.arange(0, len(power) - length + 1, hop)
    # Sum the short segments between window edges, then difference their running total: exact
    # zeros stay exactly zero (so silence reads -inf), and the running total has few terms.
    edges = np.union1d(starts, starts + length)
    segments = np.add.reduceat(power[: edges[-1]], edges[:-1])
    running = np.concatenate(([0.0], np.cumsum(segments)))
    total = (
        running[np.searchsorted(edges, starts + length)] - running[np.searchsorted(edges, starts)]
    )
    mean: NDArray[np.float64] = np.maximum(total, 0.0) / length
    return mean


def _gating_blocks(power: NDArray[np.float64], rate: float) -> NDArray[np.float64]:
    """Mean power of the 400 ms gating blocks, 100 ms apart."""
    return _sliding_mean(
        power, _samples(MOMENTARY_SECONDS, rate), _samples(GATING_STEP_SECONDS, rate)
    )


def _gated_loudness(block_power: NDArray[np.float64]) -> float:
    """BS.1770-4 two-stage gating over block powers; ``-inf`` when no block passes."""
    loudness = _power_to_lufs(block_power)
    passed = loudness > ABSOLUTE_GATE_LUFS
    if not passed.any():
        return -math.inf
    relative_gate = _mean_lufs(block_power[passed]) + RELATIVE_GATE_LU
    passed &= loudness > relative_gate
    return _mean_lufs(block_power[passed])


def _range_of(short_term_power: NDArray[np.float64]) -> float:
    """EBU Tech 3342 loudness range of short-term powers, LU; 0.0 when none passes."""
    loudness = _power_to_lufs(short_term_power)
    passed = loudness > ABSOLUTE_GATE_LUFS
    if not passed.any():
        return 0.0
    relative_gate = _mean_lufs(short_term_power[passed]) + LRA_RELATIVE_GATE_LU
    gated = loudness[passed & (loudness > relative_gate)]
    low, high = np.percentile(gated, LRA_PERCENTILES)
    return float(high - low)


def _power_to_lufs(power: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):  # zero power is silence: -inf LUFS by design
        loudness: NDArray[np.float64] = _LOUDNESS_OFFSET + 10.0 * np.log10(power)
    return loudness


def _mean_lufs(power: NDArray[np.float64]) -> float:
    mean = float(np.mean(power))
    return _LOUDNESS_OFFSET + 10.0 * math.log10(mean) if mean > 0.0 else -math.inf


def _max_or_silence(loudness: NDArray[np.float64]) -> float:
    return float(loudness.max()) if len(loudness) else -math.inf


def _samples(seconds: float, rate: float) -> int:
    return round(seconds * rate)


def _hop_samples(hop_seconds: float, rate: float) -> int:
    if isinstance(hop_seconds, bool) or not (
        isinstance(hop_seconds, int | float) and math.isfinite(hop_seconds)
    ):
        raise MasterError(f"hop_seconds={hop_seconds!r} must be a finite number of seconds")
    hop = _samples(hop_seconds, rate)
    if hop < 1:
        raise MasterError(
            f"hop_seconds={hop_seconds!r} must be at least one sample (1/{rate:g} s) and positive"
        )
    return hop
