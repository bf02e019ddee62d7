"""Progress reporting for long mastering and release jobs.

A job calls ``progress(fraction, message)`` with a fraction of the whole job in 0.0..1.0
that never decreases, and a short human-readable message. A background job can store it,
a command line can draw a bar from it; raising from it cancels the work.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[float, str], object]
"""Called as ``progress(fraction, message)``; raise from it to cancel the job."""


class Stages:
    """Maps the progress of one stage of a job onto the job's overall 0..1 scale.

    Args:
        progress: The job's callback, or ``None`` to report nothing.
        start: Where this job's part begins on the caller's scale (for nested jobs).
        stop: Where it ends.
    """

    def __init__(
        self, progress: ProgressCallback | None, *, start: float = 0.0, stop: float = 1.0
    ) -> None:
        self._progress = progress
        self._start = start
        self._span = stop - start
        self._last = start

    def report(self, fraction: float, message: str) -> None:
        """Report ``fraction`` (0..1) of this job as done, with a message."""
        if self._progress is None:
            return
        value = self._start + self._span * min(max(fraction, 0.0), 1.0)
        self._last = max(self._last, value)
        self._progress(self._last, message)

    def nested(self, start: float, stop: float) -> Stages:
        """Return stages for a sub-job that covers ``start..stop`` of this job."""
        return Stages(
            self._progress,
            start=self._start + self._span * start,
            stop=self._start + self._span * stop,
        )
