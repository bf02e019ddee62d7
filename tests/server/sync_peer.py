"""Test helpers for the sync endpoint: a y-protocols client over a real WebSocket, and a
uvicorn server on a free port of 127.0.0.1 in the test's own event loop.

:class:`SyncPeer` behaves like a stock y-websocket provider (it opens with sync step 1,
answers the server's step 1 with step 2, sends each local change as an update) and also
reads Bandmate's acknowledgements: every local change may carry a *tag*, and a tag is
*confirmed* once the server acknowledged a message that carried the change (the update
itself, or the step 2 of a later connection, which carries whatever the server lacked).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI
from pycrdt import Doc, TransactionEvent, merge_updates
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bandmate.server.app import PROJECT_SOCKETS
from bandmate.server.security import SESSION_COOKIE
from bandmate.server.wsconn import lean_ws
from bandmate.sync.protocol import (
    Ack,
    AwarenessEntry,
    AwarenessUpdate,
    Message,
    PermissionDenied,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_awareness,
    decode_message,
    encode_message,
)
from bandmate.sync.update import apply_update, encode_diff, encode_state_vector

TIMEOUT_S = 30.0
"""Generous: only there so that a broken server fails a test instead of hanging it."""


@dataclass
class _Pending:
    tag: object
    cover: tuple[int, int] | None  # (connection number, message index) that carries it


class SyncPeer:
    """A y-protocols client with a pycrdt document.

    Args:
        url: ``ws://host:port/api/projects/<id>/sync``.
        token: The session token sent as the session cookie (``None``: no cookie).
        origin: The ``Origin`` header to send, if any.
        client_id: The document's Yjs client id.
    """

    def __init__(
        self, url: str, token: str | None, *, origin: str | None = None, client_id: int = 0
    ) -> None:
        self.url = url
        self.token = token
        self.origin = origin
        self.doc: Doc[Any] = Doc(client_id=client_id) if client_id else Doc()
        self.ws: ClientConnection | None = None
        self.connection = 0
        self.sent = 0
        self.acked = 0
        self.last_seq = 0
        self.denied: list[str] = []
        self.errors: list[Exception] = []
        self.presence: list[AwarenessEntry] = []
        self.confirmed: list[object] = []
        self.synced = asyncio.Event()
        self._pending: list[_Pending] = []
        self._changes: list[bytes] = []
        self._remote = False
        self._progress = asyncio.Condition()
        self._send_lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self.doc.observe(self._on_change)

    def _on_change(self, event: TransactionEvent) -> None:
        if not self._remote:
            self._changes.append(event.update)

    @property
    def unconfirmed(self) -> list[object]:
        """Tags of local changes no acknowledgement has covered yet."""
        return [p.tag for p in self._pending]

    async def forget(self, client_id: int) -> None:
        """Crash like a closed browser tab: close, drop the document and what was unconfirmed.

        The next :meth:`connect` starts from nothing, as client ``client_id`` (a Yjs
        client id is never reused with a new document).
        """
        await self.close()
        self.doc = Doc(client_id=client_id)
        self.doc.observe(self._on_change)
        self._pending, self._changes = [], []
        self.synced.clear()

    @property
    def connected(self) -> bool:
        return self.ws is not None and self._reader is not None and not self._reader.done()

    async def connect(self) -> None:
        """Open the socket and start the handshake (raises what ``websockets`` raises)."""
        headers = {"Cookie": f"{SESSION_COOKIE}={self.token}"} if self.token else {}
        ws = await connect(
            self.url,
            additional_headers=headers,
            origin=self.origin,  # type: ignore[arg-type]
            max_size=None,
            open_timeout=TIMEOUT_S,
            close_timeout=5,
            ping_interval=None,
        )
        self.ws, self.connection, self.sent, self.acked = ws, self.connection + 1, 0, 0
        self.synced.clear()
        self._reader = asyncio.create_task(self._read(ws))
        with contextlib.suppress(ConnectionClosed):  # a refused connection closes at once
            await self.send(SyncStep1(encode_state_vector(self.doc)))

    async def send(self, message: Message) -> int:
        """Send ``message``; returns its index among update-bearing messages (0: none)."""
        async with self._send_lock:
            if self.ws is None:
                raise ConnectionError("not connected")
            index = 0
            if isinstance(message, SyncStep2 | SyncUpdate):
                self.sent += 1
                index = self.sent
            await self.ws.send(encode_message(message))
            return index

    async def send_raw(self, frame: bytes | str) -> None:
        """Send any frame, well-formed or not."""
        assert self.ws is not None
        await self.ws.send(frame)

    async def edit(self, change: Callable[[Doc[Any]], object], *, tag: object = None) -> int:
        """Make a local change and send it if connected; returns its message index (or 0)."""
        change(self.doc)
        changes, self._changes = self._changes, []
        update = merge_updates(*changes) if len(changes) > 1 else b"".join(changes)
        index = 0
        if update and self.connected:
            with contextlib.suppress(ConnectionClosed, ConnectionError):
                index = await self.send(SyncUpdate(update))
        if tag is not None:
            self._pending.append(_Pending(tag, (self.connection, index) if index else None))
        return index

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                assert isinstance(frame, bytes), frame
                try:
                    await self._handle(decode_message(frame))
                except ConnectionClosed:
                    raise
                except Exception as exc:  # kept for the test to look at
                    self.errors.append(exc)
                    raise

    async def _handle(self, message: Message) -> None:
        match message:
            case SyncStep1(state_vector):
                covering = [
                    p for p in self._pending if p.cover is None or p.cover[0] != self.connection
                ]
                index = await self.send(SyncStep2(encode_diff(self.doc, state_vector)))
                for item in covering:
                    item.cover = (self.connection, index)
            case SyncStep2(update) | SyncUpdate(update):
                self._remote = True
                try:
                    apply_update(self.doc, update)
                finally:
                    self._remote = False
                if isinstance(message, SyncStep2):
                    self.synced.set()
            case Ack(index, seq):
                assert index > self.acked, (index, self.acked)  # cumulative, in order
                self.acked, self.last_seq = index, seq
                done = [
                    p
                    for p in self._pending
                    if p.cover is not None and p.cover[0] == self.connection and p.cover[1] <= index
                ]
                self.confirmed += [p.tag for p in done]
                self._pending = [p for p in self._pending if p not in done]
            case PermissionDenied(reason):
                self.denied.append(reason)
            case AwarenessUpdate(update):
                self.presence += decode_awareness(update)
        async with self._progress:
            self._progress.notify_all()

    async def wait_for(self, condition: Callable[[], bool], *, timeout: float = TIMEOUT_S) -> None:
        """Wait until ``condition()`` holds (checked after every message received)."""
        async with asyncio.timeout(timeout), self._progress:
            await self._progress.wait_for(condition)

    async def wait_acked(self, index: int, *, timeout: float = TIMEOUT_S) -> int:
        """Wait for the acknowledgement of message ``index``; returns its log seq."""
        await self.wait_for(lambda: self.acked >= index, timeout=timeout)
        return self.last_seq

    async def closed(self, *, timeout: float = TIMEOUT_S) -> tuple[int | None, str | None]:
        """Wait until the server closed the socket; its close code and reason."""
        assert self.ws is not None
        assert self._reader is not None
        async with asyncio.timeout(timeout):
            await self._reader
            await self.ws.wait_closed()
        return self.ws.close_code, self.ws.close_reason

    async def close(self) -> None:
        """Close the socket (if open) and stop reading."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader


@contextlib.asynccontextmanager
async def serving(
    app: FastAPI,
    host: str = "127.0.0.1",
    *,
    ws_max_size: int = 1 << 20,
    ws: Literal["lean", "asgi"] = "lean",
) -> AsyncIterator[str]:
    """Serve ``app`` (with its lifespan) on ``host``; yields ``host:port``.

    ``ws="lean"`` serves the project sockets on Bandmate's lean connection (as
    ``bandmate serve`` does), ``"asgi"`` on uvicorn's own WebSockets through ASGI.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=0,
        log_config=None,
        access_log=False,
        ws=lean_ws(PROJECT_SOCKETS) if ws == "lean" else "auto",
        ws_max_size=ws_max_size,
        ws_ping_interval=None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"{host}:{port}"
    finally:
        server.should_exit = True
        await task
