"""One-click mastering: analyze, EQ, compress, set width, level to a target, verify.

The chain, in order:

1. Analyze: loudness, true peak and the long-term spectrum of the track (and of the
   reference, if there is one).
2. Tonal EQ (linear phase): toward the style's balance (``eq_amount`` of the way, at most
   4 dB), or toward the reference's spectrum (``blend`` of the way, at most 6 dB); always a
   gentle subsonic high-pass.
3. Stereo width: as given, or toward the reference's side-to-mid balance by ``blend``.
4. Bus compression: linked, 1.5:1 by default, a few dB on the loudest moments only.
5. Level: compression, make-up gain and the true-peak limiter in one pass, searched and
   measured until the
   integrated loudness is within 0.03 LU of the target and the true peak under the
   ceiling (:mod:`bandmate.master.leveling`).

Mono input is mastered as dual-mono stereo, because that is how it is played, and its
loudness is measured that way. Silence (nothing above the -70 LUFS gate) is returned as it
came, with a note; nothing is raised out of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bandmate.errors import MasterError
from bandmate.master._blas import one_blas_thread
from bandmate.master._checks import check_audio, check_sample_rate
from bandmate.master.dynamics import compression_gain, set_width, side_to_mid
from bandmate.master.eq import EqCurve, apply_fir, design_fir, flat_curve, match_curve
from bandmate.master.leveling import TOLERANCE_LU, match_level
from bandmate.master.loudness import (
    MOMENTARY_SECONDS,
    SHORT_TERM_SECONDS,
    LoudnessReport,
    _gated_loudness,
    _gating_blocks,
    _measure,
    _power_and_peak,
    _power_to_lufs,
    _range_of,
    _sliding_mean,
    measure_loudness,
)
from bandmate.master.progress import ProgressCallback, Stages
from bandmate.master.spectrum import STYLES, Spectrum, Style, long_term_spectrum, style_curve
from bandmate.master.targets import Target
from bandmate.master.truepeak import amplitude_to_db

STYLE_MAX_DB = 4.0
REFERENCE_MAX_DB = 6.0
WIDTH_RANGE = (0.5, 1.5)
"""How far reference matching may narrow or widen the stereo image."""
MIN_SECONDS = 0.4


@dataclass(frozen=True, slots=True, eq=False)
class MasterResult:
    """A master and everything measured on the way.

    Attributes:
        audio: The master [shape=(n, channels)], float64, true peak under the ceiling.
        sample_rate: Sample rate in Hz.
        target: The target met (its loudness resolved from the reference if asked).
        before: Loudness of the input (as mastered: mono counted as dual mono).
        after: Loudness of the master.
        reference: Loudness of the reference, if one was given (its true peak is not
            measured: NaN).
        spectrum_before: Long-term spectrum of the input.
        spectrum_after: Long-term spectrum of the master.
        spectrum_reference: Long-term spectrum of the reference, if any.
        eq: The tonal EQ applied (the subsonic high-pass not included).
        gain_db: Make-up gain, dB.
        compression_db: Deepest gain reduction of the bus compressor, dB.
        limiting_db: Deepest gain reduction of the limiter, dB.
        width: Side gain applied (1.0 = unchanged).
        rounds: Render-and-measure rounds the leveling took.
        notes: Things the user should know, one sentence each.
    """

    audio: NDArray[np.float64]
    sample_rate: float
    target: Target
    before: LoudnessReport
    after: LoudnessReport
    reference: LoudnessReport | None
    spectrum_before: Spectrum
    spectrum_after: Spectrum
    spectrum_reference: Spectrum | None
    eq: EqCurve
    gain_db: float
    compression_db: float
    limiting_db: float
    width: float
    rounds: int
    notes: tuple[str, ...]

    @property
    def loudness_error_lu(self) -> float:
        """Measured minus target loudness, LU (0.0 for silence, which has no target)."""
        lufs = self.after.integrated_lufs
        if self.target.lufs is None or not math.isfinite(lufs):
            return 0.0
        return lufs - self.target.lufs


def _unit(name: str, value: float, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise MasterError(f"{name}={value!r} must be a number in {low:g}..{high:g}")
    return float(value)


def _as_stereo(audio: NDArray[np.floating], what: str) -> NDArray[np.float64]:
    samples = check_audio(audio)
    channels = samples.shape[1]
    if channels == 1:
        return np.repeat(samples, 2, axis=1)
    if channels != 2:
        layout = " (5.1)" if channels == 6 else ""
        raise MasterError(
            f"{what} has {channels} channels{layout}; mastering takes mono or stereo: "
            "mix it down to stereo first"
        )
    return samples


@one_blas_thread()  # its products are small: a second thread would only wait for a core
def master_audio(
    audio: NDArray[np.floating],
    sample_rate: float,
    *,
    target: Target,
    reference: NDArray[np.floating] | None = None,
    reference_rate: float | None = None,
    blend: float = 0.5,
    style: Style = "balanced",
    eq_amount: float = 0.5,
    compression: float = 0.5,
    width: float = 1.0,
    progress: ProgressCallback | None = None,
) -> MasterResult:
    """Master audio to a loudness target, optionally toward a reference track.

    Args:
        audio: Samples, full scale 1.0 [shape=(n,) or (n, channels)], mono or stereo.
        sample_rate: Sample rate in Hz, 8000..384000.
        target: The loudness target and true-peak ceiling (see :mod:`.targets`).
        reference: A reference track [shape=(m,) or (m, channels)], mono or stereo.
        reference_rate: The reference's sample rate in Hz (required with ``reference``).
        blend: How far to move toward the reference's tone and width, 0.0..1.0.
        style: The tonal balance to aim for without a reference (see :func:`.style_curve`).
        eq_amount: How far to move toward the style's balance, 0.0..1.0.
        compression: Bus compression amount, 0.0 (off) ..1.0 (ratio ``1 + compression``).
        width: Side gain without a reference, 0.0..2.0 (1.0 leaves the image alone).
        progress: Called as ``progress(fraction, message)``.

    Returns:
        The master, with before/after measurements and the settings used.

    Raises:
        MasterError: on invalid audio (NaN, wrong shape, more than two channels), audio
            with sound that is shorter than 0.4 s, a bad option, or ``target="reference"``
            without a usable reference.
    """
    stages = Stages(progress)
    rate = check_sample_rate(sample_rate)
    for name, value, high in (("blend", blend, 1.0), ("eq_amount", eq_amount, 1.0)):
        _unit(name, value, 0.0, high)
    compression = _unit("compression", compression, 0.0, 1.0)
    width = _unit("width", width, 0.0, 2.0)
    if style not in STYLES:
        raise MasterError(f"style={style!r} must be one of {', '.join(STYLES)}")
    samples = _as_stereo(audio, "audio")
    notes: list[str] = []
    if audio.ndim == 1 or audio.shape[1] == 1:
        notes.append("Mono input was mastered as dual-mono stereo.")

    stages.report(0.0, "Measuring the track")
    before = _measure(samples, rate, round(0.1 * rate))  # checked above
    spectrum_before = long_term_spectrum(samples, rate)
    ref_samples, ref_loudness, ref_spectrum, ref_rate = None, None, None, rate
    if reference is not None:
        if reference_rate is None:
            raise MasterError("reference_rate must be given with a reference track")
        ref_rate = check_sample_rate(reference_rate)
        ref_samples = _as_stereo(reference, "reference")
        stages.report(0.05, "Measuring the reference")
        ref_loudness = _measure_without_peaks(ref_samples, ref_rate)
        ref_spectrum = long_term_spectrum(ref_samples, ref_rate)
    goal = target.resolved(ref_loudness.integrated_lufs if ref_loudness else None)
    assert goal.lufs is not None  # resolved() always sets it

    if not math.isfinite(before.integrated_lufs):
        if np.any(samples) and len(samples) < MIN_SECONDS * rate:
            raise MasterError(
                f"audio lasts {len(samples) / rate:.3f} s; loudness needs at least "
                f"{MIN_SECONDS} s of sound to master"
            )
        return _leave_silent(
            samples, rate, goal, before, spectrum_before, notes, ref_loudness, ref_spectrum
        )

    stages.report(0.1, "Shaping the tone")
    if ref_spectrum is not None:
        # Compare at the track's band centres (the reference may have another rate).
        goal_db = np.interp(
            np.log2(spectrum_before.frequencies_hz),
            np.log2(ref_spectrum.frequencies_hz),
            ref_spectrum.level_db,
            right=-math.inf,
        )
        curve = match_curve(spectrum_before, goal_db, amount=blend, max_db=REFERENCE_MAX_DB)
    elif eq_amount > 0.0:
        goal_db = style_curve(style, spectrum_before.frequencies_hz)
        curve = match_curve(spectrum_before, goal_db, amount=eq_amount, max_db=STYLE_MAX_DB)
    else:
        curve = flat_curve(spectrum_before.frequencies_hz)
    shaped = apply_fir(samples, design_fir(curve, rate))

    stages.report(0.3, "Compressing")
    if ref_samples is not None:
        ours, theirs = side_to_mid(samples), side_to_mid(ref_samples)
        if ours > 0.01 and theirs > 0.0:
            width = float(np.clip((theirs / ours) ** blend, *WIDTH_RANGE))
    shaped = set_width(shaped, width, in_place=True)  # shaped is our own copy
    squeeze = compression_gain(shaped, rate, amount=compression)
    compression_db = float(-squeeze.gain_db.min()) if squeeze is not None else 0.0

    level = match_level(
        shaped,
        rate,
        loudness_lufs=before.integrated_lufs,
        target_lufs=goal.lufs,
        ceiling_dbtp=goal.ceiling_dbtp,
        stages=stages.nested(0.4, 0.9),
        pre_gain=squeeze,
    )
    if not level.reached:
        notes.append(
            f"The target {goal.lufs:g} LUFS was not reached within {TOLERANCE_LU} LU "
            f"(measured {level.report.integrated_lufs:.2f} LUFS): the true-peak ceiling "
            "comes first."
        )
    if level.max_attenuation_db > 6.0:
        notes.append(
            f"The limiter reduced peaks by up to {level.max_attenuation_db:.1f} dB to reach "
            "the target; a quieter target keeps more of the track's punch."
        )
    stages.report(0.9, "Verifying the master")
    after = level.report
    spectrum_after = long_term_spectrum(level.audio, rate)
    stages.report(1.0, "Mastered")
    return MasterResult(
        audio=level.audio,
        sample_rate=rate,
        target=goal,
        before=before,
        after=after,
        reference=ref_loudness,
        spectrum_before=spectrum_before,
        spectrum_after=spectrum_after,
        spectrum_reference=ref_spectrum,
        eq=curve,
        gain_db=level.gain_db,
        compression_db=compression_db,
        limiting_db=level.max_attenuation_db,
        width=width if samples.shape[1] == 2 else 1.0,
        rounds=level.rounds,
        notes=tuple(notes),
    )


def _measure_without_peaks(audio: NDArray[np.float64], rate: float) -> LoudnessReport:
    """Loudness, range and short-term series in one K-weighting pass, without the true peak.

    A reference only guides the master, so the true-peak meter's oversampling is skipped;
    its true peak reads NaN (not measured) and its sample peak is exact.
    """
    power, peak = _power_and_peak(audio, rate, None)
    hop = round(0.1 * rate)
    short_term_power = _sliding_mean(power, round(SHORT_TERM_SECONDS * rate), hop)
    short_term = _power_to_lufs(short_term_power)
    momentary = _power_to_lufs(_sliding_mean(power, round(MOMENTARY_SECONDS * rate), hop))
    return LoudnessReport(
        integrated_lufs=_gated_loudness(_gating_blocks(power, rate)),
        loudness_range_lu=_range_of(short_term_power),
        true_peak_dbtp=math.nan,
        sample_peak_dbfs=amplitude_to_db(peak),
        max_short_term_lufs=float(short_term.max()) if len(short_term) else -math.inf,
        max_momentary_lufs=float(momentary.max()) if len(momentary) else -math.inf,
        momentary=momentary,
        short_term=short_term,
        hop_seconds=hop / rate,
    )


def _leave_silent(
    samples: NDArray[np.float64],
    rate: float,
    goal: Target,
    before: LoudnessReport,
    spectrum: Spectrum,
    notes: list[str],
    ref_loudness: LoudnessReport | None,
    ref_spectrum: Spectrum | None,
) -> MasterResult:
    """Return silence (nothing above the loudness gate) as it is, under the ceiling."""
    notes.append(
        "The input is silent (nothing above the -70 LUFS gate): it was left as it is, "
        "since raising it would only raise noise."
    )
    out = samples
    if before.true_peak_dbtp > goal.ceiling_dbtp:
        out = samples * 10.0 ** ((goal.ceiling_dbtp - 0.05 - before.true_peak_dbtp) / 20.0)
        notes.append("Its peaks were lowered under the true-peak ceiling.")
    after = measure_loudness(out, rate) if out is not samples else before
    return MasterResult(
        audio=out,
        sample_rate=rate,
        target=goal,
        before=before,
        after=after,
        reference=ref_loudness,
        spectrum_before=spectrum,
        spectrum_after=spectrum,
        spectrum_reference=ref_spectrum,
        eq=flat_curve(spectrum.frequencies_hz),
        gain_db=0.0,
        compression_db=0.0,
        limiting_db=0.0,
        width=1.0,
        rounds=0,
        notes=tuple(notes),
    )
