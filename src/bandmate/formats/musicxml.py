"""MusicXML (``.musicxml``/``.xml``, and compressed ``.mxl``) through music21.

Writing builds a music21 score from the song (one part per track, with the
track's GM instrument; drums on MIDI channel 10), then lets music21 lay out
measures, ties and voices. Tempo marks, chord symbols and rehearsal marks
(sections) go in the first part; time signatures and the key in every part.
Velocities are written as note dynamics. Volume, pan and the mute/solo flags
have no place in notation and are not written.

Reading refuses XML entity declarations and zip bombs before parsing
(:mod:`._archive`), then converts as :mod:`._m21` describes.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import replace
from fractions import Fraction
from typing import Any
from xml.etree import ElementTree

from bandmate.errors import FormatError
from bandmate.formats._archive import MAX_XML_BYTES, check_xml, is_zip, unzip_musicxml, zip_musicxml
from bandmate.formats._m21 import guarded, m21, m21_chord_figure, m21_key, score_to_song
from bandmate.formats.midi_read import read_bytes
from bandmate.music.song import DEFAULT_PPQ, Song, Track, without_audio

XmlSource = bytes | bytearray | memoryview | str | os.PathLike[str]
"""What :func:`read_musicxml` accepts: the document's bytes or a path (str or PathLike)."""


def read_musicxml(source: XmlSource, *, ppq: int = DEFAULT_PPQ) -> Song:
    """Read a MusicXML score, plain or compressed.

    Args:
        source: The file's bytes (XML or a .mxl zip archive), or its path.
        ppq: Ticks per quarter note of the song returned.

    Returns:
        The song.

    Raises:
        FormatError: For malformed XML, entity declarations, a hostile or
            broken archive, or a file over 64 MiB.
    """
    data = read_bytes(source, limit=MAX_XML_BYTES)
    if is_zip(data):
        data = unzip_musicxml(data)
    data = check_xml(data, "MusicXML")
    if b"<score-partwise" not in data and b"<score-timewise" not in data:
        raise FormatError("MusicXML: no <score-partwise> or <score-timewise> element found")

    def parse() -> Any:
        converter = m21("converter")

        return converter.parseData(data, format="musicxml", forceSource=True)

    score = guarded("MusicXML could not be parsed", parse)
    song = guarded("MusicXML does not fit the song model", lambda: score_to_song(score, ppq=ppq))
    return _with_stated_parts(song, _stated_programs(data), _stated_mix(data))


def _stated_programs(data: bytes) -> list[int | None]:
    """The ``<midi-program>`` (0-based) of each ``<score-part>``, in order, ``None`` where absent.

    music21 replaces a stated program with the default of the instrument class it
    guesses from the name (its "Electric Piano" is program 2 whatever the file says),
    so the stated numbers are read from the document itself.
    """
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return []
    programs: list[int | None] = []
    for part in root.iter("score-part"):
        text = part.findtext("midi-instrument/midi-program")
        number = int(text) if text and text.strip().isdigit() else 0
        programs.append(number - 1 if 1 <= number <= 128 else None)
    return programs


def _with_stated_parts(
    song: Song, programs: list[int | None], mixes: list[tuple[int | None, int | None]]
) -> Song:
    if not len(programs) == len(mixes) == len(song.tracks):
        return song
    tracks = []
    for track, program, (volume, pan) in zip(song.tracks, programs, mixes, strict=True):
        if program is not None and not track.instrument.drums:
            track = replace(track, instrument=replace(track.instrument, program=program))
        if volume is not None:
            track = replace(track, volume=volume)
        if pan is not None:
            track = replace(track, pan=pan)
        tracks.append(track)
    return replace(song, tracks=tuple(tracks))


def _part(song: Song, track: Track | None) -> Any:
    instrument = m21("instrument")
    meter = m21("meter")
    note = m21("note")
    stream = m21("stream")

    part = stream.Part()
    if track is not None:
        try:
            inst = instrument.instrumentFromMidiProgram(track.instrument.program)
        except instrument.InstrumentException:
            inst = instrument.Instrument()
        # music21's instrument classes carry their own default program (its ElectricPiano
        # is program 2): state the track's program so it survives the round trip.
        inst.midiProgram = track.instrument.program
        if track.instrument.drums:
            inst.midiChannel = 9
        inst.partName = track.name
        part.insert(0, inst)
        part.partName = track.name
    for change in song.meters:
        signature = meter.TimeSignature(f"{change.numerator}/{change.denominator}")
        part.insert(Fraction(change.tick, song.ppq), signature)
    if song.key is not None:
        part.insert(0, m21_key(song.key))
    for n in track.notes if track is not None else ():
        element = note.Note(n.pitch, quarterLength=Fraction(n.duration, song.ppq))
        element.volume.velocity = n.velocity
        part.insert(Fraction(n.start, song.ppq), element)
    return part


