"""``bandmate analyze``: summaries, JSON and HTML outputs, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile

from bandmate.cli.main import main
from bandmate.formats import save_song
from bandmate.music.demo import demo_song
from tests.listen.signals import RATE, progression


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "take.wav"
    chords = [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")] * 2
    soundfile.write(path, progression(chords, bpm=110.0), RATE)
    return path


def test_audio_summary_json_and_report(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, page = tmp_path / "a.json", tmp_path / "a.html"
    code = main(["analyze", str(audio), "--json", str(out), "--report", str(page),
                 "--cache", str(tmp_path / "cache")])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "C major" in text
    assert "bpm" in text
    data = json.loads(out.read_text())
    assert data["key"]["name"] == "C major"
    assert abs(data["bpm"] - 110.0) < 4.4
    html = page.read_text()
    assert html.count("data:image/png;base64,") == 5  # with the tag chart
    assert "Style" in text
    assert data["tags"]
    assert "tags.png" in html
    assert list((tmp_path / "cache").glob("*.json"))


def test_song_files_get_the_symbolic_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.mid"
    save_song(demo_song(), path)
    out = tmp_path / "song.json"
    assert main(["analyze", str(path), "--json", str(out)]) == 0
    assert "C major" in capsys.readouterr().out
    assert json.loads(out.read_text())["key"] == "C major"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.wav", None, "does not exist"),
        ("empty.wav", b"", "empty"),
        ("garbage.flac", b"\x00\x01not audio at all" * 50, "cannot decode"),
        ("notes.txt", b"hello", "file extension='.txt' must be one of"),
    ],
)
def test_bad_files_exit_1_with_one_clear_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["analyze", str(path)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_report_for_a_song_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.mid"
    save_song(demo_song(), path)
    assert main(["analyze", str(path), "--report", str(tmp_path / "r.html")]) == 1
    assert "--report is for audio files" in capsys.readouterr().err
