"""SoundFont discovery and checking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bandmate.errors import RenderError
from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.render import bundled_soundfont, check_soundfont, find_soundfont, render_song
from bandmate.render import soundfont as soundfont_module

FLUIDR3_INSTALLED = soundfont_module.FLUIDR3_PATH.is_file()


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(soundfont_module.ENV_VAR, raising=False)


@pytest.fixture
def fake_font(tmp_path: Path) -> Path:
    """A file with a valid SoundFont header (all discovery looks at)."""
    path = tmp_path / "fake.sf2"
    path.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    return path


def test_bundled_soundfont_is_timgm6mb() -> None:
    path = bundled_soundfont()
    assert path.name == "TimGM6mb.sf2"
    assert path.stat().st_size > 5_000_000


def test_explicit_path_wins(
    fake_font: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(soundfont_module.ENV_VAR, str(bundled_soundfont()))
    assert find_soundfont(fake_font) == fake_font
    assert find_soundfont(str(fake_font)) == fake_font


def test_env_var_comes_second(fake_font: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(soundfont_module.ENV_VAR, str(fake_font))
    assert find_soundfont() == fake_font


@pytest.mark.usefixtures("no_env")
def test_fluidr3_comes_third_when_installed(
    fake_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(soundfont_module, "FLUIDR3_PATH", fake_font)
    assert find_soundfont() == fake_font


@pytest.mark.usefixtures("no_env")
def test_bundled_font_is_the_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(soundfont_module, "FLUIDR3_PATH", tmp_path / "absent.sf2")
    assert find_soundfont() == bundled_soundfont()


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sf2"
    with pytest.raises(RenderError, match=r"missing\.sf2.*does not exist"):
        find_soundfont(missing)


def test_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="not a file"):
        check_soundfont(tmp_path)


@pytest.mark.parametrize(
    "content",
    [b"", b"RIFF", b"RIFF\x04\x00\x00\x00WAVEfmt ", b"\x00" * 64, b"sfbkRIFF\x00\x00\x00\x00"],
    ids=["empty", "truncated", "wave", "zeros", "swapped"],
)
def test_non_soundfont_header_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.sf2"
    path.write_bytes(content)
    with pytest.raises(RenderError, match=r"is not a SoundFont: its header .* must be RIFF"):
        check_soundfont(path)


def test_bad_env_var_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(soundfont_module.ENV_VAR, str(tmp_path / "nope.sf2"))
    with pytest.raises(RenderError, match=r"\$BANDMATE_SOUNDFONT: .*nope\.sf2"):
        find_soundfont()


def test_valid_header_with_broken_body_fails_cleanly(tmp_path: Path) -> None:
    # The header passes the check; the SF2 reader's failure becomes a RenderError.
    path = tmp_path / "broken.sf2"
    path.write_bytes(b"RIFF\x10\x00\x00\x00sfbkLIST\x00\x00\x00\x00garbage")
    song = Song(tracks=(Track("t", notes=(Note(60, 0, 480),)),))
    with pytest.raises(RenderError, match="is malformed"):
        render_song(song, soundfont=path)


def test_render_with_a_bad_soundfont_path(tmp_path: Path) -> None:
    song = Song(tracks=(Track("t", notes=(Note(60, 0, 480),)),))
    with pytest.raises(RenderError, match="does not exist"):
        render_song(song, soundfont=tmp_path / "nope.sf2")


@pytest.mark.skipif(
    not FLUIDR3_INSTALLED,
    reason=f"{soundfont_module.FLUIDR3_PATH} is absent (Debian package fluid-soundfont-gm)",
)
def test_fluidr3_renders_a4_at_440() -> None:
    song = Song(tracks=(Track("flute", Instrument(73), (Note(69, 0, 960),)),))
    audio = render_song(song, soundfont=soundfont_module.FLUIDR3_PATH)
    mono = audio[4410:39690].mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono)), 8 * len(mono)))
    hz = float(np.argmax(spectrum)) * 44_100 / (8 * len(mono))
    assert abs(hz - 440.0) < 4.0
