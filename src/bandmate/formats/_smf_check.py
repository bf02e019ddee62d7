"""Structural checks of Standard MIDI Files: header, chunks, lengths, meta events.

Everything here is bounded before anything is allocated: a file is refused on
its declared sizes (track count, chunk lengths) before a single event is
decoded, so a hostile 20-byte file that claims a million tracks or a 4 GiB
chunk fails fast. Offsets in messages are absolute byte positions in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bandmate.errors import FormatError

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest MIDI file read (64 MiB); real songs are well under 1 MiB."""
MAX_TRACKS = 1024
"""The most MTrk chunks a file may declare."""
MAX_EVENTS = 10_000_000
"""The most events the pure-Python decoder reads from one track. The fast path does not
count events: the file size bounds symusic's work, and MAX_NOTES what becomes Python objects."""
MAX_NOTES = 2_000_000
"""The most notes turned into :class:`~bandmate.music.Note` values from one file."""
MIN_TEMPO_US = 60_000
"""Microseconds per quarter note at 1000 bpm, the fastest tempo a Song holds."""
MAX_TEMPO_US = 0xFFFFFF
"""The slowest tempo a set-tempo event can state (about 3.58 bpm)."""

META_TEXT = 0x01
META_TRACK_NAME = 0x03
META_MARKER = 0x06
META_CUE = 0x07
META_END_OF_TRACK = 0x2F
META_TEMPO = 0x51
META_TIME_SIGNATURE = 0x58
META_KEY_SIGNATURE = 0x59

CHORD_PREFIX = b"chord:"
"""Text events ``chord:SYMBOL`` (optionally ``chord:SYMBOL dur=TICKS``) form the chord lane."""
FLAG_PREFIX = b"bandmate:"
"""Text events ``bandmate:mute`` and ``bandmate:solo`` carry track flags MIDI has no event for."""


@dataclass(frozen=True, slots=True)
class SmfHeader:
    """The MThd chunk and where each MTrk chunk's events lie in the file."""

    format: int
    ppq: int
    chunks: tuple[tuple[int, int], ...]  # (start, end) byte offsets of each MTrk's events


@dataclass(slots=True)
class ChunkMeta:
    """The meta events of one MTrk chunk that the song model uses, with ticks."""

    name: str | None = None
    flags: set[str] = field(default_factory=set)
    tempos: list[tuple[int, int]] = field(default_factory=list)  # (tick, µs per quarter)
    meters: list[tuple[int, int, int]] = field(default_factory=list)  # (tick, num, den)
    keys: list[tuple[int, int, bool]] = field(default_factory=list)  # (tick, sharps, minor)
    sections: list[tuple[int, str]] = field(default_factory=list)  # (tick, name)
    chords: list[tuple[int, str]] = field(default_factory=list)  # (tick, text after "chord:")


def fail(track: int, pos: int, problem: str) -> FormatError:
    """A FormatError that names the MTrk chunk and the byte offset."""
    return FormatError(f"MIDI track {track} at byte {pos}: {problem}")


def read_header(data: bytes) -> SmfHeader:
    """Check the MThd chunk and the layout of every MTrk chunk.

    Args:
        data: The whole file.

    Returns:
        The format, resolution and each track's event span.

    Raises:
        FormatError: On a wrong magic, bad header values, SMPTE timing, a track
            count over :data:`MAX_TRACKS`, or a chunk that runs past the file.
    """
    size = len(data)
    if size > MAX_FILE_BYTES:
        raise FormatError(f"MIDI file size={size} bytes exceeds the limit of {MAX_FILE_BYTES}")
    if data[:4] != b"MThd":
        raise FormatError(f"not a MIDI file: starts with {bytes(data[:4])!r}, expected b'MThd'")
    if size < 14:
        raise FormatError(f"MIDI header truncated: file has {size} bytes, a header needs 14")
    length = int.from_bytes(data[4:8], "big")
    if not 6 <= length <= size - 8:
        raise FormatError(f"MIDI header length={length} must be 6 (and fit in the file)")
    fmt = int.from_bytes(data[8:10], "big")
    ntracks = int.from_bytes(data[10:12], "big")
    division = int.from_bytes(data[12:14], "big")
    if fmt not in (0, 1, 2):
        raise FormatError(f"MIDI header format={fmt} must be 0, 1 or 2")
    if ntracks > MAX_TRACKS:
        raise FormatError(f"MIDI header ntracks={ntracks} exceeds the limit of {MAX_TRACKS}")
    if fmt == 0 and ntracks != 1:
        raise FormatError(f"MIDI header ntracks={ntracks} must be 1 in a format 0 file")
    if division & 0x8000:
        raise FormatError(
            f"MIDI header division=0x{division:04X} is SMPTE timecode; "
            "only ticks per quarter note are supported"
        )
    if division == 0:
        raise FormatError("MIDI header division=0 ticks per quarter must be >= 1")
    pos = 8 + length
    chunks: list[tuple[int, int]] = []
    while len(chunks) < ntracks:
        if pos + 8 > size:
            raise FormatError(
                f"MIDI file truncated at byte {pos}: header declares ntracks={ntracks}, "
                f"the file holds {len(chunks)}"
            )
        tag = bytes(data[pos : pos + 4])
        length = int.from_bytes(data[pos + 4 : pos + 8], "big")
        start = pos + 8
        if start + length > size:
            raise FormatError(
                f"MIDI chunk {tag!r} at byte {pos}: length={length} runs past the end of "
                f"the file (file ends at {size})"
            )
        if tag == b"MTrk":
            chunks.append((start, start + length))
        pos = start + length  # chunks of other types are skipped, as the standard says
    return SmfHeader(format=fmt, ppq=division, chunks=tuple(chunks))


