"""Background jobs: renders, exports, mastering, releases and analyses, off the request path.

- :mod:`bandmate.jobs.specs`: each kind's checked parameters and the role it needs.
- :mod:`bandmate.jobs.tasks`: the work itself, plain functions run inside a worker.
- :mod:`bandmate.jobs.pool`: where the work runs (:class:`LocalPool`: worker processes).
- :mod:`bandmate.jobs.runner`: :class:`JobRunner` queues, dispatches, reports progress,
  cancels, stores results and recovers after a restart.

See ``docs/jobs.md`` for the HTTP API and the design.
"""

from __future__ import annotations

from bandmate.jobs.errors import (
    JobCancelledError,
    JobError,
    JobFailedError,
    JobLimitError,
    JobStateError,
)
from bandmate.jobs.pool import LocalPool, WorkerPool
from bandmate.jobs.runner import RESTART_MESSAGE, JobRunner, load_source
from bandmate.jobs.specs import KINDS, NEEDED_ROLE, JobKind, JobSpec, parse_spec
from bandmate.jobs.tasks import Outcome, SongSource, Task, load_song, run_task

__all__ = [
    "KINDS",
    "NEEDED_ROLE",
    "RESTART_MESSAGE",
    "JobCancelledError",
    "JobError",
    "JobFailedError",
    "JobKind",
    "JobLimitError",
    "JobRunner",
    "JobSpec",
    "JobStateError",
    "LocalPool",
    "Outcome",
    "SongSource",
    "Task",
    "WorkerPool",
    "load_song",
    "load_source",
    "parse_spec",
    "run_task",
]
