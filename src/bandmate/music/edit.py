"""Bar-level edits: slice, join, insert and delete bars.

Bars count from 1 and ranges are half-open: ``slice_bars(song, 3, 5)`` is bars
3 and 4. Every function returns a new song. Tempo and meter changes are
carried along so that each part keeps its timing; a tempo or meter change that
would repeat the one already in effect is left out. When a bar is not a whole
number of ticks (only at tiny resolutions, such as 7/8 at ppq=1), bar lines
after an edit point are counted from that point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from bandmate.errors import MusicError
from bandmate.music.song import ChordEvent, MeterChange, Note, Song, TempoChange, Track
from bandmate.music.time import TempoMap
from bandmate.music.tracks import rescale_ppq

_Event = TypeVar("_Event", TempoChange, MeterChange)


def _check_bar_range(start_bar: int, end_bar: int) -> None:
    if start_bar < 1:
        raise MusicError(f"start_bar={start_bar} must be >= 1 (bars count from 1)")
    if end_bar <= start_bar:
        raise MusicError(
            f"end_bar={end_bar} must be > start_bar={start_bar} (range is [start, end))"
        )


def _in_effect(changes: Sequence[_Event], tick: int) -> _Event:
    """The change in effect at ``tick`` (lists start at tick 0, so there always is one)."""
    return [c for c in changes if c.tick <= tick][-1]


def _same_bars(prev: MeterChange, new: MeterChange, ppq: int) -> bool:
    """Whether ``new`` would change nothing: same meter, on one of ``prev``'s exact bar lines."""
    span = (new.tick - prev.tick) * prev.denominator
    return (prev.numerator, prev.denominator) == (new.numerator, new.denominator) and (
        span % (4 * ppq * prev.numerator) == 0
    )


def _add(merged: list[_Event], change: _Event, ppq: int) -> None:
    """Append ``change`` unless it repeats what is in effect; it replaces one on the same tick."""
    if merged and merged[-1].tick == change.tick:
        merged.pop()
    if merged:
        last = merged[-1]
        if isinstance(last, MeterChange) and isinstance(change, MeterChange):
            if _same_bars(last, change, ppq):
                return
        elif last == replace(change, tick=last.tick):
            return
    merged.append(change)


def _then(before: Sequence[_Event], after: Sequence[_Event], ppq: int) -> tuple[_Event, ...]:
    """``before`` then ``after``, leaving out ``after[0]`` if it repeats what is in effect."""
    merged = list(before)
    if after:
        _add(merged, after[0], ppq)
        merged.extend(after[1:])
    return tuple(merged)


def _shift(changes: Sequence[_Event], delta: int) -> list[_Event]:
    return [replace(c, tick=c.tick + delta) for c in changes]


def _crop(changes: Sequence[_Event], lo: int, hi: int) -> tuple[_Event, ...]:
    """The changes in ``[lo, hi)`` moved ``lo`` ticks earlier, with the one in effect at ``lo``."""
    cropped = [replace(_in_effect(changes, lo), tick=0)]
    cropped += _shift([c for c in changes if lo < c.tick < hi], -lo)
    return tuple(cropped)


