"""The before/after mastering report as numbers: a dataclass that serializes to JSON.

Levels are in LUFS (loudness), LU (range), dBTP (true peak) and dBFS (sample peak); the
crest factor is the sample peak over the RMS of all samples, in dB; the PLR (peak to
loudness ratio) is the true peak minus the integrated loudness. Silence has no level:
``None`` in the dataclass and ``null`` in JSON, never ``-Infinity``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from bandmate.master._blas import one_blas_thread
from bandmate.master.chain import MasterResult
from bandmate.master.loudness import LoudnessReport
from bandmate.master.spectrum import Spectrum
from bandmate.master.truepeak import amplitude_to_db

PASS_TOLERANCE_LU = 0.5
"""A master "meets" its target within this many LU (and at or under its ceiling)."""


def _finite(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def _series(values: NDArray[np.float64]) -> list[float | None]:
    return [_finite(v) for v in values.tolist()]


@dataclass(frozen=True, slots=True)
class LevelSummary:
    """The levels of one track (``None`` where the track is silent).

    Attributes:
        integrated_lufs: Integrated loudness, LUFS.
        loudness_range_lu: Loudness range (EBU Tech 3342), LU.
        true_peak_dbtp: True peak, dBTP.
        sample_peak_dbfs: Sample peak, dBFS.
        crest_factor_db: Sample peak over RMS, dB.
        plr_db: True peak minus integrated loudness, dB.
        max_short_term_lufs: Loudest 3 s, LUFS.
    """

    integrated_lufs: float | None
    loudness_range_lu: float
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    crest_factor_db: float | None
    plr_db: float | None
    max_short_term_lufs: float | None


@dataclass(frozen=True, slots=True)
class Curve:
    """A curve over frequency.

    Attributes:
        frequencies_hz: Frequencies, Hz.
        level_db: Values, dB (``None`` where there is no energy).
    """

    frequencies_hz: list[float]
    level_db: list[float | None]


@dataclass(frozen=True, slots=True)
class MasterReport:
    """Everything the before/after report shows, as plain data.

    Attributes:
        target: The target's name.
        target_label: The target, described.
        target_lufs: Integrated loudness aimed for, LUFS.
        ceiling_dbtp: True-peak ceiling, dBTP.
        sample_rate: Sample rate, Hz.
        seconds: Duration, s.
        before: Levels of the input.
        after: Levels of the master.
        reference: Levels of the reference, if any.
        loudness_error_lu: Master minus target loudness, LU.
        meets_target: Loudness within 0.5 LU and true peak at or under the ceiling.
        gain_db: Make-up gain, dB.
        compression_db: Deepest bus-compressor gain reduction, dB.
        limiting_db: Deepest limiter gain reduction, dB.
        width: Side gain applied.
        eq: The tonal EQ, dB.
        spectrum_before: Long-term spectrum of the input, dB.
        spectrum_after: Long-term spectrum of the master, dB.
        spectrum_reference: Long-term spectrum of the reference, dB.
        short_term_hop_seconds: Time between short-term loudness values, s.
        short_term_before: Short-term loudness of the input over time, LUFS.
        short_term_after: Short-term loudness of the master over time, LUFS.
        notes: Things to know about this master.
    """

    target: str
    target_label: str
    target_lufs: float
    ceiling_dbtp: float
    sample_rate: float
    seconds: float
    before: LevelSummary
    after: LevelSummary
    reference: LevelSummary | None
    loudness_error_lu: float
    meets_target: bool
    gain_db: float
    compression_db: float
    limiting_db: float
    width: float
    eq: Curve
    spectrum_before: Curve
    spectrum_after: Curve
    spectrum_reference: Curve | None
    short_term_hop_seconds: float
    short_term_before: list[float | None]
    short_term_after: list[float | None]
    notes: list[str]

    def to_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready nested dicts and lists."""
        return asdict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the report as JSON text (``null`` for silence, never NaN or infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def crest_factor_db(audio: NDArray[np.float64], *, peak_dbfs: float | None = None) -> float:
    """Sample peak over RMS of all samples, dB; ``-inf`` for silence.

    Args:
        audio: Samples [shape=(n, channels)].
        peak_dbfs: The sample peak, dBFS, if already measured (it is not measured again).
    """
    if audio.size == 0:
        return -math.inf
    flat = np.ascontiguousarray(audio).reshape(-1)
    if peak_dbfs is None:
        peak_dbfs = amplitude_to_db(max(float(flat.max()), -float(flat.min())))
    with one_blas_thread():
        rms = math.sqrt(float(np.dot(flat, flat)) / flat.size)
    return peak_dbfs - amplitude_to_db(rms) if rms > 0.0 else -math.inf


def summarize(loudness: LoudnessReport, audio: NDArray[np.float64]) -> LevelSummary:
    """Summarize a loudness reading and the audio it came from."""
    return LevelSummary(
        integrated_lufs=_finite(loudness.integrated_lufs),
        loudness_range_lu=round(loudness.loudness_range_lu, 3),
        true_peak_dbtp=_finite(loudness.true_peak_dbtp),
        sample_peak_dbfs=_finite(loudness.sample_peak_dbfs),
        crest_factor_db=_finite(crest_factor_db(audio, peak_dbfs=loudness.sample_peak_dbfs)),
        plr_db=_finite(loudness.true_peak_dbtp - loudness.integrated_lufs)
        if math.isfinite(loudness.integrated_lufs)
        else None,
        max_short_term_lufs=_finite(loudness.max_short_term_lufs),
    )


def _curve(spectrum: Spectrum) -> Curve:
    return Curve([round(float(f), 2) for f in spectrum.frequencies_hz], _series(spectrum.level_db))


def build_report(
    result: MasterResult,
    *,
    source: NDArray[np.float64],
    reference: NDArray[np.float64] | None = None,
) -> MasterReport:
    """Build the report of a master.

    Args:
        result: The master.
        source: The input as mastered [shape=(n, channels)] (for its crest factor).
        reference: The reference track [shape=(m, channels)], if one was used.

    Returns:
        The report.
    """
    target = result.target
    assert target.lufs is not None  # a result's target is always resolved
    error = result.loudness_error_lu
    peak = result.after.true_peak_dbtp
    return MasterReport(
        target=target.name,
        target_label=target.label,
        target_lufs=target.lufs,
        ceiling_dbtp=target.ceiling_dbtp,
        sample_rate=result.sample_rate,
        seconds=round(len(result.audio) / result.sample_rate, 3),
        before=summarize(result.before, source),
        after=summarize(result.after, result.audio),
        reference=summarize(result.reference, reference)
        if result.reference is not None and reference is not None
        else None,
        loudness_error_lu=round(error, 3),
        meets_target=abs(error) <= PASS_TOLERANCE_LU
        and (not math.isfinite(peak) or peak <= target.ceiling_dbtp),
        gain_db=round(result.gain_db, 3),
        compression_db=round(result.compression_db, 3),
        limiting_db=round(result.limiting_db, 3),
        width=round(result.width, 3),
        eq=Curve(
            [round(float(f), 2) for f in result.eq.frequencies_hz],
            _series(result.eq.gain_db),
        ),
        spectrum_before=_curve(result.spectrum_before),
        spectrum_after=_curve(result.spectrum_after),
        spectrum_reference=_curve(result.spectrum_reference)
        if result.spectrum_reference is not None
        else None,
        short_term_hop_seconds=result.after.hop_seconds,
        short_term_before=_series(result.before.short_term),
        short_term_after=_series(result.after.short_term),
        notes=list(result.notes),
    )