def song_to_score(song: Song) -> Any:
    """The song as a music21 score (see the module notes for what is kept)."""
    expressions = m21("expressions")
    harmony = m21("harmony")
    metadata = m21("metadata")
    stream = m21("stream")
    tempo = m21("tempo")

    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = song.title
    parts = [_part(song, track) for track in song.tracks] or [_part(song, None)]
    first = parts[0]
    for change in song.tempos:
        first.insert(Fraction(change.tick, song.ppq), tempo.MetronomeMark(number=change.bpm))
    for event in song.chords:
        symbol = str(event.chord)
        try:
            figure = harmony.ChordSymbol(m21_chord_figure(symbol))
        except Exception as exc:  # music21 raises several types for figures it cannot read
            raise FormatError(
                f"chord {symbol!r} at tick {event.tick} has no MusicXML form"
            ) from exc
        first.insert(Fraction(event.tick, song.ppq), figure)
    for section in song.sections:
        first.insert(Fraction(section.tick, song.ppq), expressions.RehearsalMark(section.name))
    for part in parts:
        score.insert(0, part)
    return score


def write_musicxml(song: Song, *, compressed: bool = False) -> bytes:
    """Encode a song as MusicXML 4.0.

    Args:
        song: The song (its audio clips, and tracks holding only clips, are left out).
        compressed: Return a ``.mxl`` zip archive instead of plain XML.

    Returns:
        The document (UTF-8 XML) or the archive's bytes.

    Raises:
        FormatError: When music21 cannot notate the song (a duration with no
            written form) or a chord symbol has no MusicXML form.
    """
    song = without_audio(song)  # audio clips are not notation

    def export() -> bytes:
        exporter = m21("musicxml.m21ToXml").GeneralObjectExporter(song_to_score(song))
        return bytes(exporter.parse())

    xml = _state_mix(guarded("MusicXML export failed", export), song)
    return zip_musicxml(xml) if compressed else xml


_MIDI_INSTRUMENT = re.compile(rb"(<midi-instrument\b[^>]*>)(.*?)(</midi-instrument>)", re.S)
_MIX_ORDER_AFTER = re.compile(
    rb"</(?:midi-program|midi-unpitched|midi-bank|midi-name|midi-channel)>"
)


def _state_mix(xml: bytes, song: Song) -> bytes:
    """Add each track's volume and pan to its ``<midi-instrument>`` (music21 writes neither).

    MusicXML states volume as 0..100 (percent of MIDI 127) and pan in degrees,
    -90 hard left to 90 hard right; the values are exact enough to read back as
    the same MIDI numbers.
    """
    blocks = list(_MIDI_INSTRUMENT.finditer(xml))
    if len(blocks) != len(song.tracks):
        return xml
    out: list[bytes] = []
    done = 0
    for match, track in zip(blocks, song.tracks, strict=True):
        body = match.group(2)
        mix = (
            f"<volume>{track.volume * 100 / 127:.4f}</volume>"
            f"<pan>{track.pan * 90 / 64:.4f}</pan>".encode()
        )
        anchors = list(_MIX_ORDER_AFTER.finditer(body))
        at = anchors[-1].end() if anchors else 0
        out.append(xml[done : match.start(2)] + body[:at] + mix + body[at:])
        done = match.end(2)
    out.append(xml[done:])
    return b"".join(out)


def _stated_mix(data: bytes) -> list[tuple[int | None, int | None]]:
    """The (volume 0..127, pan -64..63) stated in each ``<score-part>``, ``None`` where absent."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return []
    mixes: list[tuple[int | None, int | None]] = []
    for part in root.iter("score-part"):
        volume = _number(part.findtext("midi-instrument/volume"))
        pan = _number(part.findtext("midi-instrument/pan"))
        mixes.append(
            (
                None if volume is None else min(max(round(volume * 127 / 100), 0), 127),
                None if pan is None else min(max(round(pan * 64 / 90), -64), 63),
            )
        )
    return mixes


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None
