"""The job runner: queue, dispatch to the worker pool, progress, cancel, results, recovery.

One :class:`JobRunner` per server process. A job's life::

    submit -> queued --(a worker is free)--> running --> succeeded | failed
                 \\-------------- cancel --------------/--> cancelled

Jobs live in the database (:class:`~bandmate.store.jobs.JobStore`), so the list survives
restarts; a job that was *running* when the server stopped cannot be resumed (its worker
died with it) and is marked failed at the next start, with a message that says so.
Progress is kept in memory for watchers (:meth:`JobRunner.watch`) and written to the
database at most every :data:`PERSIST_EVERY_S`. Results go to the blob store; deleting a
job deletes its blob unless another job or a project still names the same bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from bandmate.errors import BandmateError
from bandmate.jobs.errors import JobCancelledError, JobFailedError, JobLimitError, JobStateError
from bandmate.jobs.pool import WorkerPool
from bandmate.jobs.specs import JobKind, spec_params
from bandmate.jobs.tasks import SongSource, Task
from bandmate.store.blobs import BlobStore
from bandmate.store.errors import NotFoundError
from bandmate.store.jobs import Job, JobResult, JobStore, Limits
from bandmate.store.records import Project
from bandmate.store.stems import StemStore
from bandmate.store.updates import UpdateLog

log = logging.getLogger(__name__)

RESTART_MESSAGE = (
    "the server stopped while this job was running, so it did not finish; start it again"
)
PERSIST_EVERY_S = 0.5
"""How often a running job's progress is written to the database, at most."""
POLL_S = 2.0
"""How often the dispatcher looks for queued jobs without being woken (jobs queued by
another server process on the same database)."""
WATCH_POLL_S = 1.0
"""How often a watcher re-reads the job from the database without being woken."""


async def load_source(updates: UpdateLog, blobs: BlobStore, project: Project) -> SongSource:
    """A project's song as stored now: latest snapshot plus the updates after it, else its
    MIDI seed, else nothing (an empty song named after the project)."""
    snapshot = await updates.latest_snapshot(project.id)
    after = snapshot.upto_seq if snapshot is not None else 0
    tail = await updates.read_since(project.id, after)
    states = ([snapshot.state] if snapshot is not None else []) + [u.data for u in tail]
    seed = None
    if not states and project.song_blob is not None:
        seed = await asyncio.to_thread(blobs.get, project.song_blob)
    return SongSource(title=project.name, updates=tuple(states), seed_midi=seed)


