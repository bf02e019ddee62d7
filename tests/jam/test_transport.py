"""The transport: bar/beat phase on the server clock, count-in, changes on bar lines."""

from __future__ import annotations

import pytest

from bandmate.jam.errors import JamError
from bandmate.jam.transport import Segment, Transport


def test_start_counts_in_then_plays_bar_zero() -> None:
    t = Transport.stopped().start(1000.0, lead_ms=500.0, count_in=1, bpm=120.0)
    assert t.playing
    assert t.position(1500.0) == t.position(1500.0)
    first = t.position(1500.0)
    assert (first.bar, first.beat, first.quarter) == (-1, 0.0, -4.0)
    bar0 = t.position(3500.0)  # 120 bpm, 4/4: 2000 ms a bar
    assert (bar0.bar, bar0.beat, bar0.quarter) == (0, 0.0, 0.0)
    mid = t.position(4250.0)
    assert (mid.bar, mid.beat, mid.quarter) == (0, 1.5, 1.5)
    assert t.next_bar(3600.0) == (5500.0, 1)
    assert t.next_bar(5500.0) == (5500.0, 1)


def test_a_tempo_change_waits_for_the_next_bar_line_past_the_lead() -> None:
    t = Transport.stopped().start(0.0, lead_ms=0.0, count_in=0, bpm=120.0)
    changed = t.change(1900.0, lead_ms=300.0, bpm=60.0)  # bar 1 at 2000 is too close
    new = changed.segments[-1]
    assert (new.start_ms, new.bar, new.quarter, new.bpm) == (4000.0, 2, 8.0, 60.0)
    assert changed.position(3999.0).bar == 1
    assert changed.position(4000.0).bar == 2
    later = changed.position(6000.0)  # 60 bpm: a quarter is 1000 ms
    assert (later.bar, later.beat, later.quarter) == (2, 2.0, 10.0)
    assert changed.next_bar(3000.0) == (4000.0, 2)
    assert changed.next_bar(4001.0) == (8000.0, 3)


def test_a_meter_change_counts_quarters_across_it() -> None:
    t = Transport.stopped().start(0.0, lead_ms=0.0, count_in=0, bpm=120.0)
    t = t.change(100.0, lead_ms=0.0, numerator=6, denominator=8)  # from bar 1 at 2000 ms
    seg = t.segments[-1]
    assert (seg.start_ms, seg.bar, seg.quarter) == (2000.0, 1, 4.0)
    assert seg.beat_ms == 250.0
    assert seg.bar_ms == 1500.0
    pos = t.position(2000.0 + 1500.0 + 500.0)
    assert (pos.bar, pos.beat, pos.quarter) == (2, 2.0, 4.0 + 3.0 + 1.0)


def test_a_second_change_before_the_first_applies_replaces_it() -> None:
    t = Transport.stopped().start(0.0, lead_ms=0.0, count_in=0, bpm=120.0)
    t = t.change(100.0, lead_ms=0.0, bpm=90.0)
    t = t.change(200.0, lead_ms=0.0, bpm=100.0)
    assert [s.bpm for s in t.segments] == [120.0, 100.0]


def test_stopped_changes_at_once_and_stop_keeps_the_tempo() -> None:
    t = Transport.stopped().change(0.0, lead_ms=300.0, bpm=90.0)
    assert not t.playing
    assert t.segments[0].bpm == 90.0
    running = t.start(0.0, lead_ms=0.0, count_in=2)
    assert running.segments[0].bpm == 90.0
    assert running.segments[0].bar == -2
    assert running.stop(10_000.0).segments[0].bpm == 90.0


@pytest.mark.parametrize(
    ("bpm", "num", "den", "message"),
    [
        (10.0, 4, 4, "bpm=10.0 must be in 20..400"),
        (120.0, 0, 4, "numerator=0 must be in 1..32"),
        (120.0, 4, 3, r"denominator=3 must be one of \[1, 2, 4, 8, 16, 32\]"),
        (float("inf"), 4, 4, "bpm=inf must be in"),
    ],
)
def test_bad_tempos_are_refused(bpm: float, num: int, den: int, message: str) -> None:
    with pytest.raises(JamError, match=message):
        Segment(0.0, 0, 0.0, bpm, num, den)
    with pytest.raises(JamError, match=message):
        Transport.stopped().start(0.0, lead_ms=0.0, bpm=bpm, numerator=num, denominator=den)


def test_count_in_is_bounded() -> None:
    with pytest.raises(JamError, match=r"count_in=9 must be in 0\.\.8"):
        Transport.stopped().start(0.0, lead_ms=0.0, count_in=9)
