"""Bring a track to a loudness target under a true-peak ceiling: gain, limit, measure, repeat.

A fast model predicts the integrated loudness for any make-up gain: the K-weighted power of
the track in limiter blocks, scaled by the gain and by the limiter's attenuation, gated as
BS.1770-4 gates 400 ms blocks. A bracketed secant search finds the gain the model says
meets the target; the result is rendered and measured with the real meters; the model is
corrected by what the meter read, and if the true peak is ever over the ceiling the
limiter's ceiling is lowered by the excess. One or two rounds meet the target within
0.05 LU. If the ceiling still is not met (it always has been in tests), the whole track is
scaled under it as a last resort: the ceiling wins over the loudness.

Quiet passages are not pumped up: where the track (before gain) is more than 40 dB below
its integrated loudness, or below -90 dBFS, make-up gain fades to none (a gate with a
10 dB ramp, held 150 ms so decays are not cut short). Those passages fall below the
loudness gates, so the target is met all the same, and digital silence stays silent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bandmate.master._polyphase import HALF_SPAN, gain_bound
from bandmate.master.dynamics import BlockGain, block_mean_square, box_mean, sliding_max
from bandmate.master.limiter import PeakMap, apply_gains, attenuation, detect_peaks
from bandmate.master.loudness import (
    LoudnessReport,
    _gated_loudness,
    _gating_blocks,
    _measure,
    _power_and_peak,
    measure_loudness,
)
from bandmate.master.progress import Stages
from bandmate.master.truepeak import oversampling_factor

TOLERANCE_LU = 0.03
PEAK_MARGIN_DB = 0.02
"""The verified true peak must sit this far under the ceiling (room for 24-bit rounding)."""
FIRST_MARGIN_DB = 0.1
"""The limiter first aims this far under the ceiling."""
MAX_ROUNDS = 6
MAX_EXTRA_GAIN_DB = 30.0
"""Most make-up gain beyond what the target needs without limiting."""
GATE_BELOW_LUFS = 40.0
GATE_FLOOR_DBFS = -90.0
GATE_RAMP_DB = 10.0
_GATE_WINDOW_SECONDS = 0.05
_GATE_HOLD_SECONDS = 0.15
_GATE_SMOOTH_SECONDS = 0.02


@dataclass(frozen=True, slots=True, eq=False)
class LevelResult:
    """A track brought to its target.

    Attributes:
        audio: The result [shape=(n, channels)].
        gain_db: Make-up gain applied to the audible parts, dB.
        max_attenuation_db: The limiter's deepest gain reduction, dB.
        report: The meters' reading of ``audio``.
        rounds: Render-and-measure rounds taken.
        reached: Whether the loudness is within tolerance of the target.
    """

    audio: NDArray[np.float64]
    gain_db: float
    max_attenuation_db: float
    report: LoudnessReport
    rounds: int
    reached: bool


class _Model:
    """Predicts loudness and limiter attenuation for a make-up gain."""

    def __init__(
        self,
        audio: NDArray[np.float64],
        sample_rate: float,
        fallback: float,
        pre_gain: BlockGain | None,
    ) -> None:
        # The K-weighting reads the sample peak on its way: detection needs no pass for it.
        power, loudest = _power_and_peak(audio, sample_rate, None)
        self.peaks: PeakMap = detect_peaks(audio, sample_rate, loudest=loudest)
        block = self.peaks.block
        count = len(self.peaks.peak_db)
        centres = (np.arange(count, dtype=np.float64) + 0.5) * block
        # A slow gain (the compressor's) moves a block's peak and power with it.
        self.pre_db = pre_gain.at(centres) if pre_gain is not None else np.zeros(count)
        loudness = _gated_loudness(_gating_blocks(power, sample_rate))
        self.loudness = loudness if math.isfinite(loudness) else fallback
        # A matrix-vector product sums the short rows far faster than mean(axis=1); the
        # last block, if partial, is read as padded with silence.
        full = len(power) // block
        block_power = np.zeros(count)
        block_power[:full] = power[: full * block].reshape(full, block) @ np.full(block, 1 / block)
        if full < count:
            block_power[full] = power[full * block :].sum() / block
        self.power = block_power * 10.0 ** (self.pre_db / 10.0)
        bps = self.peaks.blocks_per_second
        self.window = max(1, round(0.4 * bps))
        self.hop = max(1, round(0.1 * bps))
        self.gate = _gate(audio, block, bps, self.loudness)

    def gain_per_block(self, gain_db: float) -> NDArray[np.float64]:
        """Make-up gain per block (gated in quiet passages), dB."""
        if gain_db <= 0.0:
            return np.full(len(self.gate), gain_db)
        gated: NDArray[np.float64] = gain_db * self.gate
        return gated

    def predict(self, gain_db: float, ceiling_db: float) -> tuple[float, NDArray[np.float64]]:
        """Predicted loudness (LUFS) and the total gain per block (dB) for a make-up gain."""
        gain = self.gain_per_block(gain_db)
        total = gain + self.pre_db - attenuation(self.peaks, gain + self.pre_db, ceiling_db)
        power = self.power * 10.0 ** ((total - self.pre_db) / 10.0)
        if len(power) < self.window:
            return -math.inf, total
        running = np.concatenate(([0.0], np.cumsum(power)))
        starts = np.arange(0, len(power) - self.window + 1, self.hop)
        blocks = (running[starts + self.window] - running[starts]) / self.window
        return _gated_loudness(blocks), total


def _gate(
    audio: NDArray[np.float64], block: int, blocks_per_second: float, loudness: float
) -> NDArray[np.float64]:
    """Fraction of the make-up gain each block gets: 0 in quiet passages, 1 elsewhere."""
    power = box_mean(
        block_mean_square(audio, block), max(1, round(_GATE_WINDOW_SECONDS * blocks_per_second))
    )
    with np.errstate(divide="ignore"):  # the moving sum can leave -1e-20 where it is silent
        level = 10.0 * np.log10(np.maximum(power, 0.0))
    level = sliding_max(level, round(_GATE_HOLD_SECONDS * blocks_per_second))
    floor = max(loudness - GATE_BELOW_LUFS, GATE_FLOOR_DBFS)
    gate = np.clip((level - floor) / GATE_RAMP_DB, 0.0, 1.0)
    return box_mean(gate, max(1, round(_GATE_SMOOTH_SECONDS * blocks_per_second)))


def _solve(func: Callable[[float], float], goal: float, start: float) -> tuple[float, bool]:
    """Find ``x`` with ``func(x) == goal`` for an increasing ``func``; (x, whether found)."""
    low, high = start - 1.0, start + 2.0
    f_low = func(low)
    while f_low > goal and low > start - 60.0:
        low -= 6.0
        f_low = func(low)
    f_high = func(high)
    while f_high < goal and high < start + MAX_EXTRA_GAIN_DB:
        low, f_low = high, f_high
        high = min(high + 4.0, start + MAX_EXTRA_GAIN_DB)
        f_high = func(high)
    if f_high < goal:
        return high, False
    if f_low > goal:
        return low, False
    # Illinois regula falsi: a secant step that never gets stuck on one side.
    side = 0
    for _ in range(60):
        if f_high - f_low <= 1e-9:
            break
        x = high - (f_high - goal) * (high - low) / (f_high - f_low)
        f_x = func(x)
        if abs(f_x - goal) < TOLERANCE_LU / 6:
            return x, True
        if f_x < goal:
            low, f_low = x, f_x
            if side == -1:
                f_high = goal + (f_high - goal) / 2
            side = -1
        else:
            high, f_high = x, f_x
            if side == 1:
                f_low = goal + (f_low - goal) / 2
            side = 1
    return 0.5 * (low + high), True


def match_level(
    audio: NDArray[np.float64],
    sample_rate: float,
    *,
    loudness_lufs: float,
    target_lufs: float,
    ceiling_dbtp: float,
    stages: Stages,
    pre_gain: BlockGain | None = None,
) -> LevelResult:
    """Apply make-up gain and true-peak limiting so the audio meets a target.

    Args:
        audio: Samples before gain [shape=(n, channels)].
        sample_rate: Sample rate in Hz.
        loudness_lufs: Loudness to assume, LUFS, if the audio's own is not measurable.
        target_lufs: Integrated loudness to reach, LUFS.
        ceiling_dbtp: True-peak ceiling, dBTP.
        stages: Progress for this step.
        pre_gain: A slow gain to apply first (the bus compressor's), folded into the
            same pass as the make-up gain and the limiter.

    Returns:
        The levelled audio and what was measured.
    """
    stages.report(0.0, "Finding true peaks")
    model = _Model(audio, sample_rate, loudness_lufs, pre_gain)
    offset = 0.0
    limit_at = ceiling_dbtp - FIRST_MARGIN_DB
    start = target_lufs - model.loudness
    result: LevelResult | None = None
    for round_number in range(1, MAX_ROUNDS + 1):
        stages.report(0.2 + 0.7 * (round_number - 1) / MAX_ROUNDS, "Setting gain and limiting")

        def predicted(gain: float, ceiling: float = limit_at, shift: float = offset) -> float:
            return model.predict(gain, ceiling)[0] + shift

        gain_db, found = _solve(predicted, target_lufs, start)
        estimate, total = model.predict(gain_db, limit_at)
        out = apply_gains(audio, total, model.peaks.block)
        report = _measure(
            out, sample_rate, round(0.1 * sample_rate), peak_bounds=peak_bounds(model.peaks, total)
        )
        measured, peak = report.integrated_lufs, report.true_peak_dbtp
        result = LevelResult(
            audio=out,
            gain_db=gain_db,
            max_attenuation_db=float(
                np.max(model.gain_per_block(gain_db) + model.pre_db - total, initial=0.0)
            ),
            report=report,
            rounds=round_number,
            reached=found and abs(measured - target_lufs) <= TOLERANCE_LU,
        )
        allowed = ceiling_dbtp - PEAK_MARGIN_DB
        if peak > allowed:
            limit_at -= peak - allowed + PEAK_MARGIN_DB
            continue
        if result.reached or not found:
            break
        offset = measured - estimate
        start = gain_db
    assert result is not None  # the loop runs at least once
    if result.report.true_peak_dbtp > ceiling_dbtp - PEAK_MARGIN_DB:
        result = _scale_under(result, sample_rate, ceiling_dbtp, target_lufs)
    stages.report(1.0, "Level set")
    return result


def peak_bounds(peaks: PeakMap, gain_db: NDArray[np.float64]) -> tuple[int, NDArray[np.float64]]:
    """How high the true peak of each block can be after a gain, from the block peaks.

    The signal is rendered as ``y[j] = x[j] g[j]``, with sample gains ``g`` interpolated
    between block centres (:func:`.sample_gains`). A point after sample ``m`` is
    ``v = sum_j c_j x_j g_j`` over the 32 samples ``j`` of its span. With ``G+`` and ``G-``
    the largest and smallest gain over the span, ``u = sum_j c_j x_j`` the same point of
    ``x`` and ``B = sum_j |c_j|`` (:func:`.gain_bound`)::

        v = G+ u - sum_j c_j x_j (G+ - g_j),  so  |v| <= G+ |u| + (G+ - G-) B max_j |x_j|.

    Block ``b``'s peak bounds ``|u|`` for its points, and the peaks of the blocks within
    reach of the span bound ``|x_j|``; the gains within reach are between the centre gains
    of one more block on each side. A small margin covers the float32 rounding of the
    block peaks and of the meter. Where the gain is steady, the bound is the block's
    peak times its gain: the meter then computes only the few stretches near the loudest
    peaks.

    Args:
        peaks: The block peaks of ``x``.
        gain_db: The gain of each block, dB [shape=(n_blocks,)].

    Returns:
        ``(block, bound)``, the bound in linear units per block [shape=(n_blocks,)].
    """
    reach = -(-HALF_SPAN // peaks.block)  # blocks a span reaches on either side
    with np.errstate(divide="ignore"):
        level = 10.0 ** (peaks.peak_db / 20.0)
    gain = 10.0 ** (gain_db / 20.0)
    high = sliding_max(gain, reach + 1)
    low = -sliding_max(-gain, reach + 1)
    spread = sliding_max(level, reach)
    factor = oversampling_factor(peaks.sample_rate)
    bound = (
        high * level + (high - low) * gain_bound(factor) * spread if factor > 1 else high * level
    )
    margin = 1e-4 * float(np.max(level, initial=0.0)) * float(np.max(high, initial=0.0))
    return peaks.block, bound * (1.0 + 1e-4) + margin


def _scale_under(
    result: LevelResult, sample_rate: float, ceiling_dbtp: float, target_lufs: float
) -> LevelResult:
    """Last resort: scale the whole track under the ceiling."""
    trim = ceiling_dbtp - 2 * PEAK_MARGIN_DB - result.report.true_peak_dbtp
    out = result.audio * 10.0 ** (trim / 20.0)
    report = measure_loudness(out, sample_rate)
    return LevelResult(
        audio=out,
        gain_db=result.gain_db + trim,
        max_attenuation_db=result.max_attenuation_db,
        report=report,
        rounds=result.rounds,
        reached=abs(report.integrated_lufs - target_lufs) <= TOLERANCE_LU,
    )
