"""The ``bandmate`` command line, run in-process on real files."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bandmate.cli.main import main
from bandmate.formats import load_song, save_song
from bandmate.music.demo import demo_song


@pytest.fixture
def demo_mid(tmp_path: Path) -> Path:
    path = tmp_path / "demo.mid"
    save_song(demo_song(), path)
    return path


def test_info_describes_the_song(demo_mid: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(demo_mid)]) == 0
    out = capsys.readouterr().out
    assert "First Light" in out
    assert "C major" in out
    assert "96" in out
    assert "Electric Bass (finger)" in out
    assert "Standard Kit" in out
    assert "8 bars" in out


def test_convert_midi_to_musicxml_keeps_the_notes(demo_mid: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.musicxml"
    assert main(["convert", str(demo_mid), "-o", str(out)]) == 0
    original = load_song(demo_mid)
    converted = load_song(out)
    pitched = [t for t in original.tracks if not t.instrument.drums]
    assert sorted(n.pitch for t in pitched for n in t.notes) == sorted(
        n.pitch for t in converted.tracks if not t.instrument.drums for n in t.notes
    )


def test_transpose_by_semitones_moves_pitches_and_key(demo_mid: Path, tmp_path: Path) -> None:
    out = tmp_path / "up.mid"
    assert main(["transpose", str(demo_mid), "-o", str(out), "--semitones", "2"]) == 0
    before, after = load_song(demo_mid), load_song(out)
    assert after.key is not None
    assert str(after.key) == "D major"
    lead_before = [n.pitch for n in before.tracks[0].notes]
    lead_after = [n.pitch for n in after.tracks[0].notes]
    assert lead_after == [p + 2 for p in lead_before]
    drums_after = next(t for t in after.tracks if t.instrument.drums)
    drums_before = next(t for t in before.tracks if t.instrument.drums)
    assert drums_after.notes == drums_before.notes


def test_transpose_diatonic_stays_in_key(demo_mid: Path, tmp_path: Path) -> None:
    out = tmp_path / "third.mid"
    assert main(["transpose", str(demo_mid), "-o", str(out), "--steps", "2"]) == 0
    after = load_song(out)
    c_major = {0, 2, 4, 5, 7, 9, 11}
    assert all(n.pitch % 12 in c_major for n in after.tracks[0].notes)
    assert after.tracks[0].notes[0].pitch == 76  # C5 up a third in C major is E5


def test_quantize_puts_starts_on_the_grid(tmp_path: Path) -> None:
    song = demo_song()
    lead = song.tracks[0]
    nudged = tuple(type(n)(n.pitch, n.start + 17, n.duration, n.velocity) for n in lead.notes)
    loose = dataclasses.replace(song, tracks=(dataclasses.replace(lead, notes=nudged),))
    src, out = tmp_path / "loose.mid", tmp_path / "tight.mid"
    save_song(loose, src)
    assert main(["quantize", str(src), "-o", str(out), "--grid", "1/8"]) == 0
    assert all(n.start % 240 == 0 for n in load_song(out).tracks[0].notes)


def test_render_writes_audio_of_the_song_length(demo_mid: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.wav"
    assert main(["render", str(demo_mid), "-o", str(out), "--bit-depth", "24"]) == 0
    audio, rate = soundfile.read(out)
    info = soundfile.info(out)
    assert rate == 44100
    assert info.subtype == "PCM_24"
    assert audio.shape[1] == 2
    assert 20.0 <= audio.shape[0] / rate <= 22.5  # 8 bars at 96 bpm = 20 s, plus the release tail
    assert np.sqrt(np.mean(audio**2)) > 0.01


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["info", "missing.mid"], "missing.mid"),
        (["transpose", "{song}", "-o", "{tmp}/x.mid"], "exactly one of"),
        (["transpose", "{song}", "-o", "{tmp}/x.mid", "--semitones", "200"], "pitch"),
        (["quantize", "{song}", "-o", "{tmp}/x.mid", "--grid", "1/7x"], "grid"),
        (["render", "{song}", "-o", "{tmp}/x.wav", "--sample-rate", "1000"], "sample"),
        (["render", "{song}", "-o", "{tmp}/x.wav", "--bit-depth", "12"], "bit-depth"),
        (["convert", "{garbage}", "-o", "{tmp}/x.mid"], "garbage"),
        (["convert", "{song}", "-o", "{tmp}/x.doc"], ".doc"),
    ],
)
def test_bad_input_gives_one_clear_line_and_exit_1(
    argv: list[str],
    message: str,
    demo_mid: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    garbage = tmp_path / "garbage.mid"
    garbage.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\xff\xff")
    args = [a.format(song=demo_mid, tmp=tmp_path, garbage=garbage) for a in argv]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "error:" in err
    assert message in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render"]) == 2
    assert "Missing argument" in capsys.readouterr().err


def test_help_speaks_to_musicians() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bandmate.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for command in ("info", "convert", "transpose", "quantize", "render", "demo"):
        assert command in result.stdout


def test_demo_writes_midi_musicxml_and_wav(tmp_path: Path) -> None:
    assert main(["demo", "--folder", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["first-light.mid", "first-light.musicxml", "first-light.wav"]
    assert load_song(tmp_path / "first-light.mid") == demo_song()


def test_cli_does_not_load_the_server_stack_until_serve() -> None:
    code = (
        "import sys, bandmate.cli.main; "
        "print(sorted(m for m in sys.modules if m.startswith(('fastapi', 'sqlalchemy'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_serve_starts_the_studio_and_answers_health(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BANDMATE_DATA_DIR": str(tmp_path / "data")}
    env.pop("BANDMATE_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "bandmate.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(600):  # up to a minute for a cold start on a busy machine
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        assert body is not None, server.stdout.read().decode() if server.stdout else ""
        assert (tmp_path / "data" / "bandmate.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
