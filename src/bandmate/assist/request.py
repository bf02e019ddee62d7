"""One request shape for every part the bandmate writes, and one suggestion shape it returns.

A :class:`PartRequest` says where (a start bar and a number of bars), in what style, how
adventurous (temperature, top-p), with which seed and how many alternatives. Every part
(:data:`Part`) answers with :class:`PartSuggestion` values: new tracks, every note inside
the requested bars and at the song's resolution, attributed to the bandmate by name, to
preview, edit, or add with :func:`apply_suggestion`. The same request with the same seed
gives the same suggestions; alternative ``i`` uses seed ``seed + i``.
"""

from __future__ import annotations

import math
import secrets
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bandmate.assist.errors import AssistError
from bandmate.errors import MusicError
from bandmate.music.chord import Chord
from bandmate.music.song import ChordEvent, Song, Track
from bandmate.music.time import TempoMap

Part = Literal["melody", "solo", "bass", "drums", "backing", "voices"]
PARTS: tuple[Part, ...] = ("melody", "solo", "bass", "drums", "backing", "voices")
MAX_BARS = 256
MAX_ALTERNATIVES = 16
MAX_GROUPS = 12
AUTHOR = "Bandmate"
"""The name every suggested track starts with, so the studio can attribute it."""


@dataclass(frozen=True, slots=True)
class PartRequest:
    """What to write and where.

    Attributes:
        start_bar: The first bar to write (1-based); ``None``: the part's default (after
            the melody for a melody, the chord lane's first bar for the band parts).
        bars: How many bars; ``None``: the part's default (8 after the song's melody, or
            the chord lane's length for a melody over chords, a solo and the band parts;
            the song's length, or 8 bars of an empty song, for drums).
        style: A band style (see :data:`bandmate.assist.band.styles.STYLES`); ``None``:
            ``"pop"``. The melody model has no styles and ignores it.
        temperature: Above 1 more adventurous, below 1 safer (melody and solo), or more
            and less variation in the band parts' patterns; in (0, 5].
        top_p: Nucleus sampling: keep the likeliest notes that make up this share of the
            probability (melody and solo); in (0, 1].
        seed: The same seed gives the same answer; ``None`` draws one (and reports it).
        alternatives: How many different suggestions, 1..16.
        track: The melody to continue or play over: a track index or name; ``None``:
            the pitched track that sounds highest.
        grouping: How the band feels an odd bar, in eighths for x/8 meters (``(3, 2)``:
            5/8 as 3+2; ``(2, 2, 3)``: 7/8) or in beats for x/4 ones (``(3, 2)``: 5/4);
            ``None``: the meter's usual grouping (see
            :data:`bandmate.assist.band.grid.GROUPINGS`). Bass, drums and comping follow it.
        voices: How many harmony voices to write under the melody (part ``"voices"``), 1..3.
    """

    start_bar: int | None = None
    bars: int | None = None
    style: str | None = None
    temperature: float = 1.0
    top_p: float = 0.95
    seed: int | None = None
    alternatives: int = 1
    track: int | str | None = None
    grouping: tuple[int, ...] | None = None
    voices: int = 1

    def __post_init__(self) -> None:
        if self.start_bar is not None and not 1 <= self.start_bar <= 100_000:
            raise AssistError(f"start_bar={self.start_bar} must be in 1..100000")
        if self.bars is not None and not 1 <= self.bars <= MAX_BARS:
            raise AssistError(f"bars={self.bars} must be in 1..{MAX_BARS}")
        if not (math.isfinite(self.temperature) and 0 < self.temperature <= 5):
            raise AssistError(f"temperature={self.temperature} must be in (0, 5]")
        if not (math.isfinite(self.top_p) and 0 < self.top_p <= 1):
            raise AssistError(f"top_p={self.top_p} must be in (0, 1]")
        if not 1 <= self.alternatives <= MAX_ALTERNATIVES:
            raise AssistError(f"alternatives={self.alternatives} must be in 1..{MAX_ALTERNATIVES}")
        if self.seed is not None and not 0 <= self.seed < 2**63:
            raise AssistError(f"seed={self.seed} must be in 0..2**63-1")
        if not 1 <= self.voices <= 3:
            raise AssistError(f"voices={self.voices} must be in 1..3")
        if self.grouping is not None and not (
            1 <= len(self.grouping) <= MAX_GROUPS and all(1 <= g <= 4 for g in self.grouping)
        ):
            raise AssistError(
                f"grouping={self.grouping!r} must be 1..{MAX_GROUPS} groups of 1..4 "
                "eighths or beats"
            )

    def seeds(self) -> list[int]:
        """One seed per alternative: ``seed + i`` (a fresh seed when none was given)."""
        base = self.seed if self.seed is not None else secrets.randbits(31)
        return [(base + i) % 2**63 for i in range(self.alternatives)]


