"""Writing songs as Standard MIDI Files, in pure Python (bytes out).

Format 1 (the default) holds a conductor chunk, then one chunk per track:

* Conductor: track name = song title, set-tempo (``round(60e6 / bpm)`` µs
  per quarter), time signatures, the key signature, markers for sections and
  text events ``chord:SYMBOL`` for the chord lane (``chord:SYMBOL dur=TICKS``
  when a chord does not end where the next one starts).
* Each track: its name, text events ``bandmate:mute`` / ``bandmate:solo``
  when set, a program change, CC 7 (volume) and CC 10 (pan + 64) at tick 0,
  then its notes. Melodic tracks take channels 1-9, 11-16 in order (reused
  round-robin past 15 tracks), drum tracks channel 10.
* Note-offs are note-ons with velocity 0, so that a track's notes share one
  running status. At one tick, note-offs come before note-ons; notes of one
  pitch starting together are written shortest first, so that the reader,
  which pairs note-offs first-in first-out, gets them back.

Format 0 merges everything into one chunk: the notes, instruments, volume
and pan survive; track names and flags do not, and tracks that share a
channel (past 15 melodic tracks) share its last program.
"""

from __future__ import annotations

from typing import Literal

from bandmate.errors import FormatError
from bandmate.formats._keysig import key_to_signature
from bandmate.formats._smf_check import (
    CHORD_PREFIX,
    FLAG_PREFIX,
    MAX_TEMPO_US,
    MAX_TRACKS,
    META_KEY_SIGNATURE,
    META_MARKER,
    META_TEMPO,
    META_TEXT,
    META_TIME_SIGNATURE,
    META_TRACK_NAME,
)
from bandmate.music.song import Song, Track, without_audio

_Event = tuple[int, int, int, int, bytes]
"""(tick, order at that tick, sequence, channel status or 0 for a meta event, bytes)."""

_META, _NOTE_OFF, _SETUP, _NOTE_ON = 0, 1, 2, 3  # order of events at one tick
_MAX_DELTA = 0x0FFFFFFF
_SPACER = b"\xff\x01\x00"  # an empty text event, to bridge gaps longer than one delta-time
_SLOWEST_BPM = round(60e6 / MAX_TEMPO_US, 3)  # as the reader rounds it
_MELODIC_CHANNELS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15)
_DRUM_CHANNEL = 9


