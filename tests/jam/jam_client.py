"""A jam protocol client over a real WebSocket, for tests (and the clock probe).

:class:`JamClient` keeps every message the server sent, answers nothing by itself, and
estimates the server clock with :class:`bandmate.jam.clock.ClockFilter` when asked
(:meth:`JamClient.sync_clock`). Its own clock may be skewed by a known amount, so a test
knows the true offset: ``server - client = -skew_ms`` on one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bandmate.jam.clock import ClockEstimate, ClockFilter, ClockSample
from bandmate.server.security import SESSION_COOKIE

TIMEOUT_S = 30.0


class JamClient:
    """One player.

    Args:
        url: ``ws://host:port/api/projects/<id>/jam``.
        token: Session token sent as the session cookie (``None``: none).
        origin: ``Origin`` header, if any.
        skew_ms: Added to this machine's clock to make the client's clock.
    """

    def __init__(
        self, url: str, token: str | None, *, origin: str | None = None, skew_ms: float = 0.0
    ) -> None:
        self.url = url
        self.token = token
        self.origin = origin
        self.skew_ms = skew_ms
        self.ws: ClientConnection | None = None
        self.messages: list[dict[str, Any]] = []
        self.filter = ClockFilter()
        self.samples: list[ClockSample] = []
        self.me = ""
        self._pongs: dict[int, tuple[dict[str, Any], float]] = {}
        self._progress = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self._ping_id = 0

    def now(self) -> float:
        """The client's clock (ms)."""
        return time.time() * 1000.0 + self.skew_ms

    def server_now(self) -> float:
        """The server clock as this client estimates it (ms)."""
        estimate = self.filter.estimate
        return self.now() + (estimate.offset_ms if estimate else 0.0)

    async def connect(self) -> None:
        headers = {"Cookie": f"{SESSION_COOKIE}={self.token}"} if self.token else {}
        self.ws = await connect(
            self.url,
            additional_headers=headers,
            origin=self.origin,  # type: ignore[arg-type]
            open_timeout=TIMEOUT_S,
            close_timeout=5,
            ping_interval=None,
            compression=None,
        )
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                arrived = self.now()
                assert isinstance(frame, str), frame
                decoded = json.loads(frame)  # one message, or several queued together
                for message in decoded if isinstance(decoded, list) else [decoded]:
                    if message.get("t") == "pong":
                        self._pongs[message["id"]] = (message, arrived)
                    if message.get("t") == "welcome":
                        self.me = message["you"]
                    self.messages.append(message)
                async with self._progress:
                    self._progress.notify_all()
        async with self._progress:
            self._progress.notify_all()

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        assert self.ws is not None
        frame = message if isinstance(message, str | bytes) else json.dumps(message)
        await self.ws.send(frame)

    async def wait_for(self, condition: Callable[[], Any], *, timeout: float = TIMEOUT_S) -> None:
        async with asyncio.timeout(timeout), self._progress:
            await self._progress.wait_for(condition)

    async def next_of(self, kind: str, *, after: int = 0) -> dict[str, Any]:
        """The first message of type ``kind`` at index ``after`` or later (waits for it)."""
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            found[:] = [m for m in self.messages[after:] if m.get("t") == kind]
            return bool(found)

        await self.wait_for(seen)
        return found[0]

    async def ping(self) -> ClockEstimate:
        """One clock exchange; returns the new estimate."""
        self._ping_id += 1
        ping_id = self._ping_id
        estimate = self.filter.estimate
        await self.send(
            {
                "t": "ping",
                "id": ping_id,
                "t0": self.now(),
                "rtt": estimate.rtt_ms if estimate else None,
            }
        )
        await self.wait_for(lambda: ping_id in self._pongs)
        pong, t3 = self._pongs.pop(ping_id)
        sample = ClockSample(pong["t0"], pong["t1"], pong["t2"], t3)
        self.samples.append(sample)
        return self.filter.add(sample)

    async def sync_clock(self, exchanges: int = 32, *, interval_s: float = 0.05) -> ClockEstimate:
        """``exchanges`` clock exchanges ``interval_s`` apart; the last estimate."""
        estimate = await self.ping()
        for _ in range(exchanges - 1):
            await asyncio.sleep(interval_s)
            estimate = await self.ping()
        return estimate

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("t") == kind]

    async def closed(self, *, timeout: float = TIMEOUT_S) -> tuple[int | None, str | None]:
        """Wait until the server closed the socket; its close code and reason."""
        assert self.ws is not None
        assert self._reader is not None
        async with asyncio.timeout(timeout):
            await self._reader
            await self.ws.wait_closed()
        return self.ws.close_code, self.ws.close_reason

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