@dataclass(frozen=True, slots=True)
class PartSuggestion:
    """One suggested part: new tracks for a span of bars.

    Attributes:
        part: What was asked for.
        tracks: The new tracks (one for a melody, bass or drums; comping, bass and drums
            for a backing track), named ``"Bandmate ..."``.
        start_bar: First bar written (1-based).
        bars: Bars written.
        start_tick: First tick of ``start_bar``.
        end_tick: The tick where the last bar ends; every note lies in
            ``start_tick..end_tick``.
        style: The style played (``None`` for a melody).
        seed: The seed that reproduces this suggestion.
        score: For a melody, the model's mean log-probability per note (nats, higher is
            likelier); ``None`` for the pattern-library parts.
    """

    part: Part
    tracks: tuple[Track, ...]
    start_bar: int
    bars: int
    start_tick: int
    end_tick: int
    style: str | None
    seed: int
    score: float | None = None

    @property
    def note_count(self) -> int:
        return sum(len(t.notes) for t in self.tracks)


def parse_grouping(text: str) -> tuple[int, ...]:
    """``"2+2+3"`` as ``(2, 2, 3)``.

    Raises:
        AssistError: Not numbers joined by ``+``.
    """
    parts = [p.strip() for p in text.strip().split("+")]
    # ASCII digits only ("²".isdigit() is true, int("²") is not), and at most two of them.
    if len(text) > 64 or not all(p.isascii() and p.isdigit() and len(p) <= 2 for p in parts):
        raise AssistError(f"grouping={text[:64]!r} must be group sizes joined by '+', like 2+2+3")
    return tuple(int(p) for p in parts)


def apply_suggestion(song: Song, suggestion: PartSuggestion) -> Song:
    """The song with the suggestion's tracks added after its own (names kept unique).

    Nothing of the song is changed or removed, so undoing is removing the new tracks.
    """
    names = {t.name for t in song.tracks}
    added = []
    for track in suggestion.tracks:
        name, n = track.name, 2
        while name in names:
            name, n = f"{track.name} {n}", n + 1
        names.add(name)
        added.append(replace(track, name=name))
    return replace(song, tracks=song.tracks + tuple(added))


@dataclass(frozen=True, slots=True)
class Region:
    """The bars a request covers, resolved against the song's tempo map."""

    start_bar: int
    bars: int
    start_tick: int
    end_tick: int
    tempo_map: TempoMap

    def bar_ticks(self) -> list[tuple[int, int, int]]:
        """``(bar, start tick, length)`` of each bar in the region."""
        out = []
        for bar in range(self.start_bar, self.start_bar + self.bars):
            start = self.tempo_map.bar_start_tick(bar)
            out.append((bar, start, self.tempo_map.bar_length(bar)))
        return out


def resolve_region(song: Song, start_bar: int, bars: int) -> Region:
    """The region of ``bars`` bars from ``start_bar``.

    Raises:
        AssistError: Out of range, or a bar too short to hold a note at this resolution.
    """
    if not 1 <= bars <= MAX_BARS:
        raise AssistError(f"bars={bars} must be in 1..{MAX_BARS}")
    if start_bar < 1:
        raise AssistError(f"start_bar={start_bar} must be >= 1 (bars count from 1)")
    tempo_map = TempoMap.from_song(song)
    try:
        start = tempo_map.bar_start_tick(start_bar)
        end = tempo_map.bar_start_tick(start_bar + bars)
    except MusicError as exc:
        raise AssistError(f"start_bar={start_bar}, bars={bars}: {exc}") from exc
    if end - start < bars:
        raise AssistError(f"ppq={song.ppq} is too coarse to write notes in these bars")
    return Region(start_bar, bars, start, end, tempo_map)


def chord_span(song: Song, chords: Sequence[ChordEvent]) -> tuple[int, int] | None:
    """``(first bar, bars)`` that the chords cover, or ``None`` without chords."""
    if not chords:
        return None
    tempo_map = TempoMap.from_song(song)
    first = tempo_map.bar_at(chords[0].tick)
    last = tempo_map.bar_count(max(c.end for c in chords))
    return first, max(1, last - first + 1)


class ChordLane:
    """The chord sounding at any tick (a chord lasts until the next one starts)."""

    def __init__(self, chords: Sequence[ChordEvent]) -> None:
        self.events = sorted(chords, key=lambda c: c.tick)
        self._ticks = [c.tick for c in self.events]

    def __bool__(self) -> bool:
        return bool(self.events)

    def at(self, tick: int) -> Chord | None:
        """The chord at ``tick``: the last that started at or before it, held until the next
        one starts; ``None`` before the first and after the last one ends."""
        i = bisect_right(self._ticks, tick) - 1
        if i < 0 or (i == len(self.events) - 1 and tick >= self.events[i].end):
            return None
        return self.events[i].chord

    def changes(self, start: int, end: int) -> list[tuple[int, Chord]]:
        """``(tick, chord)`` for the chord at ``start`` and each change before ``end``."""
        out: list[tuple[int, Chord]] = []
        first = self.at(start)
        if first is not None:
            out.append((start, first))
        out.extend((e.tick, e.chord) for e in self.events if start < e.tick < end)
        return out