def read_vlq(data: bytes, pos: int, end: int, track: int) -> tuple[int, int]:
    """Read a variable-length quantity of at most 4 bytes; return (value, next pos)."""
    value = 0
    for i in range(4):
        if pos + i >= end:
            raise fail(track, pos, f"variable-length quantity runs past the chunk end ({end})")
        byte = data[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos + i + 1
    raise fail(track, pos, "variable-length quantity is longer than 4 bytes")


def read_blob(
    data: bytes, pos: int, end: int, track: int, what: str, event: int
) -> tuple[int, int]:
    """Read the length-prefixed payload at ``pos`` of the event at ``event``.

    Returns:
        (payload start, payload end).
    """
    length, start = read_vlq(data, pos, end, track)
    if start + length > end:
        raise fail(
            track, event, f"{what} length {length} runs past the chunk end (chunk ends at {end})"
        )
    return start, start + length


def decode_text(payload: bytes) -> str:
    """Text of a meta event: UTF-8 when valid, else Latin-1 (older files)."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


def is_timed(mtype: int, payload: bytes) -> bool:
    """Whether the song model needs this meta event's tick."""
    if mtype == META_TEXT:
        return payload.startswith(CHORD_PREFIX)
    return mtype in (META_TEMPO, META_TIME_SIGNATURE, META_KEY_SIGNATURE, META_MARKER, META_CUE)


def apply_meta(meta: ChunkMeta, mtype: int, payload: bytes, tick: int, where: str) -> None:
    """Check one meta event's payload and record what the song model uses.

    Args:
        meta: The chunk's collected meta events, updated in place.
        mtype: The meta event type byte.
        payload: The event's data bytes.
        tick: The event's absolute tick.
        where: ``"MIDI track N at byte P"`` for messages.

    Raises:
        FormatError: When a tempo, time or key signature has the wrong length
            or a value outside its range.
    """
    size = len(payload)
    if mtype == META_TEMPO:
        if size != 3:
            raise FormatError(f"{where}: set-tempo length={size} must be 3")
        us = int.from_bytes(payload, "big")
        if us < MIN_TEMPO_US:
            raise FormatError(
                f"{where}: tempo={us} µs per quarter must be >= {MIN_TEMPO_US} (1000 bpm)"
            )
        meta.tempos.append((tick, us))
    elif mtype == META_TIME_SIGNATURE:
        if size != 4:
            raise FormatError(f"{where}: time-signature length={size} must be 4")
        numerator, power = payload[0], payload[1]
        if not 1 <= numerator <= 64 or power > 6:
            raise FormatError(
                f"{where}: time signature {numerator}/2^{power} must have numerator in 1..64 "
                "and denominator 2^0..2^6"
            )
        meta.meters.append((tick, numerator, 1 << power))
    elif mtype == META_KEY_SIGNATURE:
        if size != 2:
            raise FormatError(f"{where}: key-signature length={size} must be 2")
        sharps = payload[0] - 256 if payload[0] > 127 else payload[0]
        if not -7 <= sharps <= 7 or payload[1] > 1:
            raise FormatError(
                f"{where}: key signature sharps={sharps} minor={payload[1]} must have "
                "sharps in -7..7 and minor 0 or 1"
            )
        meta.keys.append((tick, sharps, payload[1] == 1))
    elif mtype in (META_MARKER, META_CUE):
        meta.sections.append((tick, decode_text(payload)))
    elif mtype == META_TRACK_NAME:
        if meta.name is None:
            meta.name = decode_text(payload)
    elif mtype == META_TEXT:
        if payload.startswith(CHORD_PREFIX):
            meta.chords.append((tick, decode_text(payload[len(CHORD_PREFIX) :])))
        elif payload.startswith(FLAG_PREFIX):
            meta.flags.add(decode_text(payload[len(FLAG_PREFIX) :]))
