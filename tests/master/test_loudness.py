"""Loudness (M, S, I) against the EBU Tech 3341 minimum-requirements signals and BS.1770-4.

The signals are synthesised from their published descriptions. Cases 7 and 8 use authentic
programme material and are not reproduced; cases 10, 11, 13 and 14 (burst timing of the
maximum M and S) are left out too. Tolerance: ±0.1 LU.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from bandmate.master import (
    LoudnessReport,
    MasterError,
    integrated_loudness,
    measure_loudness,
    momentary_loudness,
    short_term_loudness,
)

RATES = [44_100, 48_000]
TOLERANCE_LU = 0.1


def _tone(
    level_dbfs: float, seconds: float, sample_rate: int, *, hz: float = 1000.0, channels: int = 2
) -> NDArray[np.float64]:
    """A sine of peak level ``level_dbfs`` in every channel [shape=(n, channels)]."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = 10.0 ** (level_dbfs / 20.0) * np.sin(2.0 * np.pi * hz * t)
    return np.repeat(wave[:, np.newaxis], channels, axis=1)


def _sequence(parts: list[tuple[float, float]], sample_rate: int) -> NDArray[np.float64]:
    """Stereo 1 kHz tone segments, each ``(level_dbfs, seconds)``."""
    return np.concatenate([_tone(level, seconds, sample_rate) for level, seconds in parts])


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20_250_601)


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize(("case", "level"), [(1, -23.0), (2, -33.0)])
def test_tech3341_cases_1_2_steady_tone(sample_rate: int, case: int, level: float) -> None:
    report = measure_loudness(_tone(level, 20.0, sample_rate), sample_rate)
    assert report.integrated_lufs == pytest.approx(level, abs=TOLERANCE_LU)
    np.testing.assert_allclose(report.momentary, level, atol=TOLERANCE_LU)
    np.testing.assert_allclose(report.short_term, level, atol=TOLERANCE_LU)
    assert len(report.momentary) == 197  # (20 s - 0.4 s) / 0.1 s + 1
    assert len(report.short_term) == 171


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize(
    ("case", "parts"),
    [
        (3, [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]),
        (4, [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)]),
        (5, [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]),
    ],
)
def test_tech3341_cases_3_4_5_gating(
    sample_rate: int, case: int, parts: list[tuple[float, float]]
) -> None:
    audio = _sequence(parts, sample_rate)
    assert integrated_loudness(audio, sample_rate) == pytest.approx(-23.0, abs=TOLERANCE_LU)


@pytest.mark.parametrize("sample_rate", RATES)
def test_tech3341_case_6_five_channels(sample_rate: int) -> None:
    front = _tone(-28.0, 20.0, sample_rate)  # L, R
    centre = _tone(-24.0, 20.0, sample_rate, channels=1)
    surround = _tone(-30.0, 20.0, sample_rate)  # Ls, Rs
    audio = np.concatenate([front, centre, surround], axis=1)
    assert integrated_loudness(audio, sample_rate) == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_tech3341_case_6_as_5_1_ignores_a_loud_lfe() -> None:
    front = _tone(-28.0, 20.0, 48_000)
    centre = _tone(-24.0, 20.0, 48_000, channels=1)
    lfe = _tone(0.0, 20.0, 48_000, hz=60.0, channels=1)
    surround = _tone(-30.0, 20.0, 48_000)
    audio = np.concatenate([front, centre, lfe, surround], axis=1)  # L R C LFE Ls Rs
    assert integrated_loudness(audio, 48_000) == pytest.approx(-23.0, abs=TOLERANCE_LU)


@pytest.mark.parametrize("sample_rate", RATES)
def test_tech3341_case_9_short_term_is_steady(sample_rate: int) -> None:
    audio = np.concatenate([_sequence([(-20.0, 1.34), (-30.0, 1.66)], sample_rate)] * 20)
    short_term = short_term_loudness(audio, sample_rate)
    np.testing.assert_allclose(short_term, -23.0, atol=TOLERANCE_LU)


@pytest.mark.parametrize("sample_rate", RATES)
def test_tech3341_case_12_momentary_is_steady(sample_rate: int) -> None:
    audio = np.concatenate([_sequence([(-20.0, 0.18), (-30.0, 0.22)], sample_rate)] * 25)
    momentary = momentary_loudness(audio, sample_rate)
    np.testing.assert_allclose(momentary, -23.0, atol=TOLERANCE_LU)


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("hz", [997.0, 1000.0])
@pytest.mark.parametrize("channel", [0, 1])
def test_full_scale_sine_in_one_channel_reads_minus_3_01(
    sample_rate: int, hz: float, channel: int
) -> None:
    audio = np.zeros((5 * sample_rate, 2))
    audio[:, channel] = _tone(0.0, 5.0, sample_rate, hz=hz, channels=1)[:, 0]
    assert integrated_loudness(audio, sample_rate) == pytest.approx(-3.01, abs=0.01)


