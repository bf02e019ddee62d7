"""Errors of background jobs: limits, states, and what went wrong inside a worker."""

from __future__ import annotations

from typing import ClassVar

from bandmate.errors import BandmateError


class JobError(BandmateError):
    """Root of the jobs family."""

    code: ClassVar[str] = "job_error"


class JobLimitError(JobError):
    """Too many unfinished jobs in a project, or asked for by one person.

    Attributes:
        retry_after: Seconds after which trying again is sensible.
    """

    code: ClassVar[str] = "too_many_jobs"

    def __init__(self, message: str, *, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobStateError(JobError):
    """The job is not in a state that allows this (cancel a finished job, fetch an unfinished
    job's result)."""

    code: ClassVar[str] = "job_state"


class JobFailedError(JobError):
    """The work itself failed; the message says why, in the user's terms."""

    code: ClassVar[str] = "job_failed"


class JobCancelledError(JobError):
    """The job was cancelled while a worker ran it."""

    code: ClassVar[str] = "job_cancelled"
