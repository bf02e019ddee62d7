"""MusicXML: round trips, a hand-written score, and hostile documents and archives."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from bandmate.errors import FormatError
from bandmate.formats.musicxml import read_musicxml, write_musicxml
from bandmate.music.chord import parse_chord
from bandmate.music.demo import demo_song
from bandmate.music.key import Key
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

LEAD_SHEET = Song(
    title="Lead sheet",
    ppq=480,
    tempos=(TempoChange(0, 96.0), TempoChange(1920, 120.0)),
    meters=(MeterChange(0, 4, 4), MeterChange(1920, 3, 4)),
    key=Key(tonic="Bb", mode="major"),
    tracks=(
        Track(
            "Flute",
            Instrument(73),
            (
                Note(70, 0, 720, 90),
                Note(72, 720, 240, 80),
                Note(74, 960, 1920, 70),  # crosses the bar line: written tied, read merged
                Note(65, 1920, 1440, 64),  # overlaps the tied note: a second voice
            ),
        ),
        Track("Drums", Instrument(0, drums=True), (Note(36, 0, 480), Note(38, 480, 480))),
    ),
    chords=(
        ChordEvent(0, 960, parse_chord("Bb")),
        ChordEvent(960, 960, parse_chord("Gm7")),
        ChordEvent(1920, 1440, parse_chord("F7/A")),
    ),
    sections=(Section(0, "A"), Section(1920, "B")),
)


def test_round_trip_keeps_the_song() -> None:
    data = write_musicxml(LEAD_SHEET)
    assert data.startswith(b"<?xml")
    assert b"<score-partwise" in data
    assert read_musicxml(data) == LEAD_SHEET


def test_compressed_round_trip() -> None:
    data = write_musicxml(LEAD_SHEET, compressed=True)
    assert data[:4] == b"PK\x03\x04"
    assert read_musicxml(data) == LEAD_SHEET


def test_read_at_another_resolution() -> None:
    song = read_musicxml(write_musicxml(LEAD_SHEET), ppq=96)
    assert song.ppq == 96
    assert song.tracks[0].notes[0] == Note(70, 0, 144, 90)


HAND_WRITTEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
  <work><work-title>Tiny</work-title></work>
  <part-list>
    <score-part id="P1"><part-name>Violin</part-name>
      <midi-instrument id="P1-I1"><midi-channel>1</midi-channel><midi-program>41</midi-program>
      </midi-instrument>
    </score-part>
  </part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>2</divisions><key><fifths>-3</fifths><mode>minor</mode></key>
        <time><beats>2</beats><beat-type>4</beat-type></time></attributes>
      <direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit>
        <per-minute>72</per-minute></metronome></direction-type><sound tempo="72"/></direction>
      <harmony><root><root-step>C</root-step></root><kind text="m">minor</kind></harmony>
      <note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration>
        <type>eighth</type></note>
      <note><pitch><step>E</step><alter>-1</alter><octave>4</octave></pitch><duration>1</duration>
        <type>eighth</type></note>
      <note><chord/><pitch><step>G</step><octave>4</octave></pitch><duration>1</duration>
        <type>eighth</type></note>
      <note><rest/><duration>1</duration><type>eighth</type></note>
      <note><pitch><step>G</step><octave>4</octave></pitch><duration>1</duration>
        <tie type="start"/><type>eighth</type><notations><tied type="start"/></notations></note>
    </measure>
    <measure number="2">
      <note><pitch><step>G</step><octave>4</octave></pitch><duration>4</duration>
        <tie type="stop"/><type>half</type><notations><tied type="stop"/></notations></note>
    </measure>
  </part>
</score-partwise>
"""


def test_utf16_document() -> None:
    utf16 = HAND_WRITTEN.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert read_musicxml(utf16, ppq=96) == read_musicxml(HAND_WRITTEN, ppq=96)


