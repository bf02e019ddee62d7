"""Loudness range (LRA) against the EBU Tech 3342 minimum-requirements signals.

Cases 1-4 are stereo 1 kHz tone sequences, synthesised from their published descriptions.
Cases 5 and 6 use authentic programme material and are not reproduced. Tolerance: ±1 LU.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bandmate.master import loudness_range, measure_loudness

TOLERANCE_LU = 1.0


def _sequence(parts: list[tuple[float, float]], sample_rate: int) -> NDArray[np.float64]:
    """Stereo 1 kHz tone segments, each ``(level_dbfs, seconds)`` [shape=(n, 2)]."""
    segments = []
    for level, seconds in parts:
        t = np.arange(round(seconds * sample_rate)) / sample_rate
        segments.append(10.0 ** (level / 20.0) * np.sin(2.0 * np.pi * 1000.0 * t))
    return np.repeat(np.concatenate(segments)[:, np.newaxis], 2, axis=1)


@pytest.mark.parametrize("sample_rate", [44_100, 48_000])
@pytest.mark.parametrize(
    ("case", "parts", "expected"),
    [
        (1, [(-20.0, 20.0), (-30.0, 20.0)], 10.0),
        (2, [(-20.0, 20.0), (-15.0, 20.0)], 5.0),
        (3, [(-40.0, 20.0), (-20.0, 20.0)], 20.0),
        (4, [(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
    ],
)
def test_tech3342_cases_1_to_4(
    sample_rate: int, case: int, parts: list[tuple[float, float]], expected: float
) -> None:
    audio = _sequence(parts, sample_rate)
    assert loudness_range(audio, sample_rate) == pytest.approx(expected, abs=TOLERANCE_LU)


def test_case_4_quietest_passages_fall_under_the_relative_gate() -> None:
    # Without the -20 LU gate the -50 dBFS passages would stretch the range to about 30 LU.
    audio = _sequence([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0)], 48_000)
    assert loudness_range(audio, 48_000) < 16.0


def test_steady_tone_has_no_range() -> None:
    audio = _sequence([(-23.0, 20.0)], 48_000)
    assert loudness_range(audio, 48_000) == pytest.approx(0.0, abs=0.01)


def test_hop_does_not_change_a_stepped_range() -> None:
    audio = _sequence([(-20.0, 20.0), (-30.0, 20.0)], 48_000)
    for hop_seconds in (0.05, 0.5, 1.0):
        assert loudness_range(audio, 48_000, hop_seconds=hop_seconds) == pytest.approx(
            10.0, abs=TOLERANCE_LU
        )


def test_report_carries_the_range() -> None:
    audio = _sequence([(-20.0, 20.0), (-15.0, 20.0)], 48_000)
    assert measure_loudness(audio, 48_000).loudness_range_lu == loudness_range(audio, 48_000)


@pytest.mark.parametrize("seconds", [0.0, 1.0, 2.9])
def test_too_short_for_a_short_term_window_reads_zero(seconds: float) -> None:
    assert loudness_range(_sequence([(-20.0, seconds)], 48_000), 48_000) == 0.0


def test_silence_reads_zero() -> None:
    assert loudness_range(np.zeros((10 * 48_000, 2)), 48_000) == 0.0