def slice_bars(song: Song, start_bar: int, end_bar: int, *, clip_heads: bool = False) -> Song:
    """Bars ``[start_bar, end_bar)`` as a new song that starts at tick 0.

    Notes that start in the range are kept, cut short at its end. Notes that
    start before it are dropped, or with ``clip_heads`` kept from the range's
    start. Chords are clipped to the range on both sides (the harmony holds).
    The tempo and meter in effect at the start move to tick 0; sections that
    start in the range are kept. Every track is kept, even if it ends up empty.

    Args:
        song: The song.
        start_bar: The first bar to keep, counted from 1.
        end_bar: The bar after the last one to keep (may lie past the song's end).
        clip_heads: Keep the part inside the range of notes that start before it.

    Raises:
        MusicError: If ``start_bar < 1`` or ``end_bar <= start_bar``.
    """
    _check_bar_range(start_bar, end_bar)
    tm = TempoMap.from_song(song)
    lo, hi = tm.bar_start_tick(start_bar), tm.bar_start_tick(end_bar)

    def notes(track: Track) -> tuple[Note, ...]:
        kept = []
        for n in track.notes:
            if lo <= n.start < hi or (clip_heads and n.start < lo < n.end):
                start = max(n.start, lo)
                kept.append(replace(n, start=start - lo, duration=min(n.end, hi) - start))
        return tuple(kept)

    chords = tuple(
        ChordEvent(max(c.tick, lo) - lo, min(c.end, hi) - max(c.tick, lo), c.chord)
        for c in song.chords
        if c.tick < hi and c.end > lo
    )
    return replace(
        song,
        tempos=_crop(song.tempos, lo, hi),
        meters=_crop(song.meters, lo, hi),
        tracks=tuple(replace(t, notes=notes(t)) for t in song.tracks),
        chords=chords,
        sections=tuple(replace(s, tick=s.tick - lo) for s in song.sections if lo <= s.tick < hi),
    )


def _join_tracks(base: Sequence[Track], extra: Sequence[Track], shift: int) -> tuple[Track, ...]:
    merged = list(base)
    joined: set[int] = set()
    for track in extra:
        notes = tuple(replace(n, start=n.start + shift) for n in track.notes)
        key = (track.name, track.instrument)
        match = next(
            (i for i, t in enumerate(merged) if i not in joined and (t.name, t.instrument) == key),
            None,
        )
        if match is None:
            merged.append(replace(track, notes=notes))
            match = len(merged) - 1
        else:
            merged[match] = replace(merged[match], notes=merged[match].notes + notes)
        joined.add(match)
    return tuple(merged)


def append_song(song: Song, other: Song, *, at_bar: int | None = None) -> Song:
    """``other`` placed after ``song``, starting on a bar line.

    ``other`` is first brought to ``song``'s resolution (see
    :func:`~bandmate.music.tracks.rescale_ppq`). Its tracks join ``song``'s
    tracks with the same name and instrument (``song``'s mixer settings win);
    the rest are added after them. From the join point on, ``other``'s tempo,
    meter and section changes replace any of ``song``'s. The title comes from
    ``song``, the key from ``song`` or else ``other``.

    Args:
        song: The first part.
        other: The part to add.
        at_bar: The bar of ``song`` where ``other`` starts; by default the first
            bar that starts at or after the end of ``song``'s last note or chord.

    Raises:
        MusicError: If ``at_bar`` is before that default (the parts would overlap).
    """
    other = rescale_ppq(other, song.ppq)
    tm = TempoMap.from_song(song)
    first_free = tm.bar_count(song.end_tick) + 1
    bar = first_free if at_bar is None else at_bar
    if bar < first_free:
        raise MusicError(
            f"at_bar={bar} must be >= {first_free}, the first bar after the song's last note"
        )
    at = tm.bar_start_tick(bar)
    return replace(
        song,
        key=song.key if song.key is not None else other.key,
        tempos=_then([t for t in song.tempos if t.tick < at], _shift(other.tempos, at), song.ppq),
        meters=_then([m for m in song.meters if m.tick < at], _shift(other.meters, at), song.ppq),
        tracks=_join_tracks(song.tracks, other.tracks, at),
        chords=song.chords + tuple(replace(c, tick=c.tick + at) for c in other.chords),
        sections=tuple(s for s in song.sections if s.tick < at)
        + tuple(replace(s, tick=s.tick + at) for s in other.sections),
    )


def join_songs(*songs: Song) -> Song:
    """The songs one after another, each from the bar after the previous one ends.

    See :func:`append_song`, which this applies from left to right.

    Raises:
        MusicError: If no song is given.
    """
    if not songs:
        raise MusicError("songs=() must hold at least one song")
    joined = songs[0]
    for song in songs[1:]:
        joined = append_song(joined, song)
    return joined


