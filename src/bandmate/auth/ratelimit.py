"""Sliding-window limits on failed attempts (sign-in per username and per address).

:class:`RateLimiter` is the port; :class:`MemoryRateLimiter` keeps the window in
this process. A Redis-backed limiter (a sorted set per key) can replace it when
several server processes share the load.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class RateLimiter(Protocol):
    """Counts failures per key within a sliding window of time."""

    async def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or ``None`` when it is not limited."""
        ...

    async def record_failure(self, key: str) -> None:
        """Count one failure for ``key`` now."""
        ...

    async def reset(self, key: str) -> None:
        """Forget ``key``'s failures (after a success)."""
        ...


class MemoryRateLimiter:
    """A :class:`RateLimiter` in memory: at most ``limit`` failures per ``window_s`` seconds.

    Memory stays bounded: each key keeps at most ``limit`` timestamps, and when
    more than ``max_keys`` keys are tracked, keys with no failure in the window
    are dropped, then the least recently touched ones.

    Args:
        limit: Failures allowed within the window; the next attempt is refused.
        window_s: The window's length in seconds.
        clock: Monotonic seconds (injectable for tests).
        max_keys: How many keys to track at most.
    """

    def __init__(
        self,
        *,
        limit: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(f"limit={limit} must be >= 1 and window_s={window_s} > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def _live(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    async def retry_after(self, key: str) -> float | None:
        now = self._clock()
        hits = self._live(key, now)
        if hits is None or len(hits) < self.limit:
            return None
        return max(hits[0] + self.window_s - now, 0.0)

    async def record_failure(self, key: str) -> None:
        now = self._clock()
        hits = self._live(key, now)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._evict(now)
            hits = self._hits[key] = deque(maxlen=self.limit)
        else:
            # Re-insert so that dict order runs from least to most recently touched.
            del self._hits[key]
            self._hits[key] = hits
        hits.append(now)

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _evict(self, now: float) -> None:
        for key in list(self._hits):
            self._live(key, now)
        while len(self._hits) >= self._max_keys:
            del self._hits[next(iter(self._hits))]