def test_mono_is_one_front_channel() -> None:
    audio = _tone(0.0, 5.0, 48_000, hz=997.0, channels=1)[:, 0]
    assert integrated_loudness(audio, 48_000) == pytest.approx(-3.01, abs=0.01)


def test_44k1_and_48k_agree_on_a_1khz_sine() -> None:
    at_44k1 = integrated_loudness(_tone(-20.0, 10.0, 44_100), 44_100)
    at_48k = integrated_loudness(_tone(-20.0, 10.0, 48_000), 48_000)
    assert at_44k1 == pytest.approx(at_48k, abs=0.05)


@pytest.mark.parametrize("sample_rate", [8_000, 16_000, 22_050, 32_000, 96_000, 192_000])
def test_other_rates_read_a_1khz_sine_like_48k(sample_rate: int) -> None:
    reference = integrated_loudness(_tone(-20.0, 5.0, 48_000), 48_000)
    tolerance = 0.25 if sample_rate == 8_000 else 0.05
    measured = integrated_loudness(_tone(-20.0, 5.0, sample_rate), sample_rate)
    assert measured == pytest.approx(reference, abs=tolerance)


def test_gain_shifts_every_measure_by_the_same_db(rng: np.random.Generator) -> None:
    noise = 0.1 * rng.standard_normal((10 * 44_100, 2))
    quiet = measure_loudness(noise, 44_100)
    loud = measure_loudness(noise * 10.0 ** (6.0 / 20.0), 44_100)
    assert loud.integrated_lufs - quiet.integrated_lufs == pytest.approx(6.0, abs=1e-9)
    np.testing.assert_allclose(loud.momentary - quiet.momentary, 6.0, atol=1e-9)
    assert loud.true_peak_dbtp - quiet.true_peak_dbtp == pytest.approx(6.0, abs=1e-4)
    assert loud.loudness_range_lu == pytest.approx(quiet.loudness_range_lu, abs=1e-9)


def test_swapping_left_and_right_changes_nothing(rng: np.random.Generator) -> None:
    audio = rng.standard_normal((3 * 48_000, 2)) * np.array([0.05, 0.2])
    assert integrated_loudness(audio[:, ::-1], 48_000) == pytest.approx(
        integrated_loudness(audio, 48_000), abs=1e-9
    )


def test_surround_channels_weigh_1_5_db_more() -> None:
    tone = _tone(-20.0, 5.0, 48_000, channels=1)
    front = integrated_loudness(tone, 48_000, channels_layout=("L",))
    surround = integrated_loudness(tone, 48_000, channels_layout=("Ls",))
    assert surround - front == pytest.approx(10.0 * math.log10(1.41), abs=1e-9)


def test_lfe_alone_is_not_measured() -> None:
    tone = _tone(-10.0, 2.0, 48_000, hz=60.0, channels=1)
    assert integrated_loudness(tone, 48_000, channels_layout=("LFE",)) == -math.inf


def test_silence_padding_is_gated_out() -> None:
    programme = _tone(-18.0, 10.0, 48_000)

    def padded(seconds: int) -> NDArray[np.float64]:
        silence = np.zeros((seconds * 48_000, 2))
        return np.concatenate([silence, programme, silence])

    # Blocks straddling the edges count either way; the extra silent blocks must not.
    assert integrated_loudness(padded(30), 48_000) == pytest.approx(
        integrated_loudness(padded(1), 48_000), abs=1e-9
    )


def test_a_burst_sets_the_maxima() -> None:
    audio = _sequence([(-60.0, 5.0), (-14.0, 4.0), (-60.0, 5.0)], 48_000)
    report = measure_loudness(audio, 48_000)
    assert report.max_momentary_lufs == pytest.approx(-14.0, abs=TOLERANCE_LU)
    assert report.max_short_term_lufs == pytest.approx(-14.0, abs=TOLERANCE_LU)


@pytest.mark.parametrize("hop_seconds", [0.05, 0.1, 0.25, 1.0])
def test_hop_sets_the_series_rate(hop_seconds: float) -> None:
    audio = _tone(-23.0, 10.0, 44_100)
    report = measure_loudness(audio, 44_100, hop_seconds=hop_seconds)
    assert report.hop_seconds == pytest.approx(hop_seconds)
    assert len(report.momentary) == math.floor((10.0 - 0.4) / hop_seconds + 1e-9) + 1
    assert len(report.short_term) == math.floor((10.0 - 3.0) / hop_seconds + 1e-9) + 1
    np.testing.assert_allclose(report.momentary, -23.0, atol=TOLERANCE_LU)


