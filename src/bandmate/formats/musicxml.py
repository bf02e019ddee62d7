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

import os
from fractions import Fraction
from typing import Any

from bandmate.errors import FormatError
from bandmate.formats._archive import MAX_XML_BYTES, check_xml, is_zip, unzip_musicxml, zip_musicxml
from bandmate.formats._m21 import guarded, m21, m21_chord_figure, m21_key, score_to_song
from bandmate.formats.midi_read import read_bytes
from bandmate.music.song import DEFAULT_PPQ, Song, Track

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
    return guarded("MusicXML does not fit the song model", lambda: score_to_song(score, ppq=ppq))


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
        song: The song.
        compressed: Return a ``.mxl`` zip archive instead of plain XML.

    Returns:
        The document (UTF-8 XML) or the archive's bytes.

    Raises:
        FormatError: When music21 cannot notate the song (a duration with no
            written form) or a chord symbol has no MusicXML form.
    """

    def export() -> bytes:
        exporter = m21("musicxml.m21ToXml").GeneralObjectExporter(song_to_score(song))
        return bytes(exporter.parse())

    xml = guarded("MusicXML export failed", export)
    return zip_musicxml(xml) if compressed else xml
