"""The job runner with real worker processes: renders, exports, failures, cancel, restarts,
limits and result clean-up."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
import soundfile

from bandmate.formats.midi import read_midi
from bandmate.jobs.errors import JobLimitError, JobStateError
from bandmate.jobs.runner import RESTART_MESSAGE
from bandmate.jobs.specs import ExportMidi, Render
from bandmate.sync.document import song_to_doc
from bandmate.sync.update import encode_state

from .conftest import MakeBench, finished, small_song

pytestmark = pytest.mark.anyio

HANG_GUARD_S = 240
"""Only there so that a broken worker fails the test instead of hanging the suite."""


async def test_a_render_job_writes_a_wav_of_the_song(make_bench: MakeBench) -> None:
    bench = await make_bench()
    project = await bench.project(small_song(seconds=2.0))
    await bench.runner.start()
    job = await bench.runner.submit(project, bench.user.id, Render(kind="render"))
    assert (job.state, job.progress) == ("queued", 0.0)
    async with asyncio.timeout(HANG_GUARD_S):
        done, seen = await finished(bench.runner, job.id)
    assert done.state == "succeeded", done.error
    assert done.progress == 1.0
    assert [j.progress for j in seen] == sorted(j.progress for j in seen)
    assert done.result is not None
    assert done.result.name == "Small.wav"
    assert done.result.media_type == "audio/wav"
    data = bench.blobs.get(done.result.blob)
    assert len(data) == done.result.size
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    audio, rate = soundfile.read(io.BytesIO(data), dtype="float64")
    assert rate == 44100
    assert audio.shape[1] == 2
    # Four notes of 0.5 s, then at most a second of release tail.
    assert 2.0 <= len(audio) / rate <= 3.05
    assert done.summary is not None
    assert done.summary["seconds"] == pytest.approx(len(audio) / rate)
    first = audio[: rate // 2]
    assert 20 * np.log10(np.sqrt(np.mean(first**2))) > -40.0  # the first note sounds
    assert np.max(np.abs(audio)) <= 1.0


async def test_a_job_reads_the_current_song_from_the_update_log(make_bench: MakeBench) -> None:
    bench = await make_bench()
    project = await bench.project(small_song(seconds=1.0, title="Old seed"))
    edited = small_song(seconds=3.0, title="Edited")
    await bench.updates.append(project.id, encode_state(song_to_doc(edited)), author_id=None)
    await bench.runner.start()
    job = await bench.runner.submit(project, bench.user.id, ExportMidi(kind="export-midi"))
    async with asyncio.timeout(HANG_GUARD_S):
        done, _ = await finished(bench.runner, job.id)
    assert done.state == "succeeded", done.error
    assert done.result is not None
    assert done.result.name == "Edited.mid"
    song = read_midi(bench.blobs.get(done.result.blob))
    assert [n.pitch for n in song.tracks[0].notes] == [n.pitch for n in edited.tracks[0].notes]
    assert done.summary is not None
    assert done.summary["notes"] == 6


async def test_a_failing_job_is_marked_failed_with_the_reason(make_bench: MakeBench) -> None:
    bench = await make_bench()
    project = await bench.project(None, name="Nothing yet")
    await bench.runner.start()
    job = await bench.runner.submit(project, bench.user.id, Render(kind="render"))
    async with asyncio.timeout(HANG_GUARD_S):
        done, _ = await finished(bench.runner, job.id)
    assert done.state == "failed"
    assert done.error is not None
    assert "nothing to render" in done.error
    assert done.result is None
    assert done.finished_at is not None


async def test_cancel_stops_a_running_render_and_the_pool_recovers(
    make_bench: MakeBench,
) -> None:
    bench = await make_bench()
    long = await bench.project(small_song(seconds=900.0, title="Long"))
    short = await bench.project(small_song(seconds=1.0, title="Short"))
    await bench.runner.start()
    job = await bench.runner.submit(long, bench.user.id, Render(kind="render"))
    async with asyncio.timeout(HANG_GUARD_S):
        async for seen in bench.runner.watch(job.id):
            if seen.state == "running" and seen.message.startswith("Rendering"):
                break
        cancelled = await bench.runner.cancel(seen, "changed my mind")
        assert cancelled.state == "cancelled"
        assert cancelled.error == "changed my mind"
        with pytest.raises(JobStateError):
            await bench.runner.cancel(cancelled)
        after = await bench.runner.submit(short, bench.user.id, ExportMidi(kind="export-midi"))
        done, _ = await finished(bench.runner, after.id)
    assert done.state == "succeeded", done.error
    assert (await bench.runner.get(job.id)).state == "cancelled"


async def test_a_queued_job_can_be_cancelled_before_it_runs(make_bench: MakeBench) -> None:
    bench = await make_bench()
    project = await bench.project(small_song())
    job = await bench.runner.submit(project, bench.user.id, Render(kind="render"))
    cancelled = await bench.runner.cancel(job)
    assert cancelled.state == "cancelled"
    assert await bench.store.claim_next() is None


async def test_a_restart_fails_running_jobs_and_runs_queued_ones(make_bench: MakeBench) -> None:
    first = await make_bench()
    project = await first.project(small_song(seconds=1.0))
    orphan = await first.runner.submit(project, first.user.id, Render(kind="render"))
    claimed = await first.store.claim_next()  # a worker took it, then the server died
    assert claimed is not None
    assert claimed.id == orphan.id
    waiting = await first.runner.submit(project, first.user.id, ExportMidi(kind="export-midi"))

    second = await make_bench()  # a new server process on the same database
    assert await second.runner.start() == [orphan.id]
    failed = await second.runner.get(orphan.id)
    assert failed.state == "failed"
    assert failed.error == RESTART_MESSAGE
    async with asyncio.timeout(HANG_GUARD_S):
        done, _ = await finished(second.runner, waiting.id)
    assert done.state == "succeeded", done.error


async def test_unfinished_jobs_are_limited_per_project_and_per_person(
    make_bench: MakeBench,
) -> None:
    from bandmate.store.jobs import Limits

    bench = await make_bench(limits=Limits(per_project=2, per_user=3))
    one, two = await bench.project(small_song()), await bench.project(small_song())
    spec = ExportMidi(kind="export-midi")
    first = await bench.runner.submit(one, bench.user.id, spec)
    await bench.runner.submit(one, bench.user.id, spec)
    with pytest.raises(JobLimitError, match="already has 2 unfinished jobs"):
        await bench.runner.submit(one, bench.user.id, spec)
    await bench.runner.submit(two, bench.user.id, spec)
    with pytest.raises(JobLimitError, match="you already have 3 unfinished jobs"):
        await bench.runner.submit(two, bench.user.id, spec)
    await bench.runner.cancel(first)  # a finished job frees its place
    await bench.runner.submit(one, bench.user.id, spec)


async def test_deleting_jobs_deletes_their_result_once_unshared(make_bench: MakeBench) -> None:
    bench = await make_bench()
    project = await bench.project(None)
    song = small_song(title="Logged")
    await bench.updates.append(project.id, encode_state(song_to_doc(song)), author_id=None)
    await bench.runner.start()
    spec = ExportMidi(kind="export-midi")
    async with asyncio.timeout(HANG_GUARD_S):
        a, _ = await finished(
            bench.runner, (await bench.runner.submit(project, bench.user.id, spec)).id
        )
        b, _ = await finished(
            bench.runner, (await bench.runner.submit(project, bench.user.id, spec)).id
        )
    assert a.result is not None
    assert b.result is not None
    assert a.result.blob == b.result.blob  # the same song exports to the same bytes
    await bench.runner.delete(a)
    assert bench.blobs.exists(b.result.blob)  # still b's result
    await bench.runner.delete(b)
    assert not bench.blobs.exists(b.result.blob)
    assert await bench.store.get(b.id) is None


async def test_a_result_equal_to_a_projects_seed_is_kept(make_bench: MakeBench) -> None:
    bench = await make_bench()
    project = await bench.project(small_song())  # the seed is this song's MIDI
    await bench.runner.start()
    job = await bench.runner.submit(project, bench.user.id, ExportMidi(kind="export-midi"))
    async with asyncio.timeout(HANG_GUARD_S):
        done, _ = await finished(bench.runner, job.id)
    assert done.result is not None
    assert done.result.blob == project.song_blob
    await bench.runner.delete(done)
    assert bench.blobs.exists(done.result.blob)  # still the project's song


async def test_stopping_leaves_a_running_job_for_the_next_start_to_explain(
    make_bench: MakeBench,
) -> None:
    first = await make_bench()
    project = await first.project(small_song(seconds=900.0, title="Long"))
    await first.runner.start()
    job = await first.runner.submit(project, first.user.id, Render(kind="render"))
    async with asyncio.timeout(HANG_GUARD_S):
        async for seen in first.runner.watch(job.id):
            if seen.state == "running":
                break
    await first.runner.stop()
    stored = await first.store.get(job.id)
    assert stored is not None
    assert stored.state == "running"
    second = await make_bench()
    assert await second.runner.start() == [job.id]
    assert (await second.runner.get(job.id)).error == RESTART_MESSAGE
