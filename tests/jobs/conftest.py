"""Fixtures for the job runner: a migrated SQLite database, a project with a song, a runner."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bandmate.formats.midi import write_midi
from bandmate.jobs.pool import LocalPool
from bandmate.jobs.runner import JobRunner
from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.store import repos
from bandmate.store.blobs import BlobStore
from bandmate.store.engine import Database, sqlite_url
from bandmate.store.jobs import Job, JobStore, Limits
from bandmate.store.migrate import upgrade
from bandmate.store.records import Project, User
from bandmate.store.updates import SqlUpdateLog, utc_now

PPQ = 480


def small_song(*, seconds: float = 2.0, title: str = "Small") -> Song:
    """Quarter notes of a C major arpeggio at 120 bpm (0.5 s each) for ``seconds``."""
    count = max(1, round(seconds * 2))
    pitches = (60, 64, 67, 72)
    notes = tuple(Note(pitches[i % 4], i * PPQ, PPQ - 20, 100) for i in range(count))
    return Song(title=title, ppq=PPQ, tracks=(Track("Piano", Instrument(), notes),))


@dataclass
class Bench:
    """A database with a user, the stores and a runner (not started)."""

    database: Database
    store: JobStore
    blobs: BlobStore
    updates: SqlUpdateLog
    runner: JobRunner
    user: User

    async def project(self, song: Song | None = None, name: str = "Song") -> Project:
        """A project owned by the user, seeded with ``song`` as MIDI when given."""
        digest = self.blobs.put(write_midi(song)) if song is not None else None
        async with self.database.transaction() as db:
            return await repos.insert_project(
                db, name=name, owner_id=self.user.id, now=utc_now(), song_blob=digest
            )


MakeBench = Callable[..., Awaitable[Bench]]


@pytest.fixture
async def make_bench(tmp_path: Path) -> AsyncIterator[MakeBench]:
    """``await make_bench(workers=1, limits=Limits())`` builds a :class:`Bench`; its runner
    is stopped and its database closed after the test."""
    made: list[Bench] = []

    async def make(*, workers: int = 1, limits: Limits | None = None) -> Bench:
        database = Database(sqlite_url(tmp_path / "jobs.db"))
        await upgrade(database)
        async with database.transaction() as db:
            existing = await repos.find_credentials(db, "alice")
            user = (
                existing[0]
                if existing is not None
                else await repos.insert_user(db, username="alice", password_hash="x", now=utc_now())
            )
        store = JobStore(database)
        blobs = BlobStore(tmp_path / "blobs")
        updates = SqlUpdateLog(database)
        runner = JobRunner(
            store,
            updates=updates,
            blobs=blobs,
            pool=LocalPool(workers),
            work_dir=tmp_path / "work",
            limits=limits,
        )
        bench = Bench(database, store, blobs, updates, runner, user)
        made.append(bench)
        return bench

    yield make
    for bench in made:
        await bench.runner.stop()
        await bench.database.close()


async def finished(runner: JobRunner, job_id: str) -> tuple[Job, list[Job]]:
    """Watch a job to its end; returns the last state and every state seen."""
    seen = [job async for job in runner.watch(job_id)]
    return seen[-1], seen
