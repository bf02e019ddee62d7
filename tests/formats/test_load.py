"""load_song / save_song: dispatch by extension, content sniffing, limits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bandmate.errors import FormatError, UnsupportedFormatError
from bandmate.formats import FORMATS, format_for_path, load_song, save_song, sniff_format
from bandmate.music.key import Key
from bandmate.music.song import Instrument, MeterChange, Note, Song, TempoChange, Track

SONG = Song(
    title="Saved",
    tempos=(TempoChange(0, 110.0),),
    meters=(MeterChange(0, 3, 4),),
    key=Key(tonic="E", mode="minor"),
    tracks=(Track("Piano", Instrument(0), (Note(64, 0, 480), Note(67, 480, 960, 90))),),
)


@pytest.mark.parametrize("name", ["song.mid", "song.MIDI", "song.musicxml", "song.xml", "song.mxl"])
def test_save_then_load(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    save_song(SONG, path)
    assert load_song(path) == SONG


def test_load_abc(tmp_path: Path) -> None:
    path = tmp_path / "tune.abc"
    path.write_text("X:1\nT:Scale\nM:4/4\nL:1/4\nK:C\nCDEF|\n", encoding="utf-8")
    song = load_song(path)
    assert song.title == "Scale"
    assert [n.pitch for n in song.tracks[0].notes] == [60, 62, 64, 65]


def test_name_and_content_must_agree(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mid"
    save_song(SONG, tmp_path / "real.musicxml")
    fake.write_bytes((tmp_path / "real.musicxml").read_bytes())
    with pytest.raises(UnsupportedFormatError, match=r"fake.mid: the name says Standard MIDI"):
        load_song(fake)


def test_unknown_extension_falls_back_to_content(tmp_path: Path) -> None:
    save_song(SONG, tmp_path / "song.mid")
    odd = tmp_path / "song.bin"
    odd.write_bytes((tmp_path / "song.mid").read_bytes())
    assert load_song(odd) == SONG
    odd.write_bytes(b"\x00\x01 nothing known")
    with pytest.raises(UnsupportedFormatError, match=r"extension '.bin' is not one of"):
        load_song(odd)


def test_garbage_with_a_known_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.mid"
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    with pytest.raises(FormatError, match="MIDI header truncated"):
        load_song(path)


def test_saving_abc_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"cannot write '.abc'; use one of .mid"):
        save_song(SONG, tmp_path / "song.abc")


def test_file_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "huge.musicxml"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)
    with pytest.raises(FormatError, match="exceeds the limit of 67108864"):
        load_song(path)


def test_sniffing() -> None:
    assert sniff_format(b"MThd\x00\x00\x00\x06") == "midi"
    assert sniff_format(b"\xef\xbb\xbf  <?xml version='1.0'?>") == "musicxml"
    assert sniff_format(b"PK\x03\x04") == "musicxml"
    assert sniff_format(b"%abc\nX:1\nK:G\n") == "abc"
    assert sniff_format(b"RIFF....WAVE") is None
    assert format_for_path("a/b/Tune.ABC") == "abc"
    assert format_for_path("a/b/c.txt") is None


def test_formats_describe_every_extension() -> None:
    assert set(FORMATS) == {"midi", "musicxml", "abc"}
    assert {ext for f in FORMATS.values() for ext in f.extensions} == {
        ".mid",
        ".midi",
        ".musicxml",
        ".xml",
        ".mxl",
        ".abc",
    }
    assert [name for name, f in FORMATS.items() if f.can_write] == ["midi", "musicxml"]


def test_importing_formats_does_not_load_music21() -> None:
    code = "import sys, bandmate.formats; print('music21' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
