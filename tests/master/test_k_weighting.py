"""K-weighting filters and channel weights against ITU-R BS.1770-4."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from bandmate.master import MasterError, channel_weights, k_weighting_sos

# BS.1770-4 Table 1 (pre-filter) and Table 2 (RLB filter) at 48 kHz.
PRE_FILTER_B = [1.53512485958697, -2.69169618940638, 1.19839281085285]
PRE_FILTER_A = [1.0, -1.69065929318241, 0.73248077421585]
RLB_B = [1.0, -2.0, 1.0]
RLB_A = [1.0, -1.99004745483398, 0.99007225036621]
TABLE_48K = np.array([PRE_FILTER_B + PRE_FILTER_A, RLB_B + RLB_A])

PROBE_HZ = np.array([20.0, 50.0, 100.0, 500.0, 997.0, 2000.0, 4000.0, 8000.0, 12000.0, 15000.0])


def _response_db(sample_rate: float, hz: np.ndarray) -> np.ndarray:
    _, h = scipy.signal.sosfreqz(k_weighting_sos(sample_rate), worN=hz, fs=sample_rate)
    return np.asarray(20.0 * np.log10(np.abs(h)))


def test_48k_coefficients_are_the_bs1770_table() -> None:
    np.testing.assert_allclose(k_weighting_sos(48_000), TABLE_48K, rtol=0, atol=1e-13)


def test_gain_at_997_hz_is_what_the_minus_0691_offset_cancels() -> None:
    assert _response_db(48_000, np.array([997.0]))[0] == pytest.approx(0.691, abs=0.001)


def test_shape_of_the_curve() -> None:
    low, mid, high = _response_db(48_000, np.array([20.0, 500.0, 10_000.0]))
    assert low < -12.0  # the RLB high-pass
    assert mid == pytest.approx(0.0, abs=0.1)
    assert high == pytest.approx(4.0, abs=0.1)  # the +4 dB head shelf


@pytest.mark.parametrize(
    ("sample_rate", "tolerance_db"),
    [(32_000, 0.01), (44_100, 0.01), (88_200, 0.01), (96_000, 0.01), (192_000, 0.01),
     (384_000, 0.01), (22_050, 0.03), (16_000, 0.05), (8_000, 0.25)],
)  # fmt: skip
def test_other_rates_follow_the_48k_response(sample_rate: int, tolerance_db: float) -> None:
    hz = PROBE_HZ[np.less(PROBE_HZ, 0.45 * sample_rate)]
    deviation = _response_db(sample_rate, hz) - _response_db(48_000, hz)
    assert np.abs(deviation).max() < tolerance_db


def test_passband_gain_of_the_high_pass_does_not_drift_with_rate() -> None:
    assert _response_db(8_000, np.array([200.0]))[0] == pytest.approx(
        _response_db(48_000, np.array([200.0]))[0], abs=0.002
    )


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (1, [1.0]),
        (2, [1.0, 1.0]),
        (3, [1.0, 1.0, 1.0]),
        (4, [1.0, 1.0, 1.41, 1.41]),
        (5, [1.0, 1.0, 1.0, 1.41, 1.41]),
        (6, [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]),
        (7, [1.0, 1.0, 1.0, 1.41, 1.41, 1.0, 1.0]),
        (8, [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 1.0, 1.0]),
    ],
)
def test_default_layout_weights(channels: int, expected: list[float]) -> None:
    assert channel_weights(channels).tolist() == expected


def test_explicit_layout() -> None:
    weights = channel_weights(3, channels_layout=("LFE", "Ls", "C"))
    assert weights.tolist() == [0.0, 1.41, 1.0]


@pytest.mark.parametrize(
    ("channels", "layout", "message"),
    [
        (2, ("L",), "exactly 2"),
        (2, "LR", "exactly 2"),
        (2, ("L", "X"), "unknown labels"),
        (0, None, "channels=0"),
        (9, None, "channels=9"),
    ],
)
def test_bad_layouts_are_rejected(channels: int, layout: object, message: str) -> None:
    with pytest.raises(MasterError, match=message):
        channel_weights(channels, channels_layout=layout)  # type: ignore[arg-type]


@pytest.mark.parametrize("sample_rate", [7_999, 384_001, float("nan"), "48000", True])
def test_bad_sample_rates_are_rejected(sample_rate: object) -> None:
    with pytest.raises(MasterError, match="sample_rate"):
        k_weighting_sos(sample_rate)  # type: ignore[arg-type]
