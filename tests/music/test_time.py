"""Tests for the tempo map: seconds, quarter notes, bars and beats."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.errors import MusicError
from bandmate.music.song import MeterChange, Note, Song, TempoChange, Track
from bandmate.music.time import (
    BarBeat,
    TempoMap,
    is_compound,
    song_bar_count,
    song_duration_seconds,
    tempo_map,
)

TEMPO_DROP = (TempoChange(0, 120.0), TempoChange(1920, 60.0))
# Two bars of 3/4, two of 6/8, then 7/8 from bar 5 on (480 ppq).
ODD_METERS = (MeterChange(0, 3, 4), MeterChange(2880, 6, 8), MeterChange(5760, 7, 8))


@pytest.mark.parametrize(
    ("tempos", "tick", "seconds"),
    [
        ((TempoChange(0, 120.0),), 0, 0.0),
        ((TempoChange(0, 120.0),), 480, 0.5),
        ((TempoChange(0, 120.0),), 960, 1.0),
        ((TempoChange(0, 60.0),), 960, 2.0),
        (TEMPO_DROP, 1920, 2.0),
        (TEMPO_DROP, 2400, 3.0),
        (TEMPO_DROP, 2880, 4.0),
        ((TempoChange(0, 120.0), TempoChange(960, 60.0)), 1200, 1.5),
        ((TempoChange(0, 90.0), TempoChange(480, 180.0)), 960, 60 / 90 + 60 / 180),
    ],
)
def test_ticks_to_seconds_and_back(
    tempos: tuple[TempoChange, ...], tick: int, seconds: float
) -> None:
    tm = TempoMap(480, tempos)
    assert tm.ticks_to_seconds(tick) == pytest.approx(seconds)
    assert tm.seconds_to_ticks(seconds) == pytest.approx(tick)
    assert tm.seconds_to_ticks(seconds, rounded=True) == tick


def test_seconds_to_ticks_rounds_halves_up_and_keeps_fractions() -> None:
    tm = TempoMap(480)  # 960 ticks per second
    assert tm.seconds_to_ticks(0.25 / 960) == pytest.approx(0.25)
    assert tm.seconds_to_ticks(0.5 / 960, rounded=True) == 1
    assert tm.seconds_to_ticks(0.49 / 960, rounded=True) == 0
    assert tm.ticks_to_seconds(0.5) == pytest.approx(0.5 / 960)


@pytest.mark.parametrize(("tick", "bpm"), [(0, 120.0), (1919, 120.0), (1920, 60.0), (10**6, 60.0)])
def test_tempo_at(tick: int, bpm: float) -> None:
    assert TempoMap(480, TEMPO_DROP).tempo_at(tick) == bpm


def test_quarters() -> None:
    tm = TempoMap(96)
    assert tm.ticks_to_quarters(144) == 1.5
    assert tm.quarters_to_ticks(1.5) == 144.0
    assert tm.quarters_to_ticks(0.01, rounded=True) == 1


@pytest.mark.parametrize(
    ("meters", "bar", "start", "length"),
    [
        ((MeterChange(0, 4, 4),), 1, 0, 1920),
        ((MeterChange(0, 4, 4),), 3, 3840, 1920),
        ((MeterChange(0, 3, 4),), 3, 2880, 1440),
        ((MeterChange(0, 5, 4),), 2, 2400, 2400),
        ((MeterChange(0, 7, 8),), 2, 1680, 1680),
        ((MeterChange(0, 2, 2),), 2, 1920, 1920),
        (ODD_METERS, 2, 1440, 1440),
        (ODD_METERS, 3, 2880, 1440),
        (ODD_METERS, 5, 5760, 1680),
        (ODD_METERS, 6, 7440, 1680),
        # A change inside bar 1 cuts it short and starts bar 2.
        ((MeterChange(0, 4, 4), MeterChange(960, 3, 4)), 1, 0, 960),
        ((MeterChange(0, 4, 4), MeterChange(960, 3, 4)), 2, 960, 1440),
    ],
)
def test_bar_start_and_length(
    meters: tuple[MeterChange, ...], bar: int, start: int, length: int
) -> None:
    tm = TempoMap(480, meters=meters)
    assert tm.bar_start_tick(bar) == start
    assert tm.bar_length(bar) == length
    assert tm.bar_at(start) == bar
    assert tm.bar_at(start + length - 1) == bar


def test_bar_3_in_4_4_starts_at_tick_1920_at_480_ppq() -> None:
    # Bar 1 is [0, 1920), bar 2 [1920, 3840): bar 3 starts at 3840, and 1920 is bar 2.
    tm = TempoMap(480)
    assert tm.bar_start_tick(2) == 1920
    assert tm.bar_start_tick(3) == 3840
    assert tm.bar_at(1920) == 2


@pytest.mark.parametrize(
    ("compound", "tick", "position"),
    [
        (False, 0, BarBeat(1, 1, 0)),
        (False, 1440 + 480 * 2 + 7, BarBeat(2, 3, 7)),
        (False, 2880 + 240 * 4 + 10, BarBeat(3, 5, 10)),
        (True, 2880 + 240 * 4 + 10, BarBeat(3, 2, 250)),
        (True, 1440 + 480 * 2 + 7, BarBeat(2, 3, 7)),  # 3/4 is not compound
        (False, 5760 + 240 * 6, BarBeat(5, 7, 0)),
        (True, 5760 + 240 * 6, BarBeat(5, 7, 0)),  # 7/8 is not compound
    ],
)
def test_tick_to_bar_beat_and_back(compound: bool, tick: int, position: BarBeat) -> None:
    tm = TempoMap(480, meters=ODD_METERS, compound=compound)
    assert tm.tick_to_bar_beat(tick) == position
    assert tm.bar_beat_to_tick(position) == tick


@pytest.mark.parametrize(
    ("compound", "bar", "beats"), [(False, 1, 3), (False, 3, 6), (True, 3, 2), (True, 9, 7)]
)
def test_beats_per_bar(compound: bool, bar: int, beats: int) -> None:
    assert TempoMap(480, meters=ODD_METERS, compound=compound).beats_per_bar(bar) == beats


@pytest.mark.parametrize(("numerator", "compound"), [(6, True), (9, True), (12, True), (3, False)])
def test_is_compound(numerator: int, compound: bool) -> None:
    assert is_compound(MeterChange(0, numerator, 8)) is compound


def test_meter_lookups() -> None:
    tm = TempoMap(480, meters=ODD_METERS)
    assert str(tm.meter_at(2879)) == "3/4"
    assert str(tm.meter_at(2880)) == "6/8"
    assert str(tm.bar_meter(100)) == "7/8"
    assert str(BarBeat(3, 2, 10)) == "3.2.10"


def test_tiny_ppq_puts_bar_lines_on_the_tick_at_or_before() -> None:
    tm = TempoMap(1, meters=(MeterChange(0, 7, 8),))  # a bar is 3.5 ticks
    assert [tm.bar_start_tick(b) for b in range(1, 6)] == [0, 3, 7, 10, 14]
    assert [tm.bar_at(t) for t in range(8)] == [1, 1, 1, 2, 2, 2, 2, 3]


def test_song_helpers() -> None:
    song = Song(
        tempos=TEMPO_DROP,
        tracks=(Track("Piano", notes=(Note(60, 0, 480), Note(64, 1920, 480))),),
    )
    assert song_duration_seconds(song) == pytest.approx(3.0)
    assert song_bar_count(song) == 2
    assert song_bar_count(Song()) == 0
    assert song_duration_seconds(Song()) == 0.0
    assert tempo_map(song).ticks_to_seconds(2400) == pytest.approx(3.0)
    assert TempoMap.from_song(song).bar_count(1921) == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda tm: tm.bar_start_tick(0), "bar=0 must be >= 1"),
        (lambda tm: tm.bar_length(-1), "bar=-1 must be >= 1"),
        (lambda tm: tm.bar_at(-1), "tick=-1 must be finite and >= 0"),
        (lambda tm: tm.ticks_to_seconds(math.nan), "tick=nan must be finite"),
        (lambda tm: tm.seconds_to_ticks(-0.5), "seconds=-0.5 must be finite and >= 0"),
        (lambda tm: tm.quarters_to_ticks(math.inf), "quarters=inf must be finite"),
        (lambda tm: tm.bar_beat_to_tick(BarBeat(1, 5)), r"beat=5 must be in 1..4 in bar 1 \(4/4\)"),
        (lambda tm: tm.bar_beat_to_tick(BarBeat(1, 1, -1)), "tick=-1 must be >= 0"),
        (lambda tm: tm.bar_beat_to_tick(BarBeat(1, 4, 480)), "must lie inside its beat"),
    ],
)
def test_bad_positions_raise(call: object, message: str) -> None:
    tm = TempoMap(480)
    with pytest.raises(MusicError, match=message):
        call(tm)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ppq": 0}, "ppq=0 must be in 1..32767"),
        ({"ppq": 480, "tempos": ()}, "tempos must start with a change at tick 0"),
        ({"ppq": 480, "tempos": (TempoChange(10, 90.0),)}, "tempos must start"),
        (
            {"ppq": 480, "meters": (MeterChange(0, 4, 4), MeterChange(0, 3, 4))},
            "meters ticks=.0, 0. must be strictly increasing",
        ),
    ],
)
def test_bad_maps_raise(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(MusicError, match=message):
        TempoMap(**kwargs)  # type: ignore[arg-type]


# -- properties -------------------------------------------------------------------------------

PPQS = st.sampled_from([24, 96, 120, 192, 480, 960])


@st.composite
def tempo_maps(draw: st.DrawFn) -> TempoMap:
    ppq = draw(PPQS)
    gaps = draw(st.lists(st.integers(1, 20_000), max_size=8))
    bpms = draw(st.lists(st.floats(20.0, 400.0), min_size=len(gaps) + 1, max_size=len(gaps) + 1))
    ticks = [0]
    for gap in gaps:
        ticks.append(ticks[-1] + gap)
    return TempoMap(ppq, [TempoChange(t, b) for t, b in zip(ticks, bpms, strict=True)])


@st.composite
def meter_maps(draw: st.DrawFn) -> TempoMap:
    """Meter changes at any tick, even inside bars, at any resolution."""
    ppq = draw(st.integers(1, 960))
    gaps = draw(st.lists(st.integers(1, 20_000), max_size=6))
    ticks = [0]
    for gap in gaps:
        ticks.append(ticks[-1] + gap)
    meters = [
        MeterChange(t, draw(st.integers(1, 15)), draw(st.sampled_from([1, 2, 4, 8, 16, 32])))
        for t in ticks
    ]
    return TempoMap(ppq, meters=meters, compound=draw(st.booleans()))


@settings(max_examples=80, deadline=None)
@given(tm=tempo_maps(), tick=st.integers(0, 200_000))
def test_ticks_seconds_round_trip(tm: TempoMap, tick: int) -> None:
    seconds = tm.ticks_to_seconds(tick)
    assert tm.seconds_to_ticks(seconds) == pytest.approx(tick, rel=1e-9, abs=1e-6)
    assert tm.seconds_to_ticks(seconds, rounded=True) == tick
    assert tm.ticks_to_seconds(tick + 1) > seconds


@settings(max_examples=80, deadline=None)
@given(tm=meter_maps(), tick=st.integers(0, 200_000))
def test_ticks_bar_beat_round_trip(tm: TempoMap, tick: int) -> None:
    position = tm.tick_to_bar_beat(tick)
    assert tm.bar_beat_to_tick(position) == tick
    bar = tm.bar_at(tick)
    assert position.bar == bar
    assert tm.bar_start_tick(bar) <= tick < tm.bar_start_tick(bar + 1)
    assert 1 <= position.beat <= tm.beats_per_bar(bar)


@settings(max_examples=60, deadline=None)
@given(
    ppq=st.sampled_from([96, 120, 480, 960]),
    bars=st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 13), st.sampled_from([2, 4, 8, 16])),
        min_size=1,
        max_size=5,
    ),
    data=st.data(),
)
def test_bar_lines_and_positions_round_trip(
    ppq: int, bars: list[tuple[int, int, int]], data: st.DataObject
) -> None:
    # Meter changes on bar lines, where every beat is a whole number of ticks.
    meters, tick, bar_of_change = [], 0, [1]
    for count, num, den in bars:
        meters.append(MeterChange(tick, num, den))
        tick += count * num * 4 * ppq // den
        bar_of_change.append(bar_of_change[-1] + count)
    tm = TempoMap(ppq, meters=meters)
    for meter, bar in zip(meters, bar_of_change, strict=False):
        assert tm.bar_start_tick(bar) == meter.tick
        assert tm.bar_length(bar) == meter.numerator * 4 * ppq // meter.denominator
    bar = data.draw(st.integers(1, bar_of_change[-1] + 3))
    beat = data.draw(st.integers(1, tm.beats_per_bar(bar)))
    position = BarBeat(
        bar, beat, data.draw(st.integers(0, 4 * ppq // tm.bar_meter(bar).denominator - 1))
    )
    assert tm.tick_to_bar_beat(tm.bar_beat_to_tick(position)) == position
