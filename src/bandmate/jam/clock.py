"""A client's estimate of the server clock: NTP-style exchanges and a min-delay filter.

One exchange: the client sends its clock ``t0``; the server stamps ``t1`` when the ping
arrives and ``t2`` when the pong leaves; the client reads ``t3`` when the pong arrives
(all in milliseconds). Then::

    offset = ((t1 - t0) + (t2 - t3)) / 2     # server clock minus client clock
    delay  = (t3 - t0) - (t2 - t1)           # the round trip, server time excluded

``offset`` is exact when the two legs take equally long; its error is half the legs'
difference, at most half the delay. So :class:`ClockFilter` keeps a sliding window of
exchanges and trusts the ones with the lowest delay (queues empty both ways: the legs
nearly equal), as NTP's clock filter does: the estimate is the median offset of the
lowest-delay quarter of the window. Each new exchange re-estimates it, so the estimate
follows a drifting clock. The TypeScript twin is ``web/src/jam/clock.ts``.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

from bandmate.jam.errors import JamError

MAX_DELAY_MS = 60_000.0
"""An exchange slower than a minute says nothing useful about the clock."""


@dataclass(frozen=True, slots=True)
class ClockSample:
    """One exchange's four timestamps, in milliseconds.

    Attributes:
        t0: Client clock when the ping left.
        t1: Server clock when the ping arrived.
        t2: Server clock when the pong left.
        t3: Client clock when the pong arrived.
    """

    t0: float
    t1: float
    t2: float
    t3: float

    def __post_init__(self) -> None:
        for name in ("t0", "t1", "t2", "t3"):
            if not math.isfinite(getattr(self, name)):
                raise JamError(f"{name}={getattr(self, name)!r} must be a finite number")
        if self.t3 < self.t0:
            raise JamError(f"t3={self.t3} must not be before t0={self.t0} (client clock)")
        if self.t2 < self.t1:
            raise JamError(f"t2={self.t2} must not be before t1={self.t1} (server clock)")
        if self.delay > MAX_DELAY_MS:
            raise JamError(f"delay={self.delay:.0f} ms must be at most {MAX_DELAY_MS:.0f} ms")

    @property
    def offset(self) -> float:
        """Server clock minus client clock (ms), if both legs took equally long."""
        return ((self.t1 - self.t0) + (self.t2 - self.t3)) / 2.0

    @property
    def delay(self) -> float:
        """The round trip without the server's own time (ms); never negative."""
        return max(0.0, (self.t3 - self.t0) - (self.t2 - self.t1))


@dataclass(frozen=True, slots=True)
class ClockEstimate:
    """What the filter makes of its window.

    Attributes:
        offset_ms: Server clock minus client clock; ``server = client + offset_ms``.
        rtt_ms: The median round trip of the window (what a player lives with).
        min_rtt_ms: The lowest round trip of the window (the path's floor).
        jitter_ms: Mean absolute deviation of the window's round trips from their median.
        error_ms: A bound on the offset's error: half the largest delay among the samples
            the offset was taken from.
        samples: Exchanges in the window.
    """

    offset_ms: float
    rtt_ms: float
    min_rtt_ms: float
    jitter_ms: float
    error_ms: float
    samples: int


class ClockFilter:
    """A sliding window of exchanges and the estimate drawn from its lowest-delay part.

    Args:
        window: Exchanges kept (the oldest is dropped first).
        keep: Fraction of the window, by lowest delay, the offset is taken from.
    """

    def __init__(self, *, window: int = 32, keep: float = 0.25) -> None:
        if window < 1:
            raise JamError(f"window={window} must be at least 1")
        if not 0.0 < keep <= 1.0:
            raise JamError(f"keep={keep} must be in (0, 1]")
        self.window = window
        self.keep = keep
        self._samples: deque[ClockSample] = deque(maxlen=window)
        self._estimate: ClockEstimate | None = None

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def estimate(self) -> ClockEstimate | None:
        """The latest estimate (``None`` before the first exchange)."""
        return self._estimate

    def reset(self) -> None:
        """Forget every exchange (after a reconnect or a step of the local clock)."""
        self._samples.clear()
        self._estimate = None

    def add(self, sample: ClockSample) -> ClockEstimate:
        """Add one exchange and re-estimate."""
        self._samples.append(sample)
        self._estimate = estimate_clock(list(self._samples), keep=self.keep)
        return self._estimate


def estimate_clock(samples: list[ClockSample], *, keep: float = 0.25) -> ClockEstimate:
    """The estimate from ``samples``: the median offset of the lowest-delay ``keep`` of them.

    Raises:
        JamError: ``samples`` is empty.
    """
    if not samples:
        raise JamError("samples must not be empty")
    by_delay = sorted(samples, key=lambda s: s.delay)
    best = by_delay[: max(1, math.ceil(keep * len(by_delay)))]
    delays = [s.delay for s in samples]
    rtt = statistics.median(delays)
    return ClockEstimate(
        offset_ms=statistics.median(s.offset for s in best),
        rtt_ms=rtt,
        min_rtt_ms=by_delay[0].delay,
        jitter_ms=statistics.fmean(abs(d - rtt) for d in delays),
        error_ms=best[-1].delay / 2.0,
        samples=len(samples),
    )
