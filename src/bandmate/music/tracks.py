"""Track-level edits: pick tracks by name or index, merge them, change resolution."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from bandmate.errors import MusicError
from bandmate.music.song import (
    MAX_PPQ,
    ChordEvent,
    MeterChange,
    Note,
    Song,
    TempoChange,
)

_Change = TypeVar("_Change", TempoChange, MeterChange)


def select_tracks(song: Song, selection: Sequence[str | int]) -> tuple[int, ...]:
    """The indices of the tracks picked by names or 0-based indices, ascending.

    A name picks every track with that name.

    Raises:
        MusicError: If the selection is empty, a name matches no track or an
            index is out of range.
    """
    if isinstance(selection, str):
        selection = [selection]
    if not selection:
        raise MusicError("tracks=[] must name at least one track")
    chosen: set[int] = set()
    for item in selection:
        if isinstance(item, str):
            found = [i for i, t in enumerate(song.tracks) if t.name == item]
            if not found:
                names = [t.name for t in song.tracks]
                raise MusicError(f"track name={item!r} must be one of {names}")
            chosen.update(found)
        elif 0 <= item < len(song.tracks):
            chosen.add(item)
        else:
            raise MusicError(f"track index={item} must be in 0..{len(song.tracks) - 1}")
    return tuple(sorted(chosen))


def merge_tracks(song: Song, tracks: Sequence[str | int], *, name: str | None = None) -> Song:
    """Merge several tracks into one.

    The merged track takes the place, instrument and mixer settings of the first
    selected track (lowest index) and holds the notes of all of them, sorted,
    with identical notes kept once.

    Args:
        song: The song.
        tracks: Names or 0-based indices of the tracks to merge (see :func:`select_tracks`).
        name: The merged track's name; defaults to the first selected track's.

    Raises:
        MusicError: If the selection is empty or unknown.
    """
    chosen = select_tracks(song, tracks)
    first = song.tracks[chosen[0]]
    notes = {n for i in chosen for n in song.tracks[i].notes}
    merged = replace(first, name=first.name if name is None else name, notes=tuple(notes))
    kept = [merged if i == chosen[0] else t for i, t in enumerate(song.tracks)]
    return replace(song, tracks=tuple(t for i, t in enumerate(kept) if i not in chosen[1:]))


def rescale_ppq(song: Song, ppq: int) -> Song:
    """The song at another resolution, every tick scaled and rounded (halves up).

    Notes and chords keep at least one tick. Tempo or meter changes that land on
    the same tick after rounding keep the later one, which is the one in effect.

    Args:
        song: The song.
        ppq: The new resolution in ticks per quarter note, 1..32767.

    Raises:
        MusicError: If ``ppq`` is out of range.
    """
    if not 1 <= ppq <= MAX_PPQ:
        raise MusicError(f"ppq={ppq} must be in 1..{MAX_PPQ}")
    if ppq == song.ppq:
        return song
    old = song.ppq

    def scale(tick: int) -> int:
        return (2 * tick * ppq + old) // (2 * old)

    def note(n: Note) -> Note:
        start = scale(n.start)
        return replace(n, start=start, duration=max(scale(n.end) - start, 1))

    def chord(c: ChordEvent) -> ChordEvent:
        tick = scale(c.tick)
        return replace(c, tick=tick, duration=max(scale(c.end) - tick, 1))

    return replace(
        song,
        ppq=ppq,
        tempos=_last_per_tick(replace(t, tick=scale(t.tick)) for t in song.tempos),
        meters=_last_per_tick(replace(m, tick=scale(m.tick)) for m in song.meters),
        tracks=tuple(replace(t, notes=tuple(note(n) for n in t.notes)) for t in song.tracks),
        chords=tuple(chord(c) for c in song.chords),
        sections=tuple(replace(s, tick=scale(s.tick)) for s in song.sections),
    )


def _last_per_tick(changes: Iterable[_Change]) -> tuple[_Change, ...]:
    by_tick = {c.tick: c for c in changes}
    return tuple(by_tick[t] for t in sorted(by_tick))
