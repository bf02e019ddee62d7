"""The local worker pool on its own: crashes, cancels before and during a task, reuse."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bandmate.formats.midi import write_midi
from bandmate.jobs.errors import JobCancelledError, JobFailedError
from bandmate.jobs.pool import LocalPool
from bandmate.jobs.tasks import SongSource, Task

from .conftest import small_song

pytestmark = pytest.mark.anyio

HANG_GUARD_S = 240


@pytest.fixture
async def pool() -> AsyncIterator[LocalPool]:
    pool = LocalPool(1)
    yield pool
    await pool.close()


def _task(job_id: str, seconds: float, work: Path) -> Task:
    folder = work / job_id
    folder.mkdir()
    source = SongSource("P", seed_midi=write_midi(small_song(seconds=seconds)))
    return Task(job_id, "render", {"format": "wav"}, source, str(folder))


async def _started(pool: LocalPool, task: Task) -> asyncio.Task[object]:
    rendering = asyncio.Event()

    def progress(_fraction: float, message: str) -> None:
        if message.startswith("Rendering"):
            rendering.set()

    run: asyncio.Task[object] = asyncio.create_task(pool.run(task, progress))
    await rendering.wait()
    return run


async def test_a_worker_that_dies_fails_its_task_and_is_replaced(
    pool: LocalPool, tmp_path: Path
) -> None:
    async with asyncio.timeout(HANG_GUARD_S):
        run = await _started(pool, _task("long", 900, tmp_path))
        worker = pool._busy["long"]  # the test plays the kernel's OOM killer
        assert worker.process.pid is not None
        os.kill(worker.process.pid, signal.SIGKILL)
        with pytest.raises(JobFailedError, match=r"stopped unexpectedly \(exit code -9\)"):
            await run
        outcome = await pool.run(_task("next", 1, tmp_path), lambda f, m: None)
    assert Path(outcome.path).read_bytes()[:4] == b"RIFF"


async def test_cancel_stops_a_running_task_and_one_still_waiting(
    pool: LocalPool, tmp_path: Path
) -> None:
    async with asyncio.timeout(HANG_GUARD_S):
        running = await _started(pool, _task("running", 900, tmp_path))
        waiting = asyncio.create_task(pool.run(_task("waiting", 1, tmp_path), lambda f, m: None))
        await asyncio.sleep(0)  # let it queue for the only worker
        assert await pool.cancel("waiting")
        assert await pool.cancel("running")
        assert not await pool.cancel("unknown")
        with pytest.raises(JobCancelledError):
            await running
        with pytest.raises(JobCancelledError):
            await waiting
        outcome = await pool.run(_task("after", 1, tmp_path), lambda f, m: None)
    assert outcome.media_type == "audio/wav"


async def test_a_failing_task_keeps_its_worker(pool: LocalPool, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    empty = Task("empty", "render", {}, SongSource("Nothing"), str(folder))
    async with asyncio.timeout(HANG_GUARD_S):
        with pytest.raises(JobFailedError, match="nothing to render"):
            await pool.run(empty, lambda f, m: None)
        assert len(pool._idle) == 1
        first = pool._idle[0]
        await pool.run(_task("fine", 1, tmp_path), lambda f, m: None)
    assert pool._idle == [first]
