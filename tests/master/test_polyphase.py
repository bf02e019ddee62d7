"""The interpolator (C kernel or matrix products) equals direct float64 convolution."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bandmate.master import _peaks, _polyphase, true_peak
from bandmate.master._polyphase import HALF_SPAN, block_peaks, interpolator, valid_peak
from bandmate.master.limiter import block_size, detect_peaks
from bandmate.master.truepeak import oversampling_factor

from .tracks import RATE, TRACKS, track


def _points(x: NDArray[np.float64], factor: int) -> NDArray[np.float64]:
    """Every interpolated point after every sample, zeros outside ``x`` [shape=(P, n)]."""
    # Point after sample m: sum_j g[j] x[m + 16 - j] = np.convolve(x, g)[m + 16].
    return np.array(
        [np.convolve(x, g)[HALF_SPAN : HALF_SPAN + len(x)] for g in interpolator(factor)]
    )


def _direct_block_peaks(x: NDArray[np.float64], factor: int, block: int) -> NDArray[np.float64]:
    """Largest |sample| or |point after a sample| per block."""
    points = np.maximum(np.abs(_points(x, factor)).max(axis=0), np.abs(x))
    count = -(-len(x) // block)
    padded = np.zeros(count * block)
    padded[: len(x)] = points
    peaks: NDArray[np.float64] = padded.reshape(count, block).max(axis=1)
    return peaks


def _direct_valid_peak(x: NDArray[np.float64], factor: int) -> float:
    if len(x) < 2 * HALF_SPAN:
        return 0.0
    # Points whose 32-sample span lies inside x: after samples 15 .. n - 17.
    return float(np.abs(_points(x, factor)[:, HALF_SPAN - 1 : len(x) - HALF_SPAN]).max())


@pytest.fixture(params=["kernel", "matrix"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with the C kernel (where this processor has it) and with the matrix
    products: both ways must give the direct convolution's points."""
    if request.param == "kernel" and not _peaks.available():
        pytest.skip("this processor lacks AVX2 and FMA")
    monkeypatch.setattr(_polyphase, "_KERNEL", request.param == "kernel")
    return str(request.param)


@pytest.mark.usefixtures("way")
@pytest.mark.parametrize("factor", [2, 4, 6, 23])
@pytest.mark.parametrize("block", [4, 6, 31, 34, 67])
def test_block_peaks_equal_direct_convolution(factor: int, block: int) -> None:
    rng = np.random.default_rng(factor * 100 + block)
    for length in (1, 5, block, 3 * block + 1, 4_000, 40_000 + 3):
        x = rng.standard_normal(length) * 0.3
        got = block_peaks(x, factor, block)
        expected = _direct_block_peaks(x, factor, block)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6 * np.abs(x).max())


@pytest.mark.usefixtures("way")
@pytest.mark.parametrize("factor", [2, 4, 6, 23])
def test_valid_peak_equals_direct_convolution(factor: int) -> None:
    rng = np.random.default_rng(factor)
    for length in (31, 32, 33, 63, 64, 65, 95, 1_000, 65_537):
        x = rng.standard_normal(length) * 1e-3  # any level: scaled to a unit peak inside
        got = valid_peak(x, factor, floor=0.0)
        assert got == pytest.approx(_direct_valid_peak(x, factor), rel=2e-6)