def _vlq(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _meta(mtype: int, payload: bytes) -> bytes:
    return bytes((0xFF, mtype)) + _vlq(len(payload)) + payload


def _text(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError(f"{what}={text!r} cannot be encoded as UTF-8: {exc}") from exc


def _conductor(song: Song) -> list[_Event]:
    metas = [(0, _meta(META_TRACK_NAME, _text(song.title, "title")))]
    for tempo in song.tempos:
        if tempo.bpm < _SLOWEST_BPM:
            raise FormatError(
                f"bpm={tempo.bpm} at tick {tempo.tick} must be >= {_SLOWEST_BPM}, "
                f"the slowest tempo a MIDI file states ({MAX_TEMPO_US} µs per quarter)"
            )
        us = min(round(60e6 / tempo.bpm), MAX_TEMPO_US)
        metas.append((tempo.tick, _meta(META_TEMPO, us.to_bytes(3, "big"))))
    for meter in song.meters:
        power = meter.denominator.bit_length() - 1
        clocks = max(1, 96 // meter.denominator)
        payload = bytes((meter.numerator, power, clocks, 8))
        metas.append((meter.tick, _meta(META_TIME_SIGNATURE, payload)))
    if song.key is not None:
        sharps, minor = key_to_signature(song.key)
        metas.append((0, _meta(META_KEY_SIGNATURE, bytes((sharps & 0xFF, int(minor))))))
    for section in song.sections:
        metas.append((section.tick, _meta(META_MARKER, _text(section.name, "section name"))))
    chords = song.chords
    for i, event in enumerate(chords):
        text = CHORD_PREFIX + _text(str(event.chord), "chord")
        if i + 1 == len(chords) or chords[i + 1].tick != event.end:
            text += b" dur=%d" % event.duration
        metas.append((event.tick, _meta(META_TEXT, text)))
    return [(tick, _META, seq, 0, body) for seq, (tick, body) in enumerate(metas)]


def _names(track: Track) -> list[_Event]:
    events = [(0, _SETUP, 0, 0, _meta(META_TRACK_NAME, _text(track.name, "track name")))]
    for flag, on in (("mute", track.mute), ("solo", track.solo)):
        if on:
            events.append((0, _SETUP, 1, 0, _meta(META_TEXT, FLAG_PREFIX + flag.encode())))
    return events


def _program(track: Track, channel: int) -> _Event:
    return (0, _SETUP, 2, 0xC0 | channel, bytes((track.instrument.program,)))


def _controls(track: Track, channel: int) -> list[_Event]:
    return [
        (0, _SETUP, 3, 0xB0 | channel, bytes((7, track.volume))),
        (0, _SETUP, 3, 0xB0 | channel, bytes((10, track.pan + 64))),
    ]


def _notes(track: Track, channel: int) -> list[_Event]:
    status = 0x90 | channel
    events: list[_Event] = []
    append = events.append
    for i, note in enumerate(track.notes):
        append((note.start, _NOTE_ON, i, status, bytes((note.pitch, note.velocity))))
        append((note.start + note.duration, _NOTE_OFF, i, status, bytes((note.pitch, 0))))
    return events


def _chunk(events: list[_Event]) -> bytes:
    events.sort()
    out = bytearray()
    last = running = 0
    for tick, _, _, status, body in events:
        delta = tick - last
        last = tick
        while delta > _MAX_DELTA:
            out += _vlq(_MAX_DELTA) + _SPACER
            delta -= _MAX_DELTA
            running = 0
        out += _vlq(delta)
        if status != running:
            if status:
                out.append(status)
            running = status  # a meta event ends running status: not every reader keeps it
        out += body
    out += b"\x00\xff\x2f\x00"
    return b"MTrk" + len(out).to_bytes(4, "big") + bytes(out)


def channels_for(tracks: tuple[Track, ...]) -> list[int]:
    """The MIDI channel (0..15) each track plays on: 9 for drums, the rest in turn."""
    channels: list[int] = []
    melodic = 0
    for track in tracks:
        if track.instrument.drums:
            channels.append(_DRUM_CHANNEL)
        else:
            channels.append(_MELODIC_CHANNELS[melodic % len(_MELODIC_CHANNELS)])
            melodic += 1
    return channels


def write_midi(song: Song, *, type: Literal[0, 1] = 1) -> bytes:
    """Encode a song as a Standard MIDI File.

    Args:
        song: The song; its ``ppq`` becomes the file's division. Audio clips are left
            out, and so are tracks that hold clips but no notes.
        type: 1 for a conductor chunk plus one chunk per track (every field of
            the song survives :func:`~bandmate.formats.read_midi`), 0 for a
            single chunk (notes, instruments, volume and pan survive).

    Returns:
        The file's bytes.

    Raises:
        FormatError: For a tempo under 3.58 bpm, more tracks than a file read
            back may hold, text that is not encodable, or ``type`` not 0 or 1.
    """
    if type not in (0, 1):
        raise FormatError(f"MIDI type={type} must be 0 or 1")
    song = without_audio(song)  # audio clips have no MIDI form; audio-only tracks go too
    if len(song.tracks) >= MAX_TRACKS:
        raise FormatError(f"tracks={len(song.tracks)} must be fewer than {MAX_TRACKS}")
    channels = channels_for(song.tracks)
    conductor = _conductor(song)
    if type == 0:
        # Program changes sort before control changes (sequence 2 < 3), as the fast path wants.
        events = conductor
        for track, channel in zip(song.tracks, channels, strict=True):
            events += [_program(track, channel), *_controls(track, channel)]
            events += _notes(track, channel)
        chunks = [_chunk(events)]
    else:
        chunks = [_chunk(conductor)]
        for track, channel in zip(song.tracks, channels, strict=True):
            setup = [*_names(track), _program(track, channel), *_controls(track, channel)]
            chunks.append(_chunk(setup + _notes(track, channel)))
    header = b"MThd\x00\x00\x00\x06" + bytes((0, type)) + len(chunks).to_bytes(2, "big")
    return header + song.ppq.to_bytes(2, "big") + b"".join(chunks)