class JobRunner:
    """Runs a server's background jobs.

    Args:
        store: Where jobs are kept.
        updates: The song documents' update log (each job reads its project's song).
        blobs: Where results (and MIDI seeds) are kept.
        pool: Where the work runs.
        work_dir: A folder for the workers' temporary files (emptied at start).
        limits: How many unfinished jobs may pile up per project and per person.
    """

    def __init__(
        self,
        store: JobStore,
        *,
        updates: UpdateLog,
        blobs: BlobStore,
        pool: WorkerPool,
        work_dir: Path,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.limits = limits or Limits()
        self._updates = updates
        self._blobs = blobs
        self._pool = pool
        self._work_dir = work_dir
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._live: dict[str, tuple[float, str]] = {}
        self._persisted: dict[str, float] = {}
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._cancelled: set[str] = set()
        self._writes: set[asyncio.Task[None]] = set()

    # life cycle ---------------------------------------------------------------------------

    async def start(self) -> list[str]:
        """Fail the jobs a previous run left running, then start dispatching.

        Returns:
            The ids of the jobs marked failed.
        """
        orphans = await self.store.fail_running(RESTART_MESSAGE)
        for job_id in orphans:
            log.warning("job %s was running when the server stopped; marked failed", job_id)
        await asyncio.to_thread(shutil.rmtree, self._work_dir, True)
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="bandmate-jobs")
        self._wake.set()
        return orphans

    async def stop(self) -> None:
        """Stop dispatching and the workers. Jobs that were running stay marked running
        until the next :meth:`start` fails them with :data:`RESTART_MESSAGE`."""
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        # Cancel the runs before closing the pool: a run whose worker dies under it would
        # record the job as cancelled, where the next start records why it stopped.
        running = list(self._running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await self._pool.close()

    # requests -----------------------------------------------------------------------------

    async def submit(self, project: Project, requester_id: str, spec: object) -> Job:
        """Queue a job of ``spec`` (a checked spec from :mod:`bandmate.jobs.specs`).

        Raises:
            JobLimitError: When the project or the person has too many unfinished jobs.
        """
        kind: JobKind = getattr(spec, "kind")  # noqa: B009 - every spec has a literal kind
        params = spec_params(spec)  # type: ignore[arg-type]
        job = await self.store.create(project.id, requester_id, kind, params, limits=self.limits)
        if isinstance(job, Job):
            self._wake.set()
            return job
        if job == "project":
            raise JobLimitError(
                f"project {project.id!r} already has {self.limits.per_project} unfinished "
                "jobs; wait for one to finish or cancel one"
            )
        raise JobLimitError(
            f"you already have {self.limits.per_user} unfinished jobs; wait for one to "
            "finish or cancel one"
        )

    async def get(self, job_id: str) -> Job:
        """The job with its live progress.

        Raises:
            NotFoundError: When there is no such job.
        """
        job = await self.store.get(job_id)
        if job is None:
            raise NotFoundError(f"job_id={job_id[:40]!r} does not exist")
        return self._with_live(job)

    async def list_for_project(self, project_id: str) -> list[Job]:
        """A project's jobs, newest first, with live progress."""
        return [self._with_live(j) for j in await self.store.list_for_project(project_id)]

    async def cancel(self, job: Job, reason: str = "cancelled") -> Job:
        """Cancel an unfinished job (a running one's worker is stopped).

        Raises:
            JobStateError: When the job has already ended.
        """
        if not await self.store.cancel(job.id, reason):
            current = await self.get(job.id)
            raise JobStateError(f"job {job.id!r} has already ended ({current.state})")
        if job.id in self._running:
            self._cancelled.add(job.id)  # read by _execute before it hands the task over
        await self._pool.cancel(job.id)
        self._notify(job.id)
        return await self.get(job.id)

    async def delete(self, job: Job) -> None:
        """Delete a job (cancelling it first if unfinished) and its result if unshared."""
        if not job.finished:
            with contextlib.suppress(JobStateError):
                await self.cancel(job, "deleted")
        gone = await self.store.delete(job.id)
        self._notify(job.id)
        if gone is not None and gone.result is not None:
            await self.forget_blob(gone.result.blob)

    async def forget_blob(self, digest: str) -> None:
        """Delete a result blob unless a job or a project still names it."""
        if not await self.store.blob_in_use(digest):
            await asyncio.to_thread(self._blobs.delete, digest)

    async def project_leftovers(self, project_id: str) -> tuple[list[str], list[str]]:
        """What deleting a project leaves behind: its jobs' result blobs and unfinished job ids
        (read before the delete, whose cascade removes the rows; see :meth:`clean_up`)."""
        blobs = await self.store.result_blobs(project_id)
        jobs = await self.store.list_for_project(project_id, limit=10_000)
        return blobs, [j.id for j in jobs if not j.finished]

    async def clean_up(self, leftovers: tuple[list[str], list[str]]) -> None:
        """Stop the workers of a deleted project's jobs and delete its unshared results."""
        blobs, unfinished = leftovers
        for job_id in unfinished:
            if job_id in self._running:
                self._cancelled.add(job_id)
            await self._pool.cancel(job_id)
            self._notify(job_id)
        for digest in blobs:
            await self.forget_blob(digest)

    async def watch(self, job_id: str) -> AsyncIterator[Job]:
        """The job now, then again whenever it may have changed and at least every
        :data:`WATCH_POLL_S` seconds, until it has ended (the last one shows how).

        Raises:
            NotFoundError: When the job does not exist (or is deleted while watched).
        """
        event = asyncio.Event()
        self._watchers.setdefault(job_id, set()).add(event)
        try:
            while True:
                event.clear()
                job = await self.get(job_id)
                yield job
                if job.finished:
                    return
                await _wait(event, WATCH_POLL_S)
        finally:
            watchers = self._watchers.get(job_id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[job_id]

    # dispatching --------------------------------------------------------------------------

    def _with_live(self, job: Job) -> Job:
        live = self._live.get(job.id)
        if job.state != "running" or live is None:
            return job
        return replace(job, progress=live[0], message=live[1])

    def _notify(self, job_id: str) -> None:
        for event in self._watchers.get(job_id, ()):
            event.set()

    async def _dispatch(self) -> None:
        while True:
            await _wait(self._wake, POLL_S)
            self._wake.clear()
            try:
                while len(self._running) < self._pool.size:
                    job = await self.store.claim_next()
                    if job is None:
                        break
                    self._running[job.id] = asyncio.create_task(self._run(job))
            except Exception:
                log.exception("the job dispatcher could not claim a job; retrying")

    def _progress(self, job_id: str, fraction: float, message: str) -> None:
        self._live[job_id] = (min(max(fraction, 0.0), 1.0), message[:200])
        self._notify(job_id)
        now = time.monotonic()
        if now - self._persisted.get(job_id, 0.0) >= PERSIST_EVERY_S:
            self._persisted[job_id] = now
            task = asyncio.create_task(self._persist(job_id))
            self._writes.add(task)  # keep a reference until it is done
            task.add_done_callback(self._writes.discard)

    async def _persist(self, job_id: str) -> None:
        live = self._live.get(job_id)
        if live is not None:
            try:
                await self.store.set_progress(job_id, *live)
            except Exception:
                log.exception("progress of job %s was not saved", job_id)

    async def _run(self, job: Job) -> None:
        workdir = self._work_dir / job.id
        try:
            await self._execute(job, workdir)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s failed unexpectedly", job.id)
            await self.store.fail(job.id, "the job failed unexpectedly (see the server log)")
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)
            self._running.pop(job.id, None)
            self._live.pop(job.id, None)
            self._persisted.pop(job.id, None)
            self._cancelled.discard(job.id)
            self._notify(job.id)
            self._wake.set()

    async def _execute(self, job: Job, workdir: Path) -> None:
        try:
            project = await self._project(job)
            source = await load_source(self._updates, self._blobs, project)
            # A render reads the recordings of the song's audio clips: only this project's.
            stems = await StemStore(self.store.database).digests(project.id)
            source = replace(source, blob_dir=str(self._blobs.root), stems=tuple(stems))
        except BandmateError as exc:
            await self.store.fail(job.id, f"the song could not be read: {exc}")
            return
        if job.id in self._cancelled:
            return
        workdir.mkdir(parents=True, exist_ok=True)
        blob = job.params.get("blob") if job.kind == "analyze" else None
        audio = str(self._blobs.path_of(blob)) if isinstance(blob, str) else None
        task = Task(job.id, job.kind, job.params, source, str(workdir), audio)
        try:
            outcome = await self._pool.run(task, lambda f, m: self._progress(job.id, f, m))
        except JobCancelledError:
            await self.store.cancel(job.id)
            return
        except JobFailedError as exc:
            await self.store.fail(job.id, str(exc))
            return
        path = Path(outcome.path)
        digest = await asyncio.to_thread(lambda: self._blobs.put(path.read_bytes()))
        result = JobResult(digest, outcome.name, outcome.media_type, path.stat().st_size)
        if not await self.store.succeed(job.id, result, outcome.summary):
            await self.forget_blob(digest)  # cancelled or deleted meanwhile

    async def _project(self, job: Job) -> Project:
        project = await self.store.project(job.project_id)
        if project is None:
            raise NotFoundError(f"project {job.project_id!r} no longer exists")
        return project


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` pass, whichever is first.

    ``asyncio.timeout`` rather than ``asyncio.wait_for``: on Python 3.11, ``wait_for`` can
    swallow a cancellation that arrives just as the event is set, and a dispatcher that
    missed its cancellation would keep :meth:`JobRunner.stop` waiting forever.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