@pytest.mark.usefixtures("way")
def test_valid_peak_skips_only_what_cannot_beat_the_floor() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal(50_000) * 0.01
    # A loud burst at a quarter of the rate, sampled at 45 degrees: its samples reach
    # 0.9 / sqrt(2), its points 0.9. Most blocks (quiet noise) are skipped.
    x[31_200:31_400] += 0.9 * np.sin(np.pi / 2 * np.arange(200) + np.pi / 4)
    floor = float(np.abs(x).max())
    expected = _direct_valid_peak(x, 4)
    assert expected > floor * 1.3
    assert valid_peak(x, 4, floor=floor) == pytest.approx(expected, rel=2e-6)
    assert valid_peak(x, 4, floor=10.0) == 10.0
    # Bursts anywhere, the last samples included, and lengths around whole stretches.
    for length in (1024 * 3 + 20, 1024 * 3 + 31, 1024 * 3 + 40, 1024 * 4):
        for end in (length, length - 17, length - 700, 900, 140):
            y = rng.standard_normal(length) * 0.01
            y[end - 120 : end] += 0.9 * np.sin(np.pi / 2 * np.arange(120) + np.pi / 4)
            floor = float(np.abs(y).max())
            expected = max(floor, _direct_valid_peak(y, 4))
            assert valid_peak(y, 4, floor=floor) == pytest.approx(expected, rel=2e-6)
    assert valid_peak(np.zeros(1000), 4, floor=0.25) == 0.25


@pytest.mark.parametrize("name", sorted(set(TRACKS) - {"pure_silence"}))
def test_meter_and_limiter_agree_with_direct_convolution_on_tracks(name: str) -> None:
    audio = track(name)
    factor = oversampling_factor(RATE)
    seconds = audio[: 3 * RATE]  # three seconds keep the float64 reference quick
    expected = max(
        float(np.abs(seconds).max()), *(_direct_valid_peak(c, factor) for c in seconds.T)
    )
    assert true_peak(seconds, RATE) == pytest.approx(20 * np.log10(expected), abs=1e-5)
    block = block_size(RATE)
    direct = np.max([_direct_block_peaks(c, factor, block) for c in seconds.T], axis=0)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(
            detect_peaks(seconds, RATE).peak_db, 20 * np.log10(direct), atol=1e-4
        )


@pytest.mark.parametrize("name", ["pop", "bright", "loud_clipped", "bass_heavy", "verse_chorus"])
@pytest.mark.parametrize("lufs", [-14.0, -8.0])
def test_limiter_bounds_hold_and_leave_the_meter_reading_unchanged(name: str, lufs: float) -> None:
    from bandmate.master.leveling import _Model, peak_bounds
    from bandmate.master.limiter import sample_gains
    from bandmate.master.loudness import _measure

    audio = track(name)
    model = _Model(audio, RATE, lufs, None)
    _, total = model.predict(lufs - model.loudness, -1.1)
    out = audio * sample_gains(total, model.peaks.block, len(audio))[:, np.newaxis]
    block, bound = peak_bounds(model.peaks, total)
    # The bound holds for every block of the rendered signal (samples and points).
    rendered = detect_peaks(out, RATE)
    assert rendered.block == block
    assert np.all(10 ** (rendered.peak_db / 20) <= bound)
    # And the meter that skips by it reads what the plain meter reads.
    bounded = _measure(out, RATE, round(0.1 * RATE), peak_bounds=(block, bound))
    assert bounded.true_peak_dbtp == pytest.approx(true_peak(out, RATE), abs=1e-6)


def test_the_peaks_kernel_refuses_bad_arguments() -> None:
    if not _peaks.available():
        pytest.skip("this processor lacks AVX2 and FMA")
    x, out = np.zeros(100), np.zeros(10, dtype=np.float32)
    taps = np.zeros((3, 32), dtype=np.float32)
    with pytest.raises(ValueError, match="lo <= hi"):
        _peaks.block_max(x, taps, 1.0, 0, 101, 10, True, out)
    with pytest.raises(ValueError, match="room in out"):
        _peaks.block_max(x, taps, 1.0, 0, 100, 9, True, out)
    with pytest.raises(ValueError, match="32 taps"):
        _peaks.block_max(x, taps[:, :31].copy(), 1.0, 0, 100, 10, True, out)
    with pytest.raises(ValueError, match="finite scale"):
        _peaks.block_max(x, taps, float("nan"), 0, 100, 10, True, out)
    with pytest.raises(TypeError, match="float64"):
        _peaks.block_max(x.astype(np.float32), taps, 1.0, 0, 100, 10, True, out)