def insert_bars(song: Song, at_bar: int, *, count: int = 1) -> Song:
    """Insert ``count`` empty bars before bar ``at_bar``, moving later material right.

    The new bars take the tempo, meter and section in effect just before
    ``at_bar`` (for bar 1: at bar 1). Notes and chords that start before the
    insertion point keep their length.

    Args:
        song: The song.
        at_bar: The bar the empty bars go before, counted from 1.
        count: How many bars to insert, >= 1.

    Raises:
        MusicError: If ``at_bar < 1`` or ``count < 1``.
    """
    if at_bar < 1:
        raise MusicError(f"at_bar={at_bar} must be >= 1 (bars count from 1)")
    if count < 1:
        raise MusicError(f"count={count} must be >= 1")
    at = TempoMap.from_song(song).bar_start_tick(at_bar)
    meter = _in_effect(song.meters, max(at - 1, 0))
    size = count * 4 * song.ppq * meter.numerator // meter.denominator

    def later(tick: int) -> int:
        return tick + size if tick >= at else tick

    def lane(changes: Sequence[_Event], anchor: bool) -> tuple[_Event, ...]:
        merged = [c for c in changes if c.tick < at]
        _add(merged, replace(_in_effect(changes, max(at - 1, 0)), tick=at), song.ppq)
        if anchor and at not in {c.tick for c in changes}:
            # Old bars after the gap keep their lines (this matters only when a bar
            # is not a whole number of ticks).
            _add(merged, replace(_in_effect(changes, at), tick=at + size), song.ppq)
        return _then(merged, _shift([c for c in changes if c.tick >= at], size), song.ppq)

    return replace(
        song,
        tempos=lane(song.tempos, anchor=False),
        meters=lane(song.meters, anchor=True),
        tracks=tuple(
            replace(t, notes=tuple(replace(n, start=later(n.start)) for n in t.notes))
            for t in song.tracks
        ),
        chords=tuple(replace(c, tick=later(c.tick)) for c in song.chords),
        sections=tuple(replace(s, tick=later(s.tick)) for s in song.sections),
    )


def delete_bars(song: Song, start_bar: int, end_bar: int) -> Song:
    """Delete bars ``[start_bar, end_bar)`` and move later material left.

    Notes that start in the deleted bars go; notes that start before them and
    sound into them lose the deleted part. Chords lose the deleted part and go
    if nothing is left. The tempo, meter and section in effect at ``end_bar``
    take over at the cut.

    Args:
        song: The song.
        start_bar: The first bar to delete, counted from 1.
        end_bar: The bar after the last one to delete.

    Raises:
        MusicError: If ``start_bar < 1`` or ``end_bar <= start_bar``.
    """
    _check_bar_range(start_bar, end_bar)
    tm = TempoMap.from_song(song)
    lo, hi = tm.bar_start_tick(start_bar), tm.bar_start_tick(end_bar)

    def warp(tick: int) -> int:
        return tick if tick <= lo else max(tick - (hi - lo), lo)

    def lane(changes: Sequence[_Event]) -> tuple[_Event, ...]:
        after = [replace(_in_effect(changes, hi), tick=lo)]
        return _then([c for c in changes if c.tick < lo], after, song.ppq) + tuple(
            _shift([c for c in changes if c.tick > hi], lo - hi)
        )

    def notes(track: Track) -> tuple[Note, ...]:
        return tuple(
            replace(n, start=warp(n.start), duration=warp(n.end) - warp(n.start))
            for n in track.notes
            if not lo <= n.start < hi
        )

    sections = [s for s in song.sections if s.tick < lo]
    carried = [s for s in song.sections if lo <= s.tick <= hi]
    sections += [replace(s, tick=lo) for s in carried[-1:]]
    sections += [replace(s, tick=s.tick - (hi - lo)) for s in song.sections if s.tick > hi]
    return replace(
        song,
        tempos=lane(song.tempos),
        meters=lane(song.meters),
        tracks=tuple(replace(t, notes=notes(t)) for t in song.tracks),
        chords=tuple(
            ChordEvent(warp(c.tick), warp(c.end) - warp(c.tick), c.chord)
            for c in song.chords
            if warp(c.end) > warp(c.tick)
        ),
        sections=tuple(sections),
    )
