"""The ``analyze`` job kind run as a worker runs it: the song's notes, an uploaded file, and
the clear failures (an empty song, undecodable bytes, a spec that names half an upload)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pydantic
import pytest
import soundfile

from bandmate.errors import BandmateError
from bandmate.formats.midi import write_midi
from bandmate.jobs.specs import Analyze, parse_spec
from bandmate.jobs.tasks import SongSource, Task, run_task
from bandmate.loops.audio import render_loop
from bandmate.loops.catalog import get_loop
from bandmate.loops.generate import loop_song
from bandmate.music.song import Song

BLOB = "ab" * 32
UPLOAD = "cd" * 16


def _task(tmp_path: Path, params: dict[str, object], *, seed: bytes | None = None,
          audio: Path | None = None) -> Task:  # fmt: skip
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    source = SongSource("Loop", seed_midi=seed)
    return Task(
        "j" * 32, "analyze", params, source, str(work), None if audio is None else str(audio)
    )


def test_the_song_is_read_from_its_notes(tmp_path: Path) -> None:
    spec = get_loop("lib-chords-pop-d-major-98-0")
    song = loop_song(spec)
    seen: list[float] = []
    outcome = run_task(_task(tmp_path, {}, seed=write_midi(song)), lambda f, m: seen.append(f))
    assert outcome.media_type == "application/json"
    assert outcome.name == f"{spec.title} (analysis).json"
    summary = outcome.summary
    assert summary["source"] == "song"
    assert summary["key"] == "D major"
    assert summary["bpm"] == 98.0
    assert [c["symbol"] for c in summary["chords"]] == list(spec.progression)
    assert json.loads(Path(outcome.path).read_text())["key"] == "D major"
    assert seen[0] == 0.0
    assert seen[-1] == 1.0


def test_an_upload_is_decoded_and_analyzed(tmp_path: Path) -> None:
    spec = get_loop("lib-bass-funk-e-major-94-6")
    path = tmp_path / "loop.wav"
    path.write_bytes(render_loop(loop_song(spec), spec.bars, sample_rate=22050))
    params: dict[str, object] = {"upload_id": UPLOAD, "blob": BLOB}
    outcome = run_task(_task(tmp_path, params, audio=path), lambda f, m: None)
    summary = outcome.summary
    assert summary["source"] == "upload"
    assert summary["upload_id"] == UPLOAD
    # The tempo or its double or half (the octave errors Acc2 forgives).
    assert min(abs(summary["bpm"] / (94.0 * m) - 1) for m in (0.5, 1, 2)) < 0.04
    assert summary["seconds"] == pytest.approx(spec.seconds, abs=0.01)
    assert summary["mood"]["label"] in {"happy", "calm", "sad", "tense"}


def test_failures_are_clear(tmp_path: Path) -> None:
    with pytest.raises(BandmateError, match="no notes"):
        run_task(_task(tmp_path, {}, seed=write_midi(Song(title="Empty"))), lambda f, m: None)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(200)))
    with pytest.raises(BandmateError):
        run_task(
            _task(tmp_path, {"upload_id": UPLOAD, "blob": BLOB}, audio=junk), lambda f, m: None
        )
    silence = io.BytesIO()
    soundfile.write(silence, np.zeros(22050, dtype=np.float32), 22050, format="WAV")
    quiet = tmp_path / "quiet.wav"
    quiet.write_bytes(silence.getvalue())
    outcome = run_task(
        _task(tmp_path, {"upload_id": UPLOAD, "blob": BLOB}, audio=quiet), lambda f, m: None
    )
    assert outcome.summary["key"] is None  # silence has no key: a sensible result


@pytest.mark.parametrize(
    "params",
    [{"upload_id": UPLOAD}, {"blob": BLOB}, {"upload_id": "x", "blob": BLOB}, {"blob": "../etc"}],
)
def test_an_analyze_spec_names_a_whole_upload_or_none(params: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_spec("analyze", params)
    assert parse_spec("analyze", {}) == Analyze(kind="analyze")
