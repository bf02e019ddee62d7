"""Reading Standard MIDI Files into songs.

The file is checked in Python first (:mod:`._smf_check`), chunk by chunk:
plain chunks take the fast path (a C-speed pattern scan, then symusic on
that chunk alone, :mod:`._smf_fast`), the rest the reference decoder
(:mod:`._smf_decode`). Both paths read a chunk into the same values, and a
test checks they agree.

Mapping to the song model:

* Format 1 and 2: the first chunk's name is the title; every other chunk is a
  track named by its track-name event. Format 0: the one chunk's name is the
  title and tracks are named after their instruments.
* Each (channel, program) with notes in a chunk becomes a :class:`Track`;
  channel 10 (index 9) is drums. A chunk with channel events but no notes
  becomes an empty track, unless it is the first chunk (the conductor, or
  the only chunk of a format 0 file).
* Volume and pan are the group's first CC 7 and CC 10 (defaults 100 and 0);
  text events ``bandmate:mute`` / ``bandmate:solo`` set the track flags.
* Tempo: ``bpm = round(60e6 / µs_per_quarter, 3)``. The writer stores
  ``round(60e6 / bpm)`` µs, so any tempo read from a file, and any tempo up
  to 250 bpm with at most three decimals, survives a write and a read.
* Tempo and meter changes from all chunks merge (the last one at a tick
  wins); 120 bpm and 4/4 fill tick 0 when a file states none there. The
  song's key is the first key signature; later key changes are dropped.
* Markers and cue points are sections. Text events ``chord:SYMBOL`` are the
  chord lane: a chord lasts until the next chord starts, or ``dur=TICKS``
  says how long (``chord:Am7 dur=960``); the last one without it lasts to
  the end of the notes (at least a quarter note).
* Zero-length notes last 1 tick; overlapping notes of one pitch and channel
  pair first-in, first-out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from bandmate.errors import FormatError, MusicError
from bandmate.formats._keysig import signature_to_key
from bandmate.formats._smf_check import MAX_FILE_BYTES, MAX_NOTES, read_header
from bandmate.formats._smf_decode import ChunkData, NoteGroup, decode_chunk
from bandmate.formats._smf_fast import fast_chunk
from bandmate.music.chord import parse_chord
from bandmate.music.song import (
    ChordEvent,
    Instrument,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
)

_Event = TypeVar("_Event", bound=tuple[int, ...])

MidiSource = bytes | bytearray | memoryview | str | os.PathLike[str]
"""What :func:`read_midi` accepts: the file's bytes or its path."""


def read_bytes(source: MidiSource, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``source``, refusing files over ``limit`` bytes before reading them."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > limit:
            raise FormatError(f"file size={len(data)} bytes exceeds the limit of {limit}")
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > limit:
            raise FormatError(f"file {path} size={size} bytes exceeds the limit of {limit}")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    if len(data) > limit:
        raise FormatError(f"file {path} grew past the limit of {limit} bytes while read")
    return data


def read_midi(source: MidiSource, *, fast: bool = True) -> Song:
    """Read a Standard MIDI File.

    Args:
        source: The file's bytes, or a path to it.
        fast: Use the symusic fast path where a chunk allows it; ``False``
            decodes every chunk in pure Python (same result, slower).

    Returns:
        The song, with ticks at the file's resolution.

    Raises:
        FormatError: When the file is not a well-formed MIDI file, exceeds a
            size limit, or holds values the song model cannot represent.
    """
    data = read_bytes(source)
    header = read_header(data)
    chunks: list[ChunkData] = []
    for index, (start, end) in enumerate(header.chunks):
        chunk = fast_chunk(data, start, end, index, header.ppq) if fast else None
        chunks.append(chunk or decode_chunk(data, start, end, index))
    total = sum(len(g.notes) for c in chunks for g in c.groups)
    if total > MAX_NOTES:
        raise FormatError(f"MIDI file holds {total} notes, the limit is {MAX_NOTES}")
    try:
        return _song(header.format, header.ppq, chunks)
    except MusicError as exc:
        raise FormatError(f"MIDI file does not fit the song model: {exc}") from exc


def _track(group: NoteGroup, name: str | None, flags: set[str]) -> Track:
    instrument = Instrument(program=group.program, drums=group.drums)
    notes = tuple(Note(pitch, start, max(span, 1), vel) for start, pitch, span, vel in group.notes)
    return Track(
        name=instrument.name if name is None else name,
        instrument=instrument,
        notes=notes,
        volume=100 if group.volume is None else group.volume,
        pan=0 if group.pan is None else group.pan - 64,
        mute="mute" in flags,
        solo="solo" in flags,
    )


def _song(fmt: int, ppq: int, chunks: list[ChunkData]) -> Song:
    tracks: list[Track] = []
    for index, chunk in enumerate(chunks):
        groups = chunk.groups
        if not groups and chunk.empty is not None and index > 0:
            groups = [chunk.empty]
        name = None if fmt == 0 else chunk.meta.name
        tracks.extend(_track(g, name, chunk.meta.flags) for g in groups)
    metas = [c.meta for c in chunks]
    tempo_map = _last_per_tick([t for m in metas for t in m.tempos], (0, 500_000))
    meter_map = _last_per_tick([t for m in metas for t in m.meters], (0, 4, 4))
    keys = sorted((k for m in metas for k in m.keys), key=lambda k: k[0])
    end = max((t.end for t in tracks), default=0)
    title = metas[0].name if metas and metas[0].name is not None else "Untitled"
    return Song(
        title=title,
        ppq=ppq,
        tempos=tuple(TempoChange(t[0], round(60e6 / t[1], 3)) for t in tempo_map),
        meters=tuple(MeterChange(*m) for m in meter_map),
        key=signature_to_key(keys[0][1], keys[0][2]) if keys else None,
        tracks=tuple(tracks),
        chords=_chords(sorted((c for m in metas for c in m.chords), key=lambda c: c[0]), end, ppq),
        sections=tuple(
            Section(tick, name)
            for tick, name in sorted((s for m in metas for s in m.sections), key=lambda s: s[0])
        ),
    )


def _last_per_tick(events: list[_Event], default: _Event) -> list[_Event]:
    by_tick: dict[int, _Event] = {}
    for event in sorted(events, key=lambda e: e[0]):
        by_tick[event[0]] = event
    if 0 not in by_tick:
        return [default, *by_tick.values()]
    return list(by_tick.values())


def _chords(events: list[tuple[int, str]], end: int, ppq: int) -> tuple[ChordEvent, ...]:
    lane: list[ChordEvent] = []
    later = [max(end, tick + ppq) for tick, _ in events]  # where each chord without dur= ends
    for i in range(len(events) - 2, -1, -1):
        if events[i + 1][0] > events[i][0]:
            later[i] = events[i + 1][0]
        else:
            later[i] = later[i + 1]
    for i, (tick, text) in enumerate(events):
        symbol, _, length = text.rpartition(" dur=")
        if symbol and length.isascii() and length.isdigit() and int(length) >= 1:
            duration = int(length)
        else:
            symbol = text
            duration = later[i] - tick
        try:
            chord = parse_chord(symbol)
        except MusicError as exc:
            raise FormatError(f"MIDI chord text {text!r} at tick {tick}: {exc}") from exc
        lane.append(ChordEvent(tick, duration, chord))
    return tuple(lane)
