"""MIDI reading and writing: golden files, exact bytes, round trips, malformed input."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from bandmate.errors import FormatError
from bandmate.formats.midi import channels_for, load_midi, read_midi, save_midi, write_midi
from bandmate.music.chord import parse_chord
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

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_midi_fixtures", FIXTURES / "make_midi_fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_committed_fixtures_match_their_builder() -> None:
    built: dict[str, bytes] = _fixture_module().build()
    assert sorted(built) == sorted(p.name for p in FIXTURES.glob("*.mid"))
    for name, data in built.items():
        assert _read(name) == data, name


@pytest.mark.parametrize("fast", [True, False])
def test_running_status_fixture(fast: bool) -> None:
    song = read_midi(_read("running_status.mid"), fast=fast)
    assert song == Song(
        title="Golden",
        ppq=96,
        tempos=(TempoChange(0, 100.0),),
        meters=(MeterChange(0, 3, 4),),
        key=Key(tonic="Bb", mode="major"),
        tracks=(
            Track(
                name="Lead",
                instrument=Instrument(73),
                notes=(Note(60, 0, 96, 100), Note(62, 96, 48, 80), Note(64, 144, 128, 70)),
                volume=80,
                pan=-32,
            ),
        ),
        chords=(ChordEvent(0, 192, parse_chord("Bb")), ChordEvent(192, 96, parse_chord("F"))),
        sections=(Section(0, "Intro"), Section(192, "Verse")),
    )


@pytest.mark.parametrize("fast", [True, False])
def test_type0_fixture_splits_channels(fast: bool) -> None:
    song = read_midi(_read("type0_channels.mid"), fast=fast)
    assert song.title == "Jam0"
    assert song.tempos == (TempoChange(0, 120.0), TempoChange(480, 60.0))
    assert song.tracks == (
        Track("Acoustic Grand Piano", Instrument(0), (Note(60, 0, 480, 80),)),
        Track("Electric Bass (finger)", Instrument(33), (Note(36, 0, 480, 96),), volume=90),
        Track(
            "TR-808 Kit",
            Instrument(25, drums=True),
            (Note(36, 0, 60, 127), Note(38, 480, 1, 64)),  # the zero-length snare lasts 1 tick
        ),
    )


@pytest.mark.parametrize("fast", [True, False])
def test_quirks_fixture(fast: bool) -> None:
    song = read_midi(_read("quirks.mid"), fast=fast)
    assert song.title == "Quirks"
    assert song.ppq == 120
    # First in, first out: the first note-off closes the first E4; the unended G4 is dropped.
    assert song.tracks == (
        Track("Acoustic Grand Piano", Instrument(0), (Note(64, 0, 20, 64), Note(64, 10, 20, 65))),
    )


TINY_SONG = Song(
    title="T",
    ppq=96,
    tracks=(Track("A", Instrument(0), (Note(60, 0, 96, 100),)),),
    chords=(ChordEvent(0, 96, parse_chord("C")),),
    sections=(Section(0, "S"),),
)
TINY_BYTES = bytes.fromhex(
    "4d546864 00000006 0001 0002 0060"
    "4d54726b 0000002f"
    "00ff0301 54"  # title
    "00ff5103 07a120"  # 120 bpm
    "00ff5804 04021808"  # 4/4
    "00ff0601 53"  # section marker
    "00ff010e" + b"chord:C dur=96".hex() + "00ff2f00"  # the last chord states its length
    "4d54726b 0000001a"
    "00ff0301 41"  # track name
    "00c000"  # program 0 on channel 1
    "00b00764"  # volume 100
    "000a40"  # running status: pan centre
    "00903c64"  # note on
    "603c00"  # running status: note-on velocity 0 ends it
    "00ff2f00"
)


def test_write_tiny_song_exact_bytes() -> None:
    assert write_midi(TINY_SONG) == TINY_BYTES
    assert read_midi(TINY_BYTES) == TINY_SONG


def test_write_orders_offs_before_ons_and_shortest_first() -> None:
    track = Track(
        "x",
        Instrument(0),
        (Note(60, 0, 10), Note(60, 10, 5), Note(62, 10, 30), Note(62, 10, 20)),
    )
    data = write_midi(Song(tracks=(track,)))
    body = data[data.rindex(b"MTrk") + 8 :]
    notes = body[body.index(b"\x00\x90") :]
    assert notes.hex(" ") == (
        "00 90 3c 64 0a 3c 00 00 3c 64 00 3e 64 00 3e 64 05 3c 00 0f 3e 00 0a 3e 00 00 ff 2f 00"
    )
    assert read_midi(data).tracks == (track,)


def test_type0_keeps_instruments_and_mix() -> None:
    song = Song(
        tracks=(
            Track("p", Instrument(4), (Note(60, 0, 10),), volume=70, pan=20),
            Track("d", Instrument(0, drums=True), (Note(36, 0, 5),), volume=110, pan=-5),
        )
    )
    back = read_midi(write_midi(song, type=0))
    assert [(t.instrument, t.volume, t.pan, t.notes) for t in back.tracks] == [
        (t.instrument, t.volume, t.pan, t.notes) for t in song.tracks
    ]


def test_overlapping_notes_of_one_pitch_pair_first_in_first_out() -> None:
    inside = Track("x", Instrument(0), (Note(60, 0, 100), Note(60, 10, 20)))
    back = read_midi(write_midi(Song(tracks=(inside,))))
    # Starts and ends survive; the first end (30) goes to the earliest open note.
    assert back.tracks[0].notes == (Note(60, 0, 30), Note(60, 10, 90))


def test_channels_skip_drum_channel_and_reuse_past_fifteen() -> None:
    parts = tuple(Track(str(i), Instrument(0, drums=i == 3)) for i in range(18))
    assert channels_for(parts) == [0, 1, 2, 9, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 0, 1]
    song = Song(tracks=parts)
    assert read_midi(write_midi(song)) == song


@pytest.mark.parametrize("bpm", [120.0, 133.0, 97.5, 33.333, 250.0, 3.576, 1000.0])
def test_tempo_values_survive(bpm: float) -> None:
    song = Song(tempos=(TempoChange(0, bpm),))
    assert read_midi(write_midi(song)).tempos == song.tempos


def test_tempo_too_slow_for_midi_is_refused() -> None:
    with pytest.raises(FormatError, match=r"bpm=2.0 at tick 0 must be >= 3.576"):
        write_midi(Song(tempos=(TempoChange(0, 2.0),)))


def test_gaps_longer_than_one_delta_time_survive() -> None:
    far = 3 * 0x0FFFFFFF + 5  # also past symusic's 32-bit ticks: the reference decoder reads it
    song = Song(tracks=(Track("far", Instrument(0), (Note(60, 0, 1), Note(61, far, 7))),))
    data = write_midi(song)
    assert read_midi(data) == song


def test_defaults_for_missing_events() -> None:
    bare = _smf(b"\x00\x90\x3c\x40\x60\x3c\x00")  # one note, no meta events at all
    song = read_midi(bare)
    assert song.title == "Untitled"
    assert song.tempos == (TempoChange(0, 120.0),)
    assert song.meters == (MeterChange(0, 4, 4),)
    assert song.key is None
    assert song.tracks == (Track("Acoustic Grand Piano", Instrument(0), (Note(60, 0, 96, 64),)),)


def test_cue_points_and_markers_from_any_track_are_sections() -> None:
    conductor = b"\x00\xff\x06\x05Intro" + EOT
    track = b"\x00\x90\x3c\x40\x60\x3c\x00\x00\xff\x07\x03Cue" + EOT  # after the notes
    for fast in (True, False):
        song = read_midi(_smf(conductor, track), fast=fast)
        assert song.sections == (Section(0, "Intro"), Section(96, "Cue"))


def test_load_and_save(tmp_path: Path) -> None:
    path = tmp_path / "song.mid"
    save_midi(TINY_SONG, path)
    assert path.read_bytes() == TINY_BYTES
    assert load_midi(path) == TINY_SONG
    assert read_midi(str(path)) == TINY_SONG


def _smf(*tracks: bytes, fmt: int = 1, ppq: int = 96, ntracks: int | None = None) -> bytes:
    count = len(tracks) if ntracks is None else ntracks
    head = b"MThd\x00\x00\x00\x06" + fmt.to_bytes(2, "big") + count.to_bytes(2, "big")
    head += ppq.to_bytes(2, "big")
    return head + b"".join(b"MTrk" + len(t).to_bytes(4, "big") + t for t in tracks)


EOT = b"\x00\xff\x2f\x00"
BAD_FILES = [
    (b"<?xml version='1.0'?>", r"not a MIDI file: starts with b'<\?xm'"),
    (b"MThd\x00\x00", r"header truncated"),
    (_smf(EOT, fmt=3), r"format=3 must be 0, 1 or 2"),
    (_smf(EOT, ntracks=65535), r"ntracks=65535 exceeds the limit of 1024"),
    (_smf(EOT, EOT, fmt=0), r"ntracks=2 must be 1 in a format 0 file"),
    (_smf(EOT, ppq=0xE728), r"division=0xE728 is SMPTE timecode"),
    (_smf(EOT, ppq=0), r"division=0"),
    (_smf(EOT, ntracks=3), r"truncated at byte 26: header declares ntracks=3, the file holds 1"),
    (_smf(EOT)[:-2], r"MIDI chunk b'MTrk' at byte 14: length=4 runs past the end of the file"),
    (_smf(b"\x81\x80\x80\x80\x00\x90\x3c\x40" + EOT), r"track 0 at byte 22: delta-time is longer"),
    (
        _smf(b"\x00\xff\x01\x8f\xff\xff\x7fabc"),
        r"track 0 at byte 23: meta event length 33554431 runs past the chunk end "
        r"\(chunk ends at 32\)",
    ),
    (_smf(b"\x00\x3c\x40" + EOT), r"track 0 at byte 23: data byte 0x3C without a running status"),
    (_smf(b"\x00\x90\x3c\xc0" + EOT), r"track 0 at byte 24: status byte where a data byte"),
    (_smf(b"\x00\x90\x3c\x40\x00\xf0\x01\xf7\x10\x3c\x00" + EOT), r"data byte 0x3C without"),
    (_smf(b"\x00\xf8" + EOT), r"status byte 0xF8 is not allowed"),
    (_smf(b"\x00\x90\x3c"), r"channel event runs past the chunk end"),
    (_smf(b"\x00\xff\x51\x02\x07\xa1" + EOT), r"set-tempo length=2 must be 3"),
    (_smf(b"\x00\xff\x51\x03\x00\x00\x00" + EOT), r"tempo=0 µs per quarter must be >= 60000"),
    (_smf(b"\x00\xff\x58\x04\x00\x02\x18\x08" + EOT), r"time signature 0/2\^2"),
    (_smf(b"\x00\xff\x59\x02\x08\x00" + EOT), r"key signature sharps=8 minor=0"),
    (_smf(b"\x00\xff\x01\x07chord:?" + EOT), r"MIDI chord text '\?' at tick 0"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
@pytest.mark.parametrize("fast", [True, False])
def test_malformed_files_name_the_problem(data: bytes, message: str, fast: bool) -> None:
    with pytest.raises(FormatError, match=message):
        read_midi(data, fast=fast)


def test_unreadable_path_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot read"):
        read_midi(tmp_path / "missing.mid")
