"""Where job work runs: a pool of worker processes on this machine.

:class:`WorkerPool` is the seam: the runner hands it a :class:`~bandmate.jobs.tasks.Task`
and awaits the :class:`~bandmate.jobs.tasks.Outcome`, receiving progress on the way, and
may cancel a task by its job id. :class:`LocalPool` runs tasks in ``spawn``-ed processes
(never forked from a server full of threads and sockets), one task per process at a
time, talking over a pipe::

    server -> worker   Task | None (stop)
    worker -> server   ("progress", fraction, message) ... then
                       ("done", Outcome) or ("error", message)

Cancelling kills the worker's process (rendering cannot be interrupted politely); the
pool starts a fresh one for the next task. A pool backed by a shared queue (Redis,
PostgreSQL) with workers on other machines would implement the same protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Protocol

from bandmate.errors import BandmateError
from bandmate.jobs.errors import JobCancelledError, JobFailedError
from bandmate.jobs.tasks import Outcome, Task, run_task

log = logging.getLogger(__name__)

OnProgress = Callable[[float, str], None]

PROGRESS_EVERY_S = 0.2
"""A worker sends progress at most this often (and whenever the message changes)."""


class WorkerPool(Protocol):
    """Runs tasks somewhere, reports their progress, and can cancel them."""

    @property
    def size(self) -> int:
        """How many tasks may run at once."""
        ...

    async def run(self, task: Task, on_progress: OnProgress) -> Outcome:
        """Run ``task`` to its end.

        Raises:
            JobFailedError: The work failed (the message says why).
            JobCancelledError: :meth:`cancel` stopped it.
        """
        ...

    async def cancel(self, job_id: str) -> bool:
        """Stop the task of ``job_id`` if it is running here; returns whether it was."""
        ...

    async def close(self) -> None:
        """Stop every worker."""
        ...


class _Reporter:
    """Sends a task's progress over the pipe, at most every :data:`PROGRESS_EVERY_S`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sent_at = 0.0
        self.message = ""

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if message != self.message or now - self.sent_at >= PROGRESS_EVERY_S or fraction >= 1.0:
            self.sent_at, self.message = now, message
            self.conn.send(("progress", float(fraction), str(message)))


def _worker_main(conn: Connection) -> None:
    """A worker process: run tasks from ``conn`` until told to stop."""
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            outcome = run_task(task, _Reporter(conn))
        except BandmateError as exc:
            conn.send(("error", str(exc)))
        except Exception as exc:
            traceback.print_exc()
            conn.send(("error", f"the job failed unexpectedly ({type(exc).__name__})"))
        else:
            conn.send(("done", outcome))


class _TaskError(JobFailedError):
    """The task failed and its worker said so (the worker itself is fine)."""


class _Worker:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        self.conn: Connection = ours
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(theirs,), name="bandmate-job-worker", daemon=True
        )
        self.process.start()
        theirs.close()  # only the child holds its end: its death ends our reads
        self.cancelled = False

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def join(self) -> None:
        self.process.join(timeout=5)
        self.conn.close()


class LocalPool:
    """Worker processes on this machine.

    Args:
        workers: How many tasks run at once (one process each), 1 or more. Processes start
            on demand and are kept for the next task.
    """

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers={workers} must be 1 or more")
        self._size = workers
        self._slots = asyncio.Semaphore(workers)
        self._idle: list[_Worker] = []
        self._busy: dict[str, _Worker] = {}
        self._waiting: dict[str, bool] = {}  # job id -> cancelled before a worker took it
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    async def run(self, task: Task, on_progress: OnProgress) -> Outcome:
        self._waiting[task.job_id] = False
        try:
            async with self._slots:
                if self._closed:
                    raise JobFailedError("the server is shutting down")
                worker = self._idle.pop() if self._idle else await asyncio.to_thread(_Worker)
                if self._waiting[task.job_id]:
                    self._idle.append(worker)
                    raise JobCancelledError("cancelled")
                del self._waiting[task.job_id]
                return await self._run_on(worker, task, on_progress)
        finally:
            self._waiting.pop(task.job_id, None)

    async def _run_on(self, worker: _Worker, task: Task, on_progress: OnProgress) -> Outcome:
        self._busy[task.job_id] = worker
        healthy = False
        try:
            outcome = await self._converse(worker, task, on_progress)
            healthy = True
            return outcome
        except _TaskError:
            healthy = True  # the work failed; the worker reported it and waits for more
            raise
        finally:
            del self._busy[task.job_id]
            if healthy and not self._closed:
                self._idle.append(worker)
            else:  # cancelled, crashed, or a failure that may have left it in a bad state
                worker.kill()
                await asyncio.to_thread(worker.join)

    async def _converse(self, worker: _Worker, task: Task, on_progress: OnProgress) -> Outcome:
        try:
            await asyncio.to_thread(worker.conn.send, task)
            while True:
                message = await asyncio.to_thread(worker.conn.recv)
                if message[0] == "progress":
                    on_progress(message[1], message[2])
                elif message[0] == "done":
                    outcome: Outcome = message[1]
                    return outcome
                else:
                    raise _TaskError(str(message[1]))
        except (EOFError, OSError, BrokenPipeError) as exc:
            if worker.cancelled:
                raise JobCancelledError("cancelled") from exc
            await asyncio.to_thread(worker.process.join, 5)
            code = worker.process.exitcode
            if code == -signal.SIGXCPU:
                raise JobFailedError("the job ran past its CPU-time limit") from exc
            raise JobFailedError(
                f"the worker process stopped unexpectedly (exit code {code})"
            ) from exc

    async def cancel(self, job_id: str) -> bool:
        if job_id in self._waiting:
            self._waiting[job_id] = True
            return True
        worker = self._busy.get(job_id)
        if worker is None:
            return False
        worker.cancelled = True
        worker.kill()
        return True

    async def close(self) -> None:
        self._closed = True
        for worker in list(self._busy.values()):
            worker.cancelled = True
            worker.kill()
        idle, self._idle = self._idle, []
        for worker in idle:
            with contextlib.suppress(OSError, BrokenPipeError):
                worker.conn.send(None)
        for worker in idle:
            await asyncio.to_thread(worker.join)
            worker.kill()
