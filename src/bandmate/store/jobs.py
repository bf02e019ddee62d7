"""Background jobs in the ``jobs`` table: what was asked, how far it got, what it produced.

:class:`JobStore` is the storage half of :mod:`bandmate.jobs` (the runner is the other):
every state change is one short transaction, and the transitions that can race (claiming
a queued job, cancelling one, finishing one) are conditional ``UPDATE``\\ s on the state,
so that two of them never both win. Records handed out are frozen :class:`Job`\\ s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bandmate.store.engine import Database
from bandmate.store.loops import LoopAudioRow, LoopUploadRow
from bandmate.store.models import JobRow, ProjectRow
from bandmate.store.records import Project, new_id
from bandmate.store.stems import StemRow
from bandmate.store.updates import utc_now

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATES: tuple[JobState, ...] = get_args(JobState)
UNFINISHED: tuple[JobState, ...] = ("queued", "running")
FINISHED: tuple[JobState, ...] = ("succeeded", "failed", "cancelled")
MESSAGE_MAX = 200
"""Longest progress message kept, in characters."""
ERROR_MAX = 2000
"""Longest error text kept, in characters."""


@dataclass(frozen=True, slots=True)
class JobResult:
    """A finished job's file: a blob, and how a download presents it."""

    blob: str
    name: str
    media_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Job:
    """One background job as stored.

    Attributes:
        id: 32 hex digits.
        project_id: The project whose song it works on.
        requester_id: Who asked for it (``None`` once their account is gone).
        kind: What it does (``"render"``, ``"export-midi"``, ...).
        params: The checked parameters of its kind, as JSON values.
        state: ``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``.
        progress: 0.0..1.0.
        message: What it is doing now (or did last).
        error: Why it failed or was cancelled.
        result: Its file, once it succeeded.
        summary: Numbers about the result (length, loudness ...), as JSON values.
        created_at: When it was asked for.
        started_at: When a worker took it.
        finished_at: When it ended.
    """

    id: str
    project_id: str
    requester_id: str | None
    kind: str
    params: dict[str, Any]
    state: JobState
    progress: float
    message: str
    error: str | None
    result: JobResult | None
    summary: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        """Whether the job has ended (succeeded, failed or cancelled)."""
        return self.state in FINISHED


def _state(value: str) -> JobState:
    for state in JOB_STATES:
        if value == state:
            return state
    raise ValueError(f"state={value!r} is not a job state")


