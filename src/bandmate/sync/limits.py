"""What one sync connection may send, and the token buckets that enforce it.

Every limit is per connection (per socket) except ``compact_every`` and
``close_grace_s``, which are per room. Defaults suit a browser studio: a person
dragging notes sends a few dozen small updates a second, a cursor some tens of
awareness messages a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from bandmate.errors import BandmateError


class SyncError(BandmateError):
    """Root of the sync session family: bad limits, or a connection that must close."""


class FloodError(SyncError):
    """A connection sent more messages or bytes per second than allowed."""


class EditDeniedError(SyncError):
    """A connection without edit rights sent an update that would change the document."""


class RoomLoadError(SyncError):
    """A room's document could not be rebuilt from its update log."""


class CloseCode(IntEnum):
    """WebSocket close codes of the sync endpoint (4xxx mirror the HTTP statuses)."""

    GOING_AWAY = 1001
    """The server is shutting down; reconnect."""
    UNSUPPORTED_DATA = 1003
    """A text frame: the protocol is binary."""
    TOO_BIG = 1009
    """A frame over the size cap."""
    INTERNAL = 1011
    """The server failed (the database, a room that would not load); reconnect later."""
    TRY_AGAIN_LATER = 1013
    """The connection fell too far behind on receiving; reconnect and sync again."""
    BAD_MESSAGE = 4400
    """A malformed frame, or an update or state vector that does not decode or apply."""
    NOT_SIGNED_IN = 4401
    """No valid session cookie."""
    FORBIDDEN = 4403
    """A viewer's edit, a removed member, or a foreign Origin."""
    NOT_FOUND = 4404
    """No such project, or not a member."""
    FLOOD = 4429
    """Too many messages or bytes per second."""


@dataclass(frozen=True, slots=True)
class SyncLimits:
    """Limits and pacing of the sync server.

    Attributes:
        max_message_bytes: Larger frames close the connection (1009).
        messages_per_s: Sustained frames per second per connection.
        message_burst: Frames a connection may send at once above that rate.
        bytes_per_s: Sustained bytes per second per connection.
        byte_burst: Bytes a connection may send at once above that rate; at least
            ``max_message_bytes`` so that one maximal frame always fits.
        awareness_per_s: Awareness frames relayed per second per connection; more are
            dropped, not refused (the next one carries the newest state anyway).
        awareness_burst: Awareness frames relayed at once above that rate.
        max_awareness_bytes: Larger awareness frames close the connection (1009).
        outbox_bytes: Bytes queued for a slow receiver before it is closed (1013).
        compact_every: Write a snapshot of the room after this many logged updates.
        close_grace_s: Seconds a room stays open after its last member left.
    """

    max_message_bytes: int = 1 << 20
    messages_per_s: float = 100.0
    message_burst: float = 300.0
    bytes_per_s: float = 2.0 * (1 << 20)
    byte_burst: float = 4.0 * (1 << 20)
    awareness_per_s: float = 30.0
    awareness_burst: float = 60.0
    max_awareness_bytes: int = 64 << 10
    outbox_bytes: int = 32 << 20
    compact_every: int = 500
    close_grace_s: float = 5.0

    def __post_init__(self) -> None:
        for name in ("max_message_bytes", "max_awareness_bytes", "outbox_bytes", "compact_every"):
            if getattr(self, name) < 1:
                raise SyncError(f"{name}={getattr(self, name)} must be at least 1")
        for name in ("messages_per_s", "bytes_per_s", "awareness_per_s"):
            if not getattr(self, name) > 0:
                raise SyncError(f"{name}={getattr(self, name)} must be positive")
        if self.byte_burst < self.max_message_bytes:
            raise SyncError(
                f"byte_burst={self.byte_burst} must be at least "
                f"max_message_bytes={self.max_message_bytes}"
            )
        for name in ("message_burst", "awareness_burst"):
            if getattr(self, name) < 1:
                raise SyncError(f"{name}={getattr(self, name)} must be at least 1")
        if self.close_grace_s < 0:
            raise SyncError(f"close_grace_s={self.close_grace_s} must not be negative")


class TokenBucket:
    """A token bucket: ``rate`` tokens a second, holding at most ``burst``.

    Args:
        rate: Tokens added per second.
        burst: The bucket's size (it starts full).
        clock: Seconds from any fixed point (monotonic); injectable for tests.
    """

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self, amount: float = 1.0, now: float | None = None) -> bool:
        """Take ``amount`` tokens if the bucket holds them; whether it did. ``now`` is the
        clock's time, when the caller read it already."""
        if now is None:
            now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < amount:
            return False
        self._tokens -= amount
        return True


class FloodGate:
    """The per-connection message and byte buckets, and the awareness bucket."""

    __slots__ = ("_awareness", "_bytes", "_clock", "_limits", "_messages")

    def __init__(self, limits: SyncLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._messages = TokenBucket(limits.messages_per_s, limits.message_burst, clock=clock)
        self._bytes = TokenBucket(limits.bytes_per_s, limits.byte_burst, clock=clock)
        self._awareness = TokenBucket(limits.awareness_per_s, limits.awareness_burst, clock=clock)
        self._limits = limits
        self._clock = clock

    def admit(self, size: int) -> None:
        """Count one frame of ``size`` bytes.

        Raises:
            FloodError: The connection exceeded its message or byte rate.
        """
        now = self._clock()
        if not self._messages.take(1.0, now):
            raise FloodError(
                f"more than {self._limits.messages_per_s:g} messages/s "
                f"(burst {self._limits.message_burst:g})"
            )
        if not self._bytes.take(float(size), now):
            raise FloodError(
                f"more than {self._limits.bytes_per_s:g} bytes/s "
                f"(burst {self._limits.byte_burst:g})"
            )

    def admit_awareness(self) -> bool:
        """Whether one more awareness frame may be relayed now."""
        return self._awareness.take(1.0)
