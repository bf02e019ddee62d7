"""``bandmate master`` and ``bandmate release`` on a rendered song."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bandmate.cli.main import main
from bandmate.master import measure_loudness
from bandmate.music.demo import demo_song
from bandmate.render import bundled_soundfont, render_to_file


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mix") / "first-light.wav"
    render_to_file(demo_song(), path, soundfont=bundled_soundfont(), bit_depth=24)
    return path


def test_master_meets_the_platform_target(
    mix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, report = tmp_path / "master.wav", tmp_path / "report.html"
    argv = ["master", str(mix), "-o", str(out), "--target", "apple", "--report", str(report)]
    assert main(argv) == 0
    audio, rate = soundfile.read(out, dtype="float64")
    measured = measure_loudness(audio, rate)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert measured.true_peak_dbtp <= -1.0
    assert "LUFS" in capsys.readouterr().out
    assert "<img" in report.read_text()
    numbers = json.loads(report.with_suffix(".json").read_text())
    assert numbers["target_lufs"] == -16.0


def test_release_builds_a_package(mix: Path, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    argv = [
        "release", str(mix), "-o", str(folder), "--title", "First Light",
        "--artist", "The Demo Band", "--credit", "Ada Lovelace:Composer", "--zip",
    ]  # fmt: skip
    assert main(argv) == 0
    names = {p.suffix for p in folder.iterdir()}
    assert {".wav", ".flac", ".mp3", ".xml"} <= names
    assert folder.with_suffix(".zip").exists() or any(tmp_path.glob("*.zip"))
    wav = next(folder.glob("*.wav"))
    assert soundfile.info(wav).subtype == "PCM_24"
    assert np.isfinite(soundfile.read(wav)[0]).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["master", "{tmp}/missing.wav", "-o", "{tmp}/m.wav"], "missing.wav"),
        (["master", "{mix}", "-o", "{tmp}/m.wav", "--target", "loud"], "loud"),
        (["master", "{mix}", "-o", "{tmp}/m.wav", "--blend", "3"], "blend"),
        (
            [
                "release",
                "{mix}",
                "-o",
                "{tmp}/r",
                "--title",
                "T",
                "--artist",
                "A",
                "--credit",
                "nobody",
            ],
            "Name:Role",
        ),
        (
            [
                "release",
                "{mix}",
                "-o",
                "{tmp}/r",
                "--title",
                "T",
                "--artist",
                "A",
                "--isrc",
                "nope",
            ],
            "isrc=",
        ),
    ],
)
def test_bad_master_and_release_input_is_one_clear_line(
    argv: list[str], message: str, mix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.format(mix=mix, tmp=tmp_path) for a in argv]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
