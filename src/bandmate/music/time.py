"""The tempo map: ticks to seconds, quarter notes and bar/beat positions.

A :class:`TempoMap` is built once from a song (or from its resolution and its
tempo and meter changes) and then answers conversions in O(log n) by bisecting
the change lists, so renderers and exporters can call it for every event.

Bar and beat lines sit on the tick at or before their exact position, counted
from the meter change that governs them; they are exact whenever a beat is a
whole number of ticks (every meter up to x/64 at a ppq that is a multiple of 16).
A meter change that falls inside a bar cuts that bar short: the change always
starts a new bar, as in Standard MIDI Files.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

from bandmate.errors import MusicError
from bandmate.music.song import MAX_PPQ, MeterChange, Song, TempoChange

_DEFAULT_TEMPOS = (TempoChange(0, 120.0),)
_DEFAULT_METERS = (MeterChange(0, 4, 4),)


@dataclass(frozen=True, slots=True, order=True)
class BarBeat:
    """A musician's position: bar and beat counted from 1, then ticks into the beat.

    Beats are in the meter's beat unit (eighth notes in 6/8 unless the map uses
    compound beats, where a 6/8 bar has two dotted-quarter beats).
    """

    bar: int
    beat: int = 1
    tick: int = 0

    def __str__(self) -> str:
        return f"{self.bar}.{self.beat}.{self.tick}"


@dataclass(frozen=True, slots=True)
class _Segment:
    """The bars governed by one meter change; lengths are exact fractions num/den ticks."""

    start: int
    first_bar: int
    meter: MeterChange
    bar_num: int
    bar_den: int
    beat_num: int
    beat_den: int
    beats_per_bar: int


def is_compound(meter: MeterChange) -> bool:
    """Whether ``meter`` is compound (6/8, 9/8, 12/8, ...): a numerator of 6, 9, 12, ...."""
    return meter.numerator > 3 and meter.numerator % 3 == 0


def _check_changes(name: str, changes: Sequence[TempoChange] | Sequence[MeterChange]) -> None:
    if not changes or changes[0].tick != 0:
        raise MusicError(f"{name} must start with a change at tick 0")
    ticks = [c.tick for c in changes]
    if ticks != sorted(set(ticks)):
        raise MusicError(f"{name} ticks={ticks} must be strictly increasing")


def _check_tick(tick: float) -> None:
    if not 0 <= tick < math.inf:
        raise MusicError(f"tick={tick} must be finite and >= 0")


def _check_bar(bar: int) -> None:
    if bar < 1:
        raise MusicError(f"bar={bar} must be >= 1 (bars count from 1)")


class TempoMap:
    """Conversions between ticks, seconds, quarter notes and bar/beat positions.

    Args:
        ppq: Resolution in ticks per quarter note.
        tempos: Tempo changes sorted by tick, the first at tick 0.
        meters: Meter changes sorted by tick, the first at tick 0.
        compound: Count compound meters (6/8, 9/8, 12/8, ...) in dotted beats,
            three of the written unit each, instead of one beat per written unit.

    Raises:
        MusicError: If ``ppq`` is out of range or a change list is empty, does
            not start at tick 0 or is not strictly increasing.
    """

    def __init__(
        self,
        ppq: int,
        tempos: Sequence[TempoChange] = _DEFAULT_TEMPOS,
        meters: Sequence[MeterChange] = _DEFAULT_METERS,
        *,
        compound: bool = False,
    ) -> None:
        if not 1 <= ppq <= MAX_PPQ:
            raise MusicError(f"ppq={ppq} must be in 1..{MAX_PPQ}")
        _check_changes("tempos", tempos)
        _check_changes("meters", meters)
        self.ppq = ppq
        self.tempos = tuple(tempos)
        self.meters = tuple(meters)
        self.compound = compound
        self._tempo_ticks = [t.tick for t in tempos]
        self._sec_per_tick = [60.0 / (t.bpm * ppq) for t in tempos]
        self._tempo_secs = [0.0]
        for i in range(1, len(tempos)):
            span = self._tempo_ticks[i] - self._tempo_ticks[i - 1]
            self._tempo_secs.append(self._tempo_secs[-1] + span * self._sec_per_tick[i - 1])
        self._segments: list[_Segment] = []
        first_bar = 1
        for i, meter in enumerate(meters):
            segment = self._segment(meter, first_bar)
            self._segments.append(segment)
            if i + 1 < len(meters):
                span = meters[i + 1].tick - meter.tick
                # Bars that start before the next change; the last may be cut short.
                first_bar += -(-span * segment.bar_den // segment.bar_num)
        self._seg_starts = [s.start for s in self._segments]
        self._seg_first_bars = [s.first_bar for s in self._segments]

    @classmethod
    def from_song(cls, song: Song, *, compound: bool = False) -> TempoMap:
        """The tempo map of ``song`` (see the class for ``compound``)."""
        return cls(song.ppq, song.tempos, song.meters, compound=compound)

    def _segment(self, meter: MeterChange, first_bar: int) -> _Segment:
        unit = 3 if self.compound and is_compound(meter) else 1
        bar_num, bar_den = 4 * self.ppq * meter.numerator, meter.denominator
        beat_num, beat_den = 4 * self.ppq * unit, meter.denominator
        g, h = math.gcd(bar_num, bar_den), math.gcd(beat_num, beat_den)
        return _Segment(
            start=meter.tick,
            first_bar=first_bar,
            meter=meter,
            bar_num=bar_num // g,
            bar_den=bar_den // g,
            beat_num=beat_num // h,
            beat_den=beat_den // h,
            beats_per_bar=meter.numerator // unit,
        )

    # -- tempo ------------------------------------------------------------------------

    def tempo_at(self, tick: float) -> float:
        """The tempo in quarter notes per minute in effect at ``tick``."""
        _check_tick(tick)
        return self.tempos[bisect_right(self._tempo_ticks, tick) - 1].bpm

    def ticks_to_seconds(self, tick: float) -> float:
        """Seconds from the song's start to ``tick`` (which may be fractional)."""
        _check_tick(tick)
        i = bisect_right(self._tempo_ticks, tick) - 1
        return self._tempo_secs[i] + (tick - self._tempo_ticks[i]) * self._sec_per_tick[i]

    @overload
    def seconds_to_ticks(self, seconds: float, *, rounded: Literal[False] = ...) -> float: ...
    @overload
    def seconds_to_ticks(self, seconds: float, *, rounded: Literal[True]) -> int: ...

    def seconds_to_ticks(self, seconds: float, *, rounded: bool = False) -> float | int:
        """The tick reached ``seconds`` after the song's start.

        Args:
            seconds: Time from the start in seconds, finite and >= 0.
            rounded: Return the nearest whole tick (halves round up) instead of a float.
        """
        if not 0 <= seconds < math.inf:
            raise MusicError(f"seconds={seconds} must be finite and >= 0")
        i = bisect_right(self._tempo_secs, seconds) - 1
        tick = self._tempo_ticks[i] + (seconds - self._tempo_secs[i]) / self._sec_per_tick[i]
        return math.floor(tick + 0.5) if rounded else tick

    # -- quarter notes ----------------------------------------------------------------

    def ticks_to_quarters(self, tick: float) -> float:
        """Quarter notes (MIDI beats) from the start to ``tick``."""
        _check_tick(tick)
        return tick / self.ppq

    @overload
    def quarters_to_ticks(self, quarters: float, *, rounded: Literal[False] = ...) -> float: ...
    @overload
    def quarters_to_ticks(self, quarters: float, *, rounded: Literal[True]) -> int: ...

    def quarters_to_ticks(self, quarters: float, *, rounded: bool = False) -> float | int:
        """The tick ``quarters`` quarter notes after the start (the nearest if ``rounded``)."""
        if not 0 <= quarters < math.inf:
            raise MusicError(f"quarters={quarters} must be finite and >= 0")
        tick = quarters * self.ppq
        return math.floor(tick + 0.5) if rounded else tick

    # -- bars and beats ---------------------------------------------------------------

    def _segment_of_bar(self, bar: int) -> _Segment:
        _check_bar(bar)
        return self._segments[bisect_right(self._seg_first_bars, bar) - 1]

    def _segment_at(self, tick: int) -> _Segment:
        _check_tick(tick)
        return self._segments[bisect_right(self._seg_starts, tick) - 1]

    def meter_at(self, tick: int) -> MeterChange:
        """The meter change in effect at ``tick``."""
        return self._segment_at(tick).meter

    def bar_meter(self, bar: int) -> MeterChange:
        """The meter change that governs ``bar`` (1-based)."""
        return self._segment_of_bar(bar).meter

    def bar_start_tick(self, bar: int) -> int:
        """The tick where ``bar`` (1-based) starts; bars run on past the last change."""
        seg = self._segment_of_bar(bar)
        return seg.start + (bar - seg.first_bar) * seg.bar_num // seg.bar_den

    def bar_length(self, bar: int) -> int:
        """The length of ``bar`` in ticks (shorter than its meter if a change cuts it)."""
        _check_bar(bar)
        return self.bar_start_tick(bar + 1) - self.bar_start_tick(bar)

    def bar_at(self, tick: int) -> int:
        """The bar (1-based) that contains ``tick``."""
        seg = self._segment_at(tick)
        # The last bar k whose start floor(k * num / den) is at or before the offset.
        offset = tick - seg.start
        return seg.first_bar + (-(-(offset + 1) * seg.bar_den // seg.bar_num)) - 1

    def bar_count(self, end_tick: int) -> int:
        """How many bars it takes to hold material that ends at ``end_tick`` (0 if it is 0)."""
        return 0 if end_tick <= 0 else self.bar_at(end_tick - 1)

    def beats_per_bar(self, bar: int) -> int:
        """How many beats ``bar`` counts (6 in 6/8, or 2 with compound beats)."""
        return self._segment_of_bar(bar).beats_per_bar

    def tick_to_bar_beat(self, tick: int) -> BarBeat:
        """The bar, beat and ticks into the beat of ``tick``."""
        bar = self.bar_at(tick)
        seg = self._segment_of_bar(bar)
        offset = tick - self.bar_start_tick(bar)
        # The last beat line at or before the offset; a bar one tick longer than its
        # meter (rounding) gives the extra tick to its last beat.
        beat = min(-(-(offset + 1) * seg.beat_den // seg.beat_num), seg.beats_per_bar)
        beat_start = (beat - 1) * seg.beat_num // seg.beat_den
        return BarBeat(bar, beat, offset - beat_start)

    def bar_beat_to_tick(self, position: BarBeat) -> int:
        """The tick of ``position``; the exact inverse of :meth:`tick_to_bar_beat`.

        Raises:
            MusicError: If the beat or the tick offset lies outside the bar.
        """
        seg = self._segment_of_bar(position.bar)
        if not 1 <= position.beat <= seg.beats_per_bar:
            raise MusicError(
                f"beat={position.beat} must be in 1..{seg.beats_per_bar} "
                f"in bar {position.bar} ({seg.meter})"
            )
        if position.tick < 0:
            raise MusicError(f"tick={position.tick} must be >= 0")
        beat_start = (position.beat - 1) * seg.beat_num // seg.beat_den
        tick = self.bar_start_tick(position.bar) + beat_start + position.tick
        if self.tick_to_bar_beat(tick) != position:
            raise MusicError(
                f"position {position} must lie inside its beat: bar {position.bar} "
                f"({seg.meter}) is {self.bar_length(position.bar)} ticks long"
            )
        return tick


def tempo_map(song: Song, *, compound: bool = False) -> TempoMap:
    """The :class:`TempoMap` of ``song``."""
    return TempoMap.from_song(song, compound=compound)


def song_duration_seconds(song: Song) -> float:
    """The song's length in seconds: up to the end of its last note or chord."""
    return TempoMap.from_song(song).ticks_to_seconds(song.end_tick)


def song_bar_count(song: Song) -> int:
    """How many bars the song's notes and chords reach into (0 for an empty song)."""
    return TempoMap.from_song(song).bar_count(song.end_tick)
