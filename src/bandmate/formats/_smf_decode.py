"""The reference MTrk decoder, in pure Python: every event checked, notes paired.

It is the path for chunks the fast scanner leaves (running status after a
meta event, escaped sysex, tempo changes between notes, program changes after
notes) and the one that explains what is wrong with a broken chunk. Its rules:

* Running status survives meta events and is cancelled by sysex events, as
  the standard says; a data byte after a sysex is an error.
* A note-on with velocity 0 is a note-off. Note-offs close the oldest open
  note of that channel and pitch (first in, first out, as symusic does).
  Notes still open at the end of the chunk are dropped.
* A note belongs to the group (channel, program at its note-on); a control
  change to the group (channel, program at the control change).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bandmate.formats._smf_check import (
    MAX_EVENTS,
    META_END_OF_TRACK,
    ChunkMeta,
    apply_meta,
    fail,
    read_blob,
)

NoteTuple = tuple[int, int, int, int]
"""(start, pitch, duration, velocity), in the order :class:`~bandmate.music.Track` sorts by."""

_DATA_BYTES = (2, 2, 2, 2, 1, 1, 2)  # per status nibble 0x8..0xE


@dataclass(slots=True)
class NoteGroup:
    """The notes of one (channel, program) in one chunk, and its first volume and pan."""

    program: int
    drums: bool
    volume: int | None
    pan: int | None
    notes: list[NoteTuple]


@dataclass(slots=True)
class ChunkData:
    """What one MTrk chunk contributes to a song."""

    meta: ChunkMeta
    groups: list[NoteGroup] = field(default_factory=list)
    empty: NoteGroup | None = None  # a noteless chunk's instrument, when it has channel events
    events: int = 0


def sort_groups(groups: list[NoteGroup]) -> list[NoteGroup]:
    """Order a chunk's groups: melodic before drums, by program, then by notes."""
    for group in groups:
        group.notes.sort()
    return sorted(groups, key=lambda g: (g.drums, g.program, g.volume or 0, g.pan or 0, g.notes))


def decode_chunk(data: bytes, start: int, end: int, track: int) -> ChunkData:
    """Decode and check every event of one MTrk chunk.

    Args:
        data: The whole file.
        start: Offset of the chunk's first event.
        end: Offset just past the chunk.
        track: The chunk's index among the MTrk chunks, for messages.

    Returns:
        The chunk's meta events, note groups and event count.

    Raises:
        FormatError: Naming the track, byte offset and rule of the first bad event.
    """
    meta = ChunkMeta()
    pos, tick, status, count = start, 0, 0, 0
    programs = [0] * 16
    open_notes: dict[int, deque[tuple[int, int, int]]] = {}  # ch<<7|pitch -> (start, vel, prog)
    notes: dict[int, list[NoteTuple]] = {}  # ch<<7|program -> notes
    controls: dict[int, list[int | None]] = {}  # ch<<7|program -> [volume, pan]
    first_channel = -1
    while pos < end:
        event_pos = pos
        byte = data[pos]
        delta = byte & 0x7F
        pos += 1
        while byte & 0x80:
            if pos >= end or pos - event_pos >= 4:
                problem = "runs past the chunk end" if pos >= end else "is longer than 4 bytes"
                raise fail(track, event_pos, f"delta-time {problem}")
            byte = data[pos]
            delta = (delta << 7) | (byte & 0x7F)
            pos += 1
        tick += delta
        count += 1
        if count > MAX_EVENTS:
            raise fail(track, event_pos, f"more than {MAX_EVENTS} events in one track")
        if pos >= end:
            raise fail(track, event_pos, f"event runs past the chunk end ({end})")
        byte = data[pos]
        if byte >= 0xF0:
            if byte == 0xFF:
                if pos + 1 >= end:
                    raise fail(track, pos, f"meta event runs past the chunk end ({end})")
                mtype = data[pos + 1]
                if mtype & 0x80:
                    raise fail(track, pos, f"meta event type=0x{mtype:02X} must be < 0x80")
                lo, hi = read_blob(data, pos + 2, end, track, "meta event", pos)
                pos = hi
                if mtype == META_END_OF_TRACK:
                    break
                apply_meta(meta, mtype, data[lo:hi], tick, f"MIDI track {track} at byte {lo}")
            elif byte in (0xF0, 0xF7):
                pos = read_blob(data, pos + 1, end, track, "sysex event", pos)[1]
                status = 0
            else:
                raise fail(track, pos, f"status byte 0x{byte:02X} is not allowed in a MIDI file")
            continue
        if byte & 0x80:
            status = byte
            pos += 1
        elif not status:
            raise fail(track, pos, f"data byte 0x{byte:02X} without a running status")
        size = _DATA_BYTES[(status >> 4) - 8]
        if pos + size > end:
            raise fail(track, event_pos, f"channel event runs past the chunk end ({end})")
        first = data[pos]
        second = data[pos + 1] if size == 2 else 0
        if (first | second) & 0x80:
            raise fail(track, pos, f"status byte where a data byte of 0x{status:02X} belongs")
        pos += size
        kind, channel = status >> 4, status & 0x0F
        if first_channel < 0:
            first_channel = channel
        if kind == 0x9 and second:
            key = channel << 7 | first
            queue = open_notes.get(key)
            if queue is None:
                queue = open_notes[key] = deque()
            queue.append((tick, second, programs[channel]))
        elif kind == 0x8 or kind == 0x9:
            queue = open_notes.get(channel << 7 | first)
            if queue:
                on_tick, velocity, program = queue.popleft()
                group = notes.setdefault(channel << 7 | program, [])
                group.append((on_tick, first, tick - on_tick, velocity))
        elif kind == 0xC:
            programs[channel] = first
        elif kind == 0xB and first in (7, 10):
            pair = controls.setdefault(channel << 7 | programs[channel], [None, None])
            slot = 0 if first == 7 else 1
            if pair[slot] is None:
                pair[slot] = second
    result = ChunkData(meta=meta, events=count)
    groups: list[NoteGroup] = []
    for key, group in notes.items():
        volume, pan = controls.get(key, (None, None))
        groups.append(NoteGroup(key & 0x7F, key >> 7 == 9, volume, pan, group))
    result.groups = sort_groups(groups)
    if not groups and first_channel >= 0:
        key = first_channel << 7 | programs[first_channel]
        volume, pan = controls.get(key, (None, None))
        result.empty = NoteGroup(programs[first_channel], first_channel == 9, volume, pan, [])
    return result
