"""Each job kind's work, run in this process: the files it writes, checked by content."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import soundfile

from bandmate.errors import BandmateError
from bandmate.formats.midi import write_midi
from bandmate.jobs.specs import NEEDED_ROLE, CreditIn, Release, parse_spec, spec_params
from bandmate.jobs.tasks import Outcome, SongSource, Task, load_song, run_task
from bandmate.release.package import verify_manifest
from bandmate.sync.document import song_to_doc
from bandmate.sync.update import encode_state

from .conftest import small_song


def _run(
    kind: str, params: dict[str, object], source: SongSource, work: Path
) -> tuple[Outcome, list[tuple[float, str]]]:
    seen: list[tuple[float, str]] = []
    outcome = run_task(
        Task("job", kind, params, source, str(work)), lambda f, m: seen.append((f, m))
    )
    return outcome, seen


def test_the_song_comes_from_the_log_then_the_seed_then_nothing() -> None:
    logged, seeded = small_song(title="Logged"), small_song(title="Seeded")
    state = encode_state(song_to_doc(logged))
    assert load_song(SongSource("P", (state,), write_midi(seeded))).title == "Logged"
    assert load_song(SongSource("P", (), write_midi(seeded))).title == "Seeded"
    empty = load_song(SongSource("Project name"))
    assert (empty.title, empty.tracks) == ("Project name", ())


def test_a_release_job_packs_audio_cover_and_ddex(tmp_path: Path) -> None:
    spec = Release(
        kind="release",
        title="Small Hours",
        artists=["Ann", "Bo"],
        credits=[CreditIn(name="Ann", role="Composer")],
        target="apple",
    )
    source = SongSource("P", seed_midi=write_midi(small_song(seconds=4.0)))
    outcome, seen = _run("release", spec_params(spec), source, tmp_path)
    assert outcome.name == "Small Hours (release).zip"
    assert outcome.media_type == "application/zip"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    with zipfile.ZipFile(outcome.path) as archive:
        names = sorted(Path(n).name for n in archive.namelist())
        archive.extractall(tmp_path / "unzipped")
    stem = "01 - Ann & Bo - Small Hours"
    assert names == sorted(
        ["NewReleaseMessage.xml", "SHA256SUMS", "cover.jpg"]
        + [f"{stem}.{ext}" for ext in ("flac", "mp3", "wav")]
    )
    folder = next((tmp_path / "unzipped").iterdir())
    assert verify_manifest(folder) == []
    audio, rate = soundfile.read(io.BytesIO((folder / f"{stem}.wav").read_bytes()))
    assert rate == 44100
    assert 4.0 <= len(audio) / rate <= 5.05
    assert outcome.summary["target_lufs"] == -16.0
    assert abs(outcome.summary["after_lufs"] - -16.0) <= 1.0
    assert b"Small Hours" in (folder / "NewReleaseMessage.xml").read_bytes()
    json.dumps(outcome.summary)


def test_specs_survive_storage_and_name_their_role() -> None:
    spec = parse_spec("render", {"format": "flac", "sample_rate": 48000, "bit_depth": 24})
    assert spec_params(spec) == {
        "format": "flac",
        "sample_rate": 48000,
        "bit_depth": 24,
        "mp3_kbps": 320,
    }
    assert parse_spec(spec.kind, spec_params(spec)) == spec
    assert {k for k, role in NEEDED_ROLE.items() if role == "viewer"} == {
        "export-midi",
        "export-musicxml",
        "render",
        "analyze",
    }


def test_a_song_that_does_not_read_fails_with_a_clear_error(tmp_path: Path) -> None:
    source = SongSource("P", seed_midi=b"MThd not really a midi file")
    with pytest.raises(BandmateError):
        run_task(Task("job", "export-midi", {}, source, str(tmp_path)), lambda f, m: None)


def test_cpu_cap_ends_a_process_that_runs_past_it_and_lifts_after() -> None:
    import resource
    import signal
    import subprocess
    import sys

    from bandmate.jobs.tasks import cpu_cap

    burn = (
        "from bandmate.jobs.tasks import cpu_cap\nwith cpu_cap(1):\n    while True:\n        pass\n"
    )
    done = subprocess.run([sys.executable, "-c", burn], timeout=120, check=False)
    assert done.returncode == -signal.SIGXCPU
    before = resource.getrlimit(resource.RLIMIT_CPU)
    with cpu_cap(60):
        soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
        assert soft != resource.RLIM_INFINITY
    assert resource.getrlimit(resource.RLIMIT_CPU) == before
