"""The fast path for MTrk chunks: a regular-expression scan, then symusic.

Runs of channel events are matched by one compiled pattern (in C), which
checks every delta-time (at most 4 bytes) and every data byte (< 0x80)
without a Python step per event; meta and sysex events between runs are
read in Python. Only a chunk that passed this scan reaches symusic, and
symusic gets it alone, behind a header we build, so its C++ parser never
sees the original header or any byte the scan did not check.

The scan gives up (returns ``None``, and the caller uses the reference
decoder in :mod:`._smf_decode`) on anything outside the plain shape that both
parsers read the same way: a timed meta event after the first channel event,
running status after a meta event, escaped sysex (``F7``, which symusic
misreads), a program change after another channel event, a chunk without
notes, or any malformed byte (so that the reference decoder names it).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import symusic

from bandmate.errors import FormatError
from bandmate.formats._smf_check import (
    MAX_NOTES,
    META_END_OF_TRACK,
    ChunkMeta,
    apply_meta,
    is_timed,
    read_blob,
    read_vlq,
)
from bandmate.formats._smf_decode import ChunkData, NoteGroup, sort_groups

_DELTA = rb"[\x80-\xff]{0,3}[\x00-\x7f]"
_RUN = re.compile(
    rb"(?:"
    + _DELTA
    + rb"(?:[\x80-\xbf\xe0-\xef][\x00-\x7f]{2}(?:"
    + _DELTA
    + rb"[\x00-\x7f]{2})*+|[\xc0-\xdf][\x00-\x7f](?:"
    + _DELTA
    + rb"[\x00-\x7f])*+))*+"
)


def scan_chunk(data: bytes, start: int, end: int, track: int) -> tuple[ChunkMeta, int, int] | None:
    """Check a chunk at C speed where its shape allows.

    Returns:
        ``(meta, first channel event offset or -1, end of the events)``, or
        ``None`` when the reference decoder must read this chunk.
    """
    meta = ChunkMeta()
    pos, tick, first_channel = start, 0, -1
    while pos < end:
        run = _RUN.match(data, pos, end)  # matches, if only the empty string
        run_end = run.end() if run else pos
        if run_end > pos:
            if first_channel < 0:
                first_channel = pos
            pos = run_end
            if pos >= end:
                break
        delta, at = data[pos], pos + 1
        if delta & 0x80:
            try:
                delta, at = read_vlq(data, pos, end, track)
            except FormatError:
                return None  # the reference decoder names the problem
        if at >= end:
            return None
        status = data[at]
        if status == 0xFF:
            if at + 1 >= end:
                return None
            mtype = data[at + 1]
            lo, hi = read_blob(data, at + 2, end, track, "meta event", at)
            pos = hi
            if mtype & 0x80:
                return None
            if mtype == META_END_OF_TRACK:
                break
            payload = data[lo:hi]
            if first_channel >= 0 and is_timed(mtype, payload):
                return None
            tick += delta
            apply_meta(meta, mtype, payload, tick, f"MIDI track {track} at byte {lo}")
        elif status == 0xF0:
            pos = read_blob(data, at + 1, end, track, "sysex event", at)[1]
            tick += delta
        else:
            return None
    return meta, first_channel, pos


def _program_change_late(data: bytes, start: int, end: int) -> bool:
    """Whether a program change may follow another channel event in ``data[start:end]``.

    Looks at bytes, not events: a delta-time byte can pass for a status byte,
    which can only send a plain chunk to the reference decoder, never the reverse.
    """
    view = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    program = (view >= 0xC0) & (view <= 0xCF)
    other = (view >= 0x80) & (view <= 0xEF) & ~program
    if not other.any():
        return False
    return bool(program[int(other.argmax()) :].any())


def _tick_bound(data: bytes, start: int, end: int) -> int:
    """An upper bound of the chunk's last tick, from its high bytes alone.

    A delta-time with k continuation bytes is below 128**(k+1), and its
    continuation bytes are a run of k bytes >= 0x80; status bytes only add
    to the count. symusic sums ticks in 32-bit integers, so chunks whose
    bound reaches 2**31 go to the reference decoder.
    """
    high = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start) >= 0x80
    pairs = high[1:] & high[:-1]
    triples = pairs[1:] & high[:-2]
    ones, twos, threes = int(high.sum()), int(pairs.sum()), int(triples.sum())
    return 127 * (end - start) + (ones << 14) + (twos << 21) + (threes << 28)


def _first(values: Any, numbers: Any, number: int) -> int | None:
    hits = np.flatnonzero(numbers == number)
    return int(values[hits[0]]) if hits.size else None


def read_groups(data: bytes, start: int, end: int, track: int, ppq: int) -> list[NoteGroup]:
    """The note groups of a scanned chunk, parsed by symusic.

    Args:
        data: The whole file.
        start: Offset of the chunk's first event.
        end: Offset just past the chunk's last checked event.
        track: The chunk's index among the MTrk chunks, for messages.
        ppq: Ticks per quarter note (for the header handed to symusic).

    Returns:
        One group per (channel, program) that has notes, in :func:`sort_groups` order.

    Raises:
        FormatError: When symusic fails, or the chunk holds more than MAX_NOTES notes.
    """
    body = data[start:end]
    alone = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01" + ppq.to_bytes(2, "big")
    alone += b"MTrk" + len(body).to_bytes(4, "big") + body
    try:
        score: Any = symusic.Score.from_midi(alone)
    except (RuntimeError, ValueError) as exc:
        raise FormatError(f"MIDI track {track}: symusic could not parse it: {exc}") from exc
    if score.note_num() > MAX_NOTES:
        raise FormatError(f"MIDI file holds {score.note_num()} notes, the limit is {MAX_NOTES}")
    groups: list[NoteGroup] = []
    for part in score.tracks:  # one per (channel, program) with notes
        if not len(part.notes):
            continue
        n = part.notes.numpy()
        c = part.controls.numpy()
        notes = list(
            zip(
                n["time"].tolist(),
                n["pitch"].tolist(),
                n["duration"].tolist(),
                n["velocity"].tolist(),
                strict=True,
            )
        )
        groups.append(
            NoteGroup(
                program=int(part.program),
                drums=bool(part.is_drum),
                volume=_first(c["value"], c["number"], 7),
                pan=_first(c["value"], c["number"], 10),
                notes=notes,
            )
        )
    return sort_groups(groups)


def fast_chunk(data: bytes, start: int, end: int, track: int, ppq: int) -> ChunkData | None:
    """A chunk read by the fast path, or ``None`` when it needs the reference decoder."""
    scanned = scan_chunk(data, start, end, track)
    if scanned is None:
        return None
    meta, first_channel, stop = scanned
    if first_channel < 0:
        return ChunkData(meta=meta)
    if _program_change_late(data, first_channel, stop) or _tick_bound(data, start, stop) >= 1 << 31:
        return None
    groups = read_groups(data, start, stop, track, ppq)
    if not groups:
        return None
    return ChunkData(meta=meta, groups=groups)