def test_report_agrees_with_the_single_measures(rng: np.random.Generator) -> None:
    audio = rng.standard_normal((12 * 44_100, 2)) * np.linspace(0.01, 0.3, 12 * 44_100)[:, None]
    report = measure_loudness(audio, 44_100)
    assert report.integrated_lufs == integrated_loudness(audio, 44_100)
    np.testing.assert_array_equal(report.momentary, momentary_loudness(audio, 44_100))
    np.testing.assert_array_equal(report.short_term, short_term_loudness(audio, 44_100))
    assert report.max_momentary_lufs == report.momentary.max()
    assert report.max_short_term_lufs == report.short_term.max()


def test_report_is_frozen() -> None:
    report = measure_loudness(_tone(-23.0, 4.0, 48_000), 48_000)
    with pytest.raises(AttributeError):
        report.integrated_lufs = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        report.momentary[0] = 0.0


def test_silence_reads_minus_infinity() -> None:
    report = measure_loudness(np.zeros((10 * 48_000, 2)), 48_000)
    assert report.integrated_lufs == -math.inf
    assert report.max_momentary_lufs == -math.inf
    assert report.max_short_term_lufs == -math.inf
    assert report.true_peak_dbtp == -math.inf
    assert report.sample_peak_dbfs == -math.inf
    assert report.loudness_range_lu == 0.0
    assert np.all(report.momentary == -math.inf)
    assert len(report.momentary) == 97


def test_silence_between_passages_reads_minus_infinity() -> None:
    audio = _sequence([(-20.0, 1.0), (-math.inf, 2.0), (-20.0, 1.0)], 48_000)
    momentary = momentary_loudness(audio, 48_000)
    assert momentary[15] == -math.inf  # the window over 1.5 .. 1.9 s holds only zeros
    assert momentary[0] == pytest.approx(-20.0, abs=TOLERANCE_LU)


def test_audio_shorter_than_a_block() -> None:
    report = measure_loudness(_tone(-10.0, 0.3, 48_000), 48_000)
    assert report.integrated_lufs == -math.inf
    assert report.momentary.shape == (0,)
    assert report.short_term.shape == (0,)
    assert report.max_momentary_lufs == -math.inf
    assert report.sample_peak_dbfs == pytest.approx(-10.0, abs=0.01)


def test_audio_shorter_than_short_term_window() -> None:
    report = measure_loudness(_tone(-10.0, 1.0, 48_000), 48_000)
    assert report.integrated_lufs == pytest.approx(-10.0, abs=TOLERANCE_LU)
    assert report.short_term.shape == (0,)
    assert report.max_short_term_lufs == -math.inf
    assert report.loudness_range_lu == 0.0


def test_empty_audio() -> None:
    report = measure_loudness(np.zeros((0, 2)), 48_000)
    assert report.integrated_lufs == -math.inf
    assert report.true_peak_dbtp == -math.inf


def test_float32_input_is_measured_like_float64() -> None:
    audio = _tone(-23.0, 5.0, 48_000)
    assert integrated_loudness(audio.astype(np.float32), 48_000) == pytest.approx(
        integrated_loudness(audio, 48_000), abs=1e-4
    )


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.full((48_000, 2), np.nan), "NaN or infinite"),
        (np.array([[0.0, 0.0], [0.0, np.inf]]), r"frame 1, channel 1"),
        (np.zeros((100, 9)), "9 channels"),
        (np.zeros((100, 0)), "0 channels"),
        (np.zeros((2, 48_000)), r"pass audio\.T"),
        (np.zeros((100, 2, 2)), "ndim=3"),
        (np.zeros((100, 2), dtype=np.int16), "floating point"),
        ([0.0, 0.1], "numpy array"),
    ],
)
def test_bad_audio_is_rejected(audio: NDArray[np.float64], message: str) -> None:
    with pytest.raises(MasterError, match=message):
        measure_loudness(audio, 48_000)


@pytest.mark.parametrize("sample_rate", [0, 7_999, 384_001, math.inf])
def test_bad_sample_rate_is_rejected(sample_rate: float) -> None:
    with pytest.raises(MasterError, match=r"must be in 8000\.\.384000"):
        integrated_loudness(np.zeros(48_000), sample_rate)


@pytest.mark.parametrize("hop_seconds", [0.0, -0.1, 1e-6, math.nan])
def test_bad_hop_is_rejected(hop_seconds: float) -> None:
    with pytest.raises(MasterError, match="hop_seconds"):
        momentary_loudness(np.zeros(48_000), 48_000, hop_seconds=hop_seconds)


def test_report_type() -> None:
    assert isinstance(measure_loudness(np.zeros(100), 8_000), LoudnessReport)
