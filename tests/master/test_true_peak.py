"""True peak against EBU Tech 3341 cases 15-19 and a brute-force reference.

Cases 20-23 (authentic and special signals) are not reproduced. Tolerance: +0.2 / -0.4 dB.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from bandmate.master import MasterError, oversampling_factor, sample_peak, true_peak
from bandmate.master._polyphase import interpolator as _interpolator


def _sine(
    level_dbfs: float, cycle_fraction: float, phase_degrees: float, seconds: float, rate: int
) -> NDArray[np.float64]:
    """Stereo sine of peak ``level_dbfs`` at ``cycle_fraction * rate`` Hz [shape=(n, 2)]."""
    n = np.arange(round(seconds * rate))
    wave = 10.0 ** (level_dbfs / 20.0) * np.sin(
        2.0 * np.pi * cycle_fraction * n + math.radians(phase_degrees)
    )
    return np.repeat(wave[:, np.newaxis], 2, axis=1)


def _reference_true_peak(audio: NDArray[np.float64], factor: int) -> float:
    """Direct convolution of every channel with every phase, over the same valid span."""
    highest = float(np.abs(audio).max())
    for channel in audio.T:
        for taps in _interpolator(factor):
            if len(channel) >= len(taps):
                highest = max(highest, float(np.abs(np.convolve(channel, taps, "valid")).max()))
    return 20.0 * math.log10(highest)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1770)


@pytest.mark.parametrize("sample_rate", [48_000, 44_100])
@pytest.mark.parametrize(
    ("case", "level", "fraction", "phase", "expected"),
    [
        (15, -6.0, 1 / 4, 0.0, -6.0),
        (16, -6.0, 1 / 4, 45.0, -6.0),
        (17, -6.0, 1 / 6, 60.0, -6.0),
        (18, -6.0, 1 / 8, 67.5, -6.0),
        (19, 3.0, 1 / 4, 45.0, 3.0),  # samples at ±1.0: 0 dBFS sample peak, +3 dBTP
    ],
)
def test_tech3341_cases_15_to_19(
    sample_rate: int, case: int, level: float, fraction: float, phase: float, expected: float
) -> None:
    measured = true_peak(_sine(level, fraction, phase, 2.0, sample_rate), sample_rate)
    assert expected - 0.4 <= measured <= expected + 0.2


def test_case_19_samples_sit_at_full_scale() -> None:
    # +3 dBFS is 1.4125, so the 45-degree samples sit at 0.9988 (-0.01 dBFS).
    assert sample_peak(_sine(3.0, 1 / 4, 45.0, 1.0, 48_000)) == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize(
    ("sample_rate", "factor"),
    [(8_000, 23), (32_000, 6), (44_100, 4), (48_000, 4), (88_200, 2), (96_000, 2),
     (176_400, 1), (192_000, 1), (384_000, 1)],
)  # fmt: skip
def test_oversampling_reaches_176k4(sample_rate: int, factor: int) -> None:
    assert oversampling_factor(sample_rate) == factor


@pytest.mark.parametrize("sample_rate", [8_000, 96_000])
def test_other_factors_find_the_quarter_rate_peak(sample_rate: int) -> None:
    measured = true_peak(_sine(3.0, 1 / 4, 45.0, 1.0, sample_rate), sample_rate)
    assert measured == pytest.approx(3.0, abs=0.01)


def test_no_oversampling_at_192k() -> None:
    audio = _sine(-1.0, 1 / 4, 45.0, 0.5, 192_000)
    assert true_peak(audio, 192_000) == sample_peak(audio)


@pytest.mark.parametrize("hz", [997.0, 5_003.0, 10_007.0, 15_013.0, 19_001.0])
def test_interpolator_follows_a_sine_to_0_4_of_the_rate(
    hz: float, rng: np.random.Generator
) -> None:
    phase = rng.uniform(0.0, 360.0)
    measured = true_peak(_sine(-3.0, hz / 48_000, phase, 1.0, 48_000), 48_000)
    assert measured == pytest.approx(-3.0, abs=0.005)


@pytest.mark.parametrize("length", [1, 31, 32, 33, 2_017, 2_048, 2_049, 4_065, 50_000])
def test_matches_direct_convolution(length: int, rng: np.random.Generator) -> None:
    audio = rng.standard_normal((length, 2)) * np.array([0.3, 0.1])
    assert true_peak(audio, 44_100) == pytest.approx(_reference_true_peak(audio, 4), abs=1e-4)


def test_skipped_quiet_frames_do_not_hide_a_peak(rng: np.random.Generator) -> None:
    audio = 1e-3 * rng.standard_normal((200_000, 2))
    audio[150_000:150_100, 1] = 0.5 * np.sign(rng.standard_normal(100))  # a clipped burst
    assert true_peak(audio, 48_000) == pytest.approx(_reference_true_peak(audio, 4), abs=1e-4)


def test_never_below_sample_peak(rng: np.random.Generator) -> None:
    audio = rng.uniform(-1.0, 1.0, (10_000, 2))
    assert true_peak(audio, 48_000) >= sample_peak(audio)


def test_a_cut_out_never_reads_higher_than_the_whole(rng: np.random.Generator) -> None:
    audio = 0.5 * rng.standard_normal((30_000, 1))
    whole = true_peak(audio, 48_000)
    for start in (0, 777, 12_345):
        assert true_peak(audio[start : start + 5_000], 48_000) <= whole + 1e-6


def test_every_channel_counts_the_lfe_included() -> None:
    audio = np.zeros((48_000, 6))
    audio[:, 3] = _sine(3.0, 1 / 4, 45.0, 1.0, 48_000)[:, 0]
    assert true_peak(audio, 48_000) == pytest.approx(3.0, abs=0.01)


def test_any_level_is_measured(rng: np.random.Generator) -> None:
    audio = rng.standard_normal((5_000, 2))
    assert true_peak(audio * 1e6, 48_000) - true_peak(audio, 48_000) == pytest.approx(
        120.0, abs=1e-4
    )


def test_silence_and_empty_read_minus_infinity() -> None:
    assert true_peak(np.zeros((1_000, 2)), 48_000) == -math.inf
    assert true_peak(np.zeros((0, 2)), 48_000) == -math.inf
    assert sample_peak(np.zeros(10)) == -math.inf


def test_mono_input() -> None:
    assert true_peak(_sine(-6.0, 1 / 4, 45.0, 1.0, 48_000)[:, 0], 48_000) == pytest.approx(
        -6.0, abs=0.01
    )


def test_non_finite_input_is_rejected() -> None:
    with pytest.raises(MasterError, match="NaN or infinite"):
        true_peak(np.array([0.0, np.nan, 0.0]), 48_000)


def test_bad_rate_is_rejected() -> None:
    with pytest.raises(MasterError, match="sample_rate"):
        true_peak(np.zeros(100), 4_000)