def test_hand_written_score() -> None:
    song = read_musicxml(HAND_WRITTEN, ppq=96)
    assert song.title == "Tiny"
    assert song.key == Key(tonic="C", mode="minor")
    assert song.meters == (MeterChange(0, 2, 4),)
    assert song.tempos == (TempoChange(0, 72.0),)
    assert song.chords == (ChordEvent(0, 384, parse_chord("Cm")),)  # to the end of the notes
    (violin,) = song.tracks
    assert violin.name == "Violin"
    assert violin.instrument == Instrument(40)  # MusicXML programs count from 1
    assert violin.notes == (
        Note(60, 0, 48),
        Note(63, 48, 48),  # E-flat and G sound together: a chord
        Note(67, 48, 48),
        Note(67, 144, 240),  # tied across the bar line: one note of 2.5 quarters
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<score-partwise><work><work-title>&lol9;</work-title></work></score-partwise>
"""


def test_entity_declarations_are_refused() -> None:
    with pytest.raises(FormatError, match=r"entity declarations \(<!ENTITY\) are not accepted"):
        read_musicxml(BILLION_LAUGHS)
    utf16 = BILLION_LAUGHS.decode().encode("utf-16")
    with pytest.raises(FormatError, match="<!ENTITY"):
        read_musicxml(utf16)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HAND_WRITTEN[: len(HAND_WRITTEN) // 2], "MusicXML could not be parsed"),
        (b"<?xml version='1.0'?><html></html>", "no <score-partwise> or <score-timewise>"),
        (b"PK\x03\x04garbage", "not a valid zip file"),
        (b"", "no <score-partwise>"),
    ],
)
def test_malformed_documents(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_musicxml(data)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_without_inflating() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("score.musicxml", "w", force_zip64=True) as member,
    ):
        zeros = bytes(1 << 20)
        for _ in range(1024):  # 1 GiB of zeros, compressed to a few MiB
            member.write(zeros)
    bomb = buffer.getvalue()
    assert len(bomb) < 8 << 20
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=r"unpacks to 1073741824 bytes, the limit is \d+"):
            read_musicxml(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(bomb)  # refused from the zip directory, never inflated


def test_highly_compressed_member_is_refused() -> None:
    bomb = _zip({"score.musicxml": bytes(8 << 20)})  # 8 MiB of zeros: within the size cap
    with pytest.raises(FormatError, match=r"compression ratio \d+ exceeds the limit of 200"):
        read_musicxml(bomb)


def test_path_traversal_member_is_refused() -> None:
    with pytest.raises(FormatError, match=r"name='../evil.musicxml' must be a relative path"):
        read_musicxml(_zip({"../evil.musicxml": HAND_WRITTEN}))


def test_archive_without_score() -> None:
    with pytest.raises(FormatError, match="holds no score"):
        read_musicxml(_zip({"readme.txt": b"hello"}))


def test_archive_found_by_container() -> None:
    container = b'<container><rootfiles><rootfile full-path="in/tiny.xml"/></rootfiles></container>'
    data = _zip({"META-INF/container.xml": container, "in/tiny.xml": HAND_WRITTEN})
    assert read_musicxml(data, ppq=96) == read_musicxml(HAND_WRITTEN, ppq=96)


def _one_note_score(key_xml: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
  <part-list><score-part id="P1"><part-name>Lead</part-name></score-part></part-list>
  <part id="P1"><measure number="1">
    <attributes><divisions>1</divisions>{key_xml}
      <time><beats>4</beats><beat-type>4</beat-type></time></attributes>
    <note><pitch><step>G</step><alter>1</alter><octave>4</octave></pitch>
      <duration>4</duration><type>whole</type></note>
  </measure></part>
</score-partwise>""".encode()


@pytest.mark.parametrize(
    ("key_xml", "expected"),
    [
        ("<key><fifths>5</fifths><mode>minor</mode></key>", "G# minor"),
        ("<key><fifths>-3</fifths><mode>major</mode></key>", "Eb major"),
        # G# major needs eight sharps: no key Bandmate spells, so the key is left unstated.
        ("<key><fifths>8</fifths><mode>major</mode></key>", None),
    ],
)
def test_key_signatures_from_musicxml(key_xml: str, expected: str | None) -> None:
    song = read_musicxml(_one_note_score(key_xml))
    assert (str(song.key) if song.key else None) == expected
    assert [n.pitch for n in song.tracks[0].notes] == [68]


def test_programs_volume_and_pan_survive_a_round_trip() -> None:
    # music21 alone turns "Electric Piano 1" (program 4) into its own default, program 2.
    song = demo_song()
    back = read_musicxml(write_musicxml(song))
    assert [(t.name, t.instrument, t.volume, t.pan) for t in back.tracks] == [
        (t.name, t.instrument, t.volume, t.pan) for t in song.tracks
    ]
