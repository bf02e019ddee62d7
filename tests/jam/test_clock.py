"""The clock filter on synthetic exchanges: known offset, asymmetric jittery legs."""

from __future__ import annotations

import random

import pytest

from bandmate.jam.clock import ClockFilter, ClockSample, estimate_clock
from bandmate.jam.errors import JamError


def exchange(
    t0: float, offset: float, up: float, down: float, server_ms: float = 0.2
) -> ClockSample:
    """One exchange with a true ``offset`` (server minus client) and leg times ``up``/``down``."""
    t1 = t0 + up + offset
    t2 = t1 + server_ms
    return ClockSample(t0, t1, t2, t2 - offset + down)


def test_one_symmetric_exchange_is_exact() -> None:
    sample = exchange(1000.0, 250.0, 20.0, 20.0)
    assert sample.offset == pytest.approx(250.0)
    assert sample.delay == pytest.approx(40.0)


def test_an_asymmetric_exchange_is_off_by_half_the_difference() -> None:
    sample = exchange(1000.0, -75.0, 30.0, 10.0)
    assert sample.offset == pytest.approx(-75.0 + 10.0)
    assert sample.delay == pytest.approx(40.0)


@pytest.mark.parametrize("offset", [0.0, 1234.5, -98765.25])
def test_the_filter_finds_the_offset_through_jitter(offset: float) -> None:
    rng = random.Random(7)
    clock = ClockFilter(window=32)
    naive = []
    t0 = 0.0
    for _ in range(200):
        # 20 ms each way, +-2.5 ms uniform jitter, and now and then a queue of 5..40 ms.
        up = 20.0 + rng.uniform(-2.5, 2.5) + (rng.uniform(5, 40) if rng.random() < 0.2 else 0)
        down = 20.0 + rng.uniform(-2.5, 2.5) + (rng.uniform(5, 40) if rng.random() < 0.2 else 0)
        sample = exchange(t0, offset, up, down)
        naive.append(sample.offset)
        estimate = clock.add(sample)
        t0 += 250.0
    assert estimate.samples == 32
    assert abs(estimate.offset_ms - offset) < 1.0
    assert 39.0 < estimate.rtt_ms < 55.0
    assert 35.0 <= estimate.min_rtt_ms <= estimate.rtt_ms
    assert estimate.error_ms < 25.0
    worst_naive = max(abs(o - offset) for o in naive)
    assert worst_naive > 5.0  # single exchanges are far worse: the filter is doing the work


def test_the_filter_follows_a_step_of_the_clock() -> None:
    clock = ClockFilter(window=8)
    for i in range(8):
        clock.add(exchange(i * 100.0, 50.0, 10.0, 10.0))
    for i in range(8, 16):
        estimate = clock.add(exchange(i * 100.0, 80.0, 10.0, 10.0))
    assert estimate.offset_ms == pytest.approx(80.0)


def test_the_lowest_delay_samples_win() -> None:
    slow = [exchange(0.0, 10.0, 50.0, 5.0)] * 6  # offset reads 10 + 22.5
    fast = [exchange(0.0, 10.0, 5.0, 5.0)] * 2
    assert estimate_clock(slow + fast, keep=0.25).offset_ms == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ((10.0, 0.0, 1.0, 5.0), "t3=5.0 must not be before t0=10.0"),
        ((0.0, 5.0, 4.0, 10.0), "t2=4.0 must not be before t1=5.0"),
        ((0.0, 0.0, 0.0, float("nan")), "t3=nan must be a finite number"),
        ((0.0, 0.0, 0.0, 1e9), "delay=1000000000 ms must be at most 60000 ms"),
    ],
)
def test_impossible_exchanges_are_refused(
    times: tuple[float, float, float, float], message: str
) -> None:
    with pytest.raises(JamError, match=message):
        ClockSample(*times)


def test_bad_filter_settings_are_refused() -> None:
    with pytest.raises(JamError, match="window=0 must be at least 1"):
        ClockFilter(window=0)
    with pytest.raises(JamError, match="keep=0 must be in"):
        ClockFilter(keep=0)
    with pytest.raises(JamError, match="samples must not be empty"):
        estimate_clock([])