def _record(row: JobRow) -> Job:
    result = None
    if row.result_blob is not None:
        result = JobResult(
            row.result_blob,
            row.result_name or "result",
            row.result_type or "application/octet-stream",
            row.result_size or 0,
        )
    return Job(
        id=row.id,
        project_id=row.project_id,
        requester_id=row.requester_id,
        kind=row.kind,
        params=json.loads(row.params),
        state=_state(row.state),
        progress=row.progress,
        message=row.message,
        error=row.error,
        result=result,
        summary=json.loads(row.summary) if row.summary is not None else None,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """How many unfinished (queued or running) jobs may pile up.

    Attributes:
        per_project: Unfinished jobs allowed in one project.
        per_user: Unfinished jobs one person may have asked for, over all projects.
    """

    per_project: int = 4
    per_user: int = 8


class JobStore:
    """Jobs in the database.

    Args:
        database: SQLite or PostgreSQL.
        clock: The current UTC time (injectable for tests).
    """

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    @property
    def database(self) -> Database:
        """The database the jobs are in (the runner reads a project's stems from it too)."""
        return self._db

    async def create(
        self,
        project_id: str,
        requester_id: str,
        kind: str,
        params: Mapping[str, Any],
        *,
        limits: Limits,
    ) -> Job | Literal["project", "user"]:
        """Queue a new job unless a limit is reached.

        The count and the insert share one transaction, with the project's row locked
        (``BEGIN IMMEDIATE`` on SQLite), so two requests cannot both take the last place.

        Returns:
            The queued job, or which limit (``"project"`` or ``"user"``) it would break.
        """
        now = self._clock()
        async with self._db.transaction() as db:
            await db.execute(
                select(ProjectRow.id).where(ProjectRow.id == project_id).with_for_update()
            )
            in_project = await _count(db, JobRow.project_id == project_id)
            if in_project >= limits.per_project:
                return "project"
            by_user = await _count(db, JobRow.requester_id == requester_id)
            if by_user >= limits.per_user:
                return "user"
            row = JobRow(
                id=new_id(),
                project_id=project_id,
                requester_id=requester_id,
                kind=kind,
                params=json.dumps(dict(params), sort_keys=True),
                state="queued",
                progress=0.0,
                message="Waiting for a worker",
                created_at=now,
            )
            db.add(row)
            await db.flush()
            return _record(row)

    async def get(self, job_id: str) -> Job | None:
        """The job, or ``None``."""
        async with self._db.transaction() as db:
            row = await db.get(JobRow, job_id)
            return None if row is None else _record(row)

    async def list_for_project(self, project_id: str, *, limit: int = 50) -> list[Job]:
        """A project's jobs, newest first."""
        query = (
            select(JobRow)
            .where(JobRow.project_id == project_id)
            .order_by(JobRow.created_at.desc(), JobRow.id)
            .limit(limit)
        )
        async with self._db.transaction() as db:
            return [_record(r) for r in (await db.execute(query)).scalars()]

    async def claim_next(self) -> Job | None:
        """Mark the oldest queued job running and return it (``None`` when none waits)."""
        now = self._clock()
        async with self._db.transaction() as db:
            while True:
                job_id = (
                    await db.execute(
                        select(JobRow.id)
                        .where(JobRow.state == "queued")
                        .order_by(JobRow.created_at, JobRow.id)
                        .limit(1)
                    )
                ).scalar()
                if job_id is None:
                    return None
                claimed = await db.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.state == "queued")
                    .values(state="running", started_at=now, progress=0.0, message="Starting")
                    .returning(JobRow.id)
                )
                if claimed.scalar() is not None:
                    row = await db.get(JobRow, job_id, populate_existing=True)
                    assert row is not None
                    return _record(row)

    async def set_progress(self, job_id: str, progress: float, message: str) -> None:
        """Record a running job's progress (ignored once it has ended)."""
        async with self._db.transaction() as db:
            await db.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state == "running")
                .values(progress=min(max(progress, 0.0), 1.0), message=message[:MESSAGE_MAX])
            )

    async def succeed(
        self, job_id: str, result: JobResult, summary: Mapping[str, Any] | None
    ) -> bool:
        """Mark a running job succeeded with its result; ``False`` if it was not running."""
        values: dict[str, Any] = {
            "state": "succeeded",
            "progress": 1.0,
            "message": "Done",
            "result_blob": result.blob,
            "result_name": result.name[:200],
            "result_type": result.media_type[:100],
            "result_size": result.size,
            "summary": None if summary is None else json.dumps(dict(summary), sort_keys=True),
        }
        return await self._end(job_id, ("running",), values)

    async def fail(self, job_id: str, error: str) -> bool:
        """Mark an unfinished job failed; ``False`` if it had already ended."""
        values = {"state": "failed", "message": "Failed", "error": error[:ERROR_MAX]}
        return await self._end(job_id, UNFINISHED, values)

    async def cancel(self, job_id: str, reason: str = "cancelled") -> bool:
        """Mark an unfinished job cancelled; ``False`` if it had already ended."""
        values = {"state": "cancelled", "message": "Cancelled", "error": reason[:ERROR_MAX]}
        return await self._end(job_id, UNFINISHED, values)

    async def _end(self, job_id: str, states: tuple[JobState, ...], values: dict[str, Any]) -> bool:
        async with self._db.transaction() as db:
            ended = await db.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state.in_(states))
                .values(**values, finished_at=self._clock())
                .returning(JobRow.id)
            )
            return ended.scalar() is not None

    async def fail_running(self, error: str) -> list[str]:
        """Mark every running job failed (a restart found them orphaned); returns their ids."""
        async with self._db.transaction() as db:
            ended = await db.execute(
                update(JobRow)
                .where(JobRow.state == "running")
                .values(
                    state="failed",
                    message="Failed",
                    error=error[:ERROR_MAX],
                    finished_at=self._clock(),
                )
                .returning(JobRow.id)
            )
            return list(ended.scalars())

    async def delete(self, job_id: str) -> Job | None:
        """Delete a job's row; returns it as it was (``None`` if it did not exist)."""
        async with self._db.transaction() as db:
            row = await db.get(JobRow, job_id)
            if row is None:
                return None
            job = _record(row)
            await db.execute(delete(JobRow).where(JobRow.id == job_id))
            return job

    async def blob_in_use(self, digest: str) -> bool:
        """Whether any job's result, project's song or stem still names the blob ``digest``."""
        async with self._db.transaction() as db:
            used = await db.execute(select(JobRow.id).where(JobRow.result_blob == digest).limit(1))
            if used.scalar() is not None:
                return True
            stem = await db.execute(select(StemRow.id).where(StemRow.digest == digest).limit(1))
            if stem.scalar() is not None:
                return True
            for column in (LoopUploadRow.blob, LoopAudioRow.blob):  # uploaded, rendered loops
                loop = await db.execute(select(column).where(column == digest).limit(1))
                if loop.scalar() is not None:
                    return True
            song = await db.execute(
                select(ProjectRow.id).where(ProjectRow.song_blob == digest).limit(1)
            )
            return song.scalar() is not None

    async def project(self, project_id: str) -> Project | None:
        """The project a job works on, or ``None`` once it is deleted."""
        async with self._db.transaction() as db:
            row = await db.get(ProjectRow, project_id)
            if row is None:
                return None
            return Project(row.id, row.name, row.created_at, row.updated_at, row.song_blob)

    async def result_blobs(self, project_id: str) -> list[str]:
        """The result blobs of a project's jobs (to clean up before deleting the project)."""
        async with self._db.transaction() as db:
            rows = await db.execute(
                select(JobRow.result_blob)
                .where(JobRow.project_id == project_id, JobRow.result_blob.is_not(None))
                .distinct()
            )
            return [digest for digest in rows.scalars() if digest is not None]


async def _count(db: AsyncSession, who: Any) -> int:
    query = (
        select(func.count())
        .select_from(JobRow)
        .where(and_(who, or_(JobRow.state == "queued", JobRow.state == "running")))
    )
    return int((await db.execute(query)).scalar() or 0)
