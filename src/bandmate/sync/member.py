"""One connection's side of a room: who it is, what it may do, and what waits to be sent.

The room never writes to a socket. It puts frames in the member's :class:`Outbox`: an
outbox with a :class:`Sink` attached (the server's lean connection) writes each frame
through it at once while the sink takes them and queues the rest until the sink drains;
without one, the connection's sender (``bandmate.server.routes_sync``) drains it. Either
way one slow receiver never holds up a broadcast. An outbox that grows past its byte cap
closes its connection (1013): the client reconnects and catches up with a sync step instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bandmate.sync.limits import CloseCode, FloodGate, SyncLimits
from bandmate.sync.protocol import Ack, Message, PermissionDenied, encode_message


@dataclass(frozen=True, slots=True)
class Close:
    """The last item of an outbox: close the connection with ``code`` and ``reason``."""

    code: int
    reason: str


class Sink(Protocol):
    """Where an outbox writes its frames straight away (a WebSocket connection)."""

    @property
    def writable(self) -> bool:
        """Whether a frame written now goes out without piling up."""

    def write(self, data: bytes) -> None:
        """Send ``data`` as one binary message."""

    def close(self, code: int, reason: str) -> None:
        """Send the close (after every frame written before it)."""


class Outbox:
    """Frames waiting to be sent, at most ``max_bytes`` of them, then perhaps a close.

    An idle connection holds thousands of these, so an outbox keeps nothing it does not
    need: its queue exists only while it holds frames, and its sender waits on a bare
    future made for the wait.
    """

    __slots__ = ("_close", "_frames", "_sink", "_size", "_waiter", "max_bytes")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._frames: deque[bytes] | None = None
        self._size = 0
        self._close: Close | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._sink: Sink | None = None

    def attach(self, sink: Sink) -> None:
        """Write through ``sink`` from now on (what is queued first): :meth:`next` is then
        not used, and the sink calls :meth:`flush` whenever it drains."""
        self._sink = sink
        self.flush()

    def flush(self) -> None:
        """Write queued frames, then the close once they went, while the sink takes them."""
        sink = self._sink
        if sink is None:
            return
        frames = self._frames
        while frames and sink.writable:
            data = frames.popleft()
            self._size -= len(data)
            sink.write(data)
        if not frames:
            self._frames = None
            if self._close is not None:
                sink.close(self._close.code, self._close.reason)

    @property
    def closing(self) -> Close | None:
        """The close waiting to be sent, once :meth:`close` was called."""
        return self._close

    def push(self, data: bytes) -> bool:
        """Queue ``data``; ``False`` when it would exceed the cap (nothing is queued).

        Frames pushed after :meth:`close` are dropped (and count as queued).
        """
        if self._close is not None:
            return True
        sink = self._sink
        if sink is not None and self._frames is None and sink.writable:
            sink.write(data)
            return True
        if self._size + len(data) > self.max_bytes:
            return False
        if self._frames is None:
            self._frames = deque()
        self._frames.append(data)
        self._size += len(data)
        self._wake()
        return True

    def close(self, code: int, reason: str, *, last: bytes | None = None) -> None:
        """Drop what is queued, queue ``last`` (if any), then the close. Only the first counts."""
        if self._close is not None:
            return
        self._frames = None if last is None else deque((last,))
        self._size = 0 if last is None else len(last)
        # A close frame's reason holds at most 123 bytes of UTF-8.
        self._close = Close(code, reason.encode()[:123].decode("utf-8", "ignore"))
        if self._sink is not None:
            # The frames dropped were never going to reach a receiver this far behind; the
            # last frame and the close go now, and the sink gives up on them in time.
            frames, self._frames, self._size = self._frames, None, 0
            for frame in frames or ():
                self._sink.write(frame)
            self._sink.close(self._close.code, self._close.reason)
            return
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next(self) -> bytes | Close:
        """The next frame to send, or the :class:`Close` once every frame before it went."""
        while True:
            frames = self._frames
            if frames:
                data = frames.popleft()
                self._size -= len(data)
                if not frames:
                    self._frames = None
                return data
            if self._close is not None:
                return self._close
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


class Member:
    """One connection to a room.

    Args:
        user_id: The signed-in user behind the connection (the author of its updates).
        can_edit: Whether its updates may change the document; changes take effect at
            once (the server flips it when the member's role changes).
        limits: Its flood limits and outbox cap.
        acks: Whether it wants :class:`~bandmate.sync.protocol.Ack` messages.
    """

    __slots__ = (
        "acks",
        "can_edit",
        "client_ids",
        "failed",
        "gate",
        "held",
        "outbox",
        "updates_received",
        "user_id",
    )

    def __init__(
        self, user_id: str, *, can_edit: bool, limits: SyncLimits, acks: bool = False
    ) -> None:
        self.user_id = user_id
        self.can_edit = can_edit
        self.acks = acks
        self.outbox = Outbox(limits.outbox_bytes)
        self.gate = FloodGate(limits)
        self.updates_received = 0
        self.held = b""  # its updates waiting for changes it has not sent yet
        self.client_ids: set[int] = set()
        # Where the errors of its frames handled later go, if set (else to futures).
        self.failed: Callable[[Exception], None] | None = None

    def send(self, message: Message) -> None:
        """Queue ``message`` for this connection."""
        self.send_bytes(encode_message(message))

    def ack(self, index: int, seq: int) -> None:
        """Acknowledge its ``index``-th update-bearing message (if it wants acks)."""
        if self.acks:
            self.send(Ack(index, seq))

    def send_bytes(self, data: bytes) -> None:
        """Queue an encoded message; a connection too far behind is closed (1013)."""
        if not self.outbox.push(data):
            self.close(
                CloseCode.TRY_AGAIN_LATER,
                f"more than {self.outbox.max_bytes} bytes waiting to be sent",
            )

    def close(self, code: int, reason: str, *, notice: bool = False) -> None:
        """Close the connection once the frames ahead of the close are sent.

        Args:
            code: The WebSocket close code.
            reason: Why, for the client (cut to fit a close frame).
            notice: Send y-protocols' permission-denied message with ``reason`` first.
        """
        last = encode_message(PermissionDenied(reason)) if notice else None
        self.outbox.close(code, reason, last=last)
