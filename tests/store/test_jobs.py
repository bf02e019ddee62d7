"""The jobs table on SQLite and PostgreSQL: states move only forward, limits hold."""

from __future__ import annotations

import pytest

from bandmate.store import repos
from bandmate.store.engine import Database
from bandmate.store.jobs import JobResult, JobStore, Limits
from bandmate.store.records import Project, User
from bandmate.store.updates import utc_now

pytestmark = pytest.mark.anyio

LIMITS = Limits(per_project=3, per_user=4)


async def _owner_and_project(database: Database) -> tuple[User, Project]:
    async with database.transaction() as db:
        user = await repos.insert_user(db, username="ann", password_hash="x", now=utc_now())
        project = await repos.insert_project(db, name="P", owner_id=user.id, now=utc_now())
    return user, project


async def test_a_job_moves_from_queued_to_running_to_succeeded(database: Database) -> None:
    user, project = await _owner_and_project(database)
    store = JobStore(database)
    job = await store.create(project.id, user.id, "render", {"format": "wav"}, limits=LIMITS)
    assert not isinstance(job, str)
    assert (job.state, job.params) == ("queued", {"format": "wav"})
    claimed = await store.claim_next()
    assert claimed is not None
    assert (claimed.id, claimed.state) == (job.id, "running")
    assert claimed.started_at is not None
    assert await store.claim_next() is None
    await store.set_progress(job.id, 0.5, "Half way")
    assert (await store.get(job.id)) is not None
    result = JobResult("a" * 64, "Song.wav", "audio/wav", 123)
    assert await store.succeed(job.id, result, {"seconds": 1.5})
    done = await store.get(job.id)
    assert done is not None
    assert (done.state, done.progress, done.result, done.summary) == (
        "succeeded",
        1.0,
        result,
        {"seconds": 1.5},
    )
    assert not await store.cancel(job.id)  # an ended job stays ended
    assert not await store.fail(job.id, "late")
    assert await store.blob_in_use("a" * 64)
    assert await store.result_blobs(project.id) == ["a" * 64]


async def test_limits_count_only_unfinished_jobs(database: Database) -> None:
    user, project = await _owner_and_project(database)
    store = JobStore(database)
    made = [await store.create(project.id, user.id, "render", {}, limits=LIMITS) for _ in range(3)]
    assert await store.create(project.id, user.id, "render", {}, limits=LIMITS) == "project"
    first = made[0]
    assert not isinstance(first, str)
    assert await store.cancel(first.id, "no")
    again = await store.create(project.id, user.id, "render", {}, limits=LIMITS)
    assert not isinstance(again, str)


async def test_a_restart_fails_only_running_jobs(database: Database) -> None:
    user, project = await _owner_and_project(database)
    store = JobStore(database)
    running = await store.create(project.id, user.id, "render", {}, limits=LIMITS)
    queued = await store.create(project.id, user.id, "render", {}, limits=LIMITS)
    assert not isinstance(running, str)
    assert not isinstance(queued, str)
    await store.claim_next()
    assert await store.fail_running("server stopped") == [running.id]
    failed, waiting = await store.get(running.id), await store.get(queued.id)
    assert failed is not None
    assert waiting is not None
    assert (failed.state, failed.error) == ("failed", "server stopped")
    assert waiting.state == "queued"


async def test_deleting_a_project_deletes_its_jobs(database: Database) -> None:
    user, project = await _owner_and_project(database)
    store = JobStore(database)
    job = await store.create(project.id, user.id, "render", {}, limits=LIMITS)
    assert not isinstance(job, str)
    async with database.transaction() as db:
        await repos.delete_project(db, project.id)
    assert await store.get(job.id) is None
    assert await store.project(project.id) is None
