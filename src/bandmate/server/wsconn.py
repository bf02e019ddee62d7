"""A lean WebSocket server connection for the project sockets, as a uvicorn ``ws`` protocol.

Uvicorn hands every WebSocket upgrade to ``config.ws_protocol_class``. :func:`lean_ws`
makes one that serves the paths it is given (the sync and jam sockets) itself, straight
on the transport with the framer of :mod:`bandmate.server.wsframes`, and hands every
other upgrade to uvicorn's standard implementation (``auto``), forwarding the transport's
calls to it.

On a lean path the handshake still goes through the ASGI app (its middleware, routing
and handler): a close before ``websocket.accept`` answers HTTP 403, the accept answers
101. After the accept a handler takes the :class:`WsConnection` out of the scope
(:func:`lean_connection`) and speaks to it directly: no ASGI message per frame, no
receive queue of asyncio, no sender task. A handler either awaits :meth:`receive` in
its own task or hands :meth:`WsConnection.serve` a callback to be called as frames are read.
What it sends goes to the transport at the end of the event loop's turn (one write for
every frame a connection got during it) while the transport takes it; an attached
:class:`Drain` (an outbox) holds the rest until the transport drains
(:meth:`WsConnection.attach`). Pings are answered; a keepalive ping goes out every
``ws_ping_interval`` seconds and a connection that sent nothing since the last one is
closed (1011). A close waits ``CLOSE_TIMEOUT_S`` for the client's close, then drops it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol, cast
from urllib.parse import unquote

from starlette.routing import compile_path
from uvicorn.config import Config
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol
from uvicorn.server import ServerState

from bandmate.server import wsframes
from bandmate.server.wsframes import FrameError, FrameReader

log = logging.getLogger(__name__)

EXTENSION: Final = "bandmate.wsconn"
"""The key of the :class:`WsConnection` in a lean socket's ASGI ``scope["extensions"]``."""

CLOSE_TIMEOUT_S = 5.0
"""How long a close waits for the client's answer (or for its own frames to drain)."""

INBOX_FRAMES = 64
"""Frames read ahead of the handler before the connection stops reading (back-pressure)."""

_CONNECTING, _OPEN, _CLOSING, _CLOSED = range(4)
_FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_FAILED = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class Drain(Protocol):
    """What waits to be sent on a connection (an outbox): written on when it drains."""

    def flush(self) -> None:
        """Write what waits while the connection is writable."""


_last_payload: bytes | str = b""
_last_frame = wsframes.encode_frame(wsframes.BINARY, b"")


def _frame(data: bytes | str) -> bytes:
    # A broadcast writes the same payload to every member of a room: framed once. The
    # cache holds its payload, so identity cannot be that of a new object.
    global _last_payload, _last_frame
    if data is not _last_payload:
        if isinstance(data, str):
            _last_frame = wsframes.encode_frame(wsframes.TEXT, data.encode())
        else:
            _last_frame = wsframes.encode_frame(wsframes.BINARY, data)
        _last_payload = data
    return _last_frame


def _control(payload: bytes | str) -> bytes:
    # The reader gives control frames as bytes (only text messages are decoded).
    return payload.encode() if isinstance(payload, str) else payload


class WsConnection(asyncio.Protocol):
    """One upgraded connection: a lean WebSocket, or a shell around uvicorn's standard one.

    Made by uvicorn (see :func:`lean_ws`), one per upgrade.
    """

    lean_path: re.Pattern[str] = re.compile(r"(?!)")
    """Paths served here (a subclass sets it); every other upgrade goes to uvicorn's own."""

    flusher: _Flusher | None = None
    """The writer of this server's connections (made on first use, for its event loop)."""

    __slots__ = (
        "_alive",
        "_app_state",
        "_closer",
        "_config",
        "_drain",
        "_flusher",
        "_inbox",
        "_inner",
        "_keepalive",
        "_paused",
        "_pending",
        "_reader",
        "_reading_paused",
        "_server_state",
        "_state",
        "_waiter",
        "close_code",
        "on_message",
        "transport",
    )

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self.transport: asyncio.Transport | None = None
        self._inner: asyncio.Protocol | None = None
        self._state = _CONNECTING
        self._reader: FrameReader | None = None
        self._inbox: deque[bytes | str] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drain: Drain | None = None
        self._pending: list[bytes] | None = None
        self._flusher: _Flusher | None = None
        self._paused = False
        self._reading_paused = False
        self._alive = True
        self._keepalive: asyncio.TimerHandle | None = None
        self._closer: asyncio.TimerHandle | None = None
        self.close_code: int | None = None
        # Called with each message as it is read, instead of queuing it for receive(); it
        # must not raise (it closes the connection instead).
        self.on_message: Callable[[bytes | str], None] | None = None

    # the transport's calls ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)
        elif self._reader is not None:
            self._read(data)
        elif self._state == _CONNECTING:
            self._upgrade(data)

    def eof_received(self) -> bool | None:
        if self._inner is not None:
            return self._inner.eof_received()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._inner.connection_lost(exc)
            return
        self._state = _CLOSED
        self._server_state.connections.discard(self)
        for timer in (self._keepalive, self._closer):
            if timer is not None:
                timer.cancel()
        self._keepalive = self._closer = None
        self.on_message = None
        self._drain = None
        self._pending = None
        self._wake()

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()
        self._paused = True

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
            return
        self._paused = False
        if self._drain is not None:
            self._drain.flush()

    def shutdown(self) -> None:
        """The server stops (uvicorn calls it): close (1012) or refuse the handshake."""
        if self._state == _CONNECTING:
            self._refuse(_UNAVAILABLE)
        else:
            self.close(1012, "server shutting down")

    # the handshake ------------------------------------------------------------------------

    def _upgrade(self, request: bytes) -> None:
        # What uvicorn passes is the request it parsed, rebuilt: a request line and
        # headers with lower-case names, complete.
        lines = request.split(b"\r\n")
        try:
            method, target, _ = lines[0].decode("latin-1").split(" ", 2)
        except ValueError:
            method, target = "", ""
        raw_path, _, query = target.partition("?")
        path = unquote(raw_path)
        if not self.lean_path.fullmatch(path):
            self._hand_over(request)
            return
        assert self.transport is not None
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                headers.append((name.strip().lower(), value.strip()))
        found = dict(headers)
        key = found.get(b"sec-websocket-key", b"").decode("latin-1")
        if (
            method != "GET"
            or b"websocket" not in found.get(b"upgrade", b"").lower()
            or b"upgrade" not in found.get(b"connection", b"").lower()
            or found.get(b"sec-websocket-version") != b"13"
            or not wsframes.valid_key(key)
        ):
            self._refuse(_BAD_REQUEST)
            return
        self._server_state.connections.add(self)  # type: ignore[arg-type]
        scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if is_ssl(self.transport) else "ws",
            "server": get_local_addr(self.transport),
            "client": get_remote_addr(self.transport),
            "root_path": self._config.root_path,
            "path": self._config.root_path + path,
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "headers": headers,
            "subprotocols": [],
            "state": self._app_state.copy(),
            "extensions": {EXTENSION: self},
        }
        task = asyncio.get_running_loop().create_task(self._run_app(scope, key))
        tasks = self._server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _hand_over(self, request: bytes) -> None:
        assert AutoWebSocketsProtocol is not None
        inner = AutoWebSocketsProtocol(
            config=self._config, server_state=self._server_state, app_state=self._app_state
        )
        self._inner = inner
        inner.connection_made(self.transport)  # type: ignore[arg-type]
        inner.data_received(request)

    def _refuse(self, response: bytes) -> None:
        self._state = _CLOSED
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()

    async def _run_app(self, scope: dict[str, Any], key: str) -> None:
        connected = False

        async def receive() -> dict[str, Any]:
            nonlocal connected
            if not connected:
                connected = True
                return {"type": "websocket.connect"}
            data = await self.receive()
            if data is None:
                return {"type": "websocket.disconnect", "code": self.close_code or 1006}
            if isinstance(data, str):
                return {"type": "websocket.receive", "text": data}
            return {"type": "websocket.receive", "bytes": data}

        async def send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "websocket.accept" and self._state == _CONNECTING:
                self._accept(key, message)
            elif kind == "websocket.close":
                if self._state == _CONNECTING:
                    self._refuse(_FORBIDDEN)
                else:
                    self.close(message.get("code", 1000), message.get("reason") or "")
            elif kind == "websocket.send" and self._state == _OPEN:
                text = message.get("text")
                self.write(text if text is not None else message.get("bytes") or b"")

        try:
            await self._config.loaded_app(scope, receive, send)
        except Exception:
            log.exception("WebSocket %s failed", scope["path"])
            if self._state == _CONNECTING:
                self._refuse(_FAILED)
            else:
                self.close(1011, "internal server error")
            return
        if self._state == _CONNECTING:
            self._refuse(_FAILED)
        elif self._state == _OPEN:
            self.close(1000, "")

    def _accept(self, key: str, message: dict[str, Any]) -> None:
        assert self.transport is not None
        if self.transport.is_closing():
            self._state = _CLOSED
            return
        out = [
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n",
            b"sec-websocket-accept: " + wsframes.accept_key(key).encode() + b"\r\n",
        ]
        headers: Iterable[tuple[bytes, bytes]] = message.get("headers") or ()
        for name, value in [*self._server_state.default_headers, *headers]:
            out.append(name + b": " + value + b"\r\n")
        if message.get("subprotocol"):
            out.append(b"sec-websocket-protocol: " + message["subprotocol"].encode() + b"\r\n")
        out.append(b"\r\n")
        self.transport.write(b"".join(out))
        self._state = _OPEN
        self._reader = FrameReader(self._config.ws_max_size)
        loop = asyncio.get_running_loop()
        flusher = type(self).flusher
        if flusher is None or flusher.loop is not loop:
            flusher = type(self).flusher = _Flusher(loop)
        self._flusher = flusher
        interval = self._config.ws_ping_interval
        if interval:
            self._keepalive = asyncio.get_running_loop().call_later(interval, self._ping)

    # frames in ----------------------------------------------------------------------------

    def _read(self, data: bytes) -> None:
        assert self._reader is not None
        self._alive = True
        try:
            events = self._reader.feed(data)
        except FrameError as exc:
            self._reader = None
            self.close(exc.code, exc.reason)
            return
        for opcode, payload in events:
            if opcode <= wsframes.BINARY:
                if self._state != _OPEN:
                    continue  # closing: what the client sent before its close is dropped
                handler = self.on_message
                if handler is not None:
                    try:
                        handler(payload)
                    except Exception:  # a handler's own failure: this connection only
                        log.exception("WebSocket message handler failed")
                        self.close(1011, "internal server error")
                    continue
                if self._inbox is None:
                    self._inbox = deque()
                self._inbox.append(payload)
                if len(self._inbox) >= INBOX_FRAMES and not self._reading_paused:
                    self._reading_paused = True
                    assert self.transport is not None
                    self.transport.pause_reading()
                self._wake()
            elif opcode == wsframes.PING:
                if self._state == _OPEN:
                    self._write_raw(wsframes.encode_frame(wsframes.PONG, _control(payload)))
            elif opcode == wsframes.CLOSE:
                self._closed_by_client(_control(payload))
                return

    def _closed_by_client(self, payload: bytes) -> None:
        assert self.transport is not None
        try:
            code, _ = wsframes.parse_close(payload)
        except FrameError as exc:
            self._reader = None
            self.close(exc.code, exc.reason)
            return
        if self._state == _OPEN:
            self.close_code = code
            echo = b"\x88\x00" if code == 1005 else wsframes.encode_close(code)
            self._write_raw(echo)
        self.flush()
        self._state = _CLOSED
        self._reader = None
        self.transport.close()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> bytes | str | None:
        """The next message; ``None`` once the connection is closing or closed."""
        while True:
            if self._state != _OPEN:
                return None
            inbox = self._inbox
            if inbox:
                data = inbox.popleft()
                if self._reading_paused and len(inbox) < INBOX_FRAMES // 2:
                    self._reading_paused = False
                    assert self.transport is not None
                    self.transport.resume_reading()
                return data
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def serve(self, on_message: Callable[[bytes | str], None]) -> None:
        """Call ``on_message`` with each message as it is read, in the transport's callback,
        until the connection closes. Messages read before this call go first, in order."""
        self.on_message = on_message
        while (message := await self.receive()) is not None:
            on_message(message)

    # frames out ---------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        """Whether a write goes out now (open, and the transport is not backed up)."""
        return self._state == _OPEN and not self._paused

    def attach(self, drain: Drain | None) -> None:
        """Call ``drain.flush()`` whenever the transport drains (``None``: stop)."""
        self._drain = drain

    def write(self, data: bytes | str) -> None:
        """Send ``data`` as one binary (``bytes``) or text (``str``) message; nothing once
        the connection is closing. The transport buffers what it cannot send yet."""
        if self._state == _OPEN:
            self._write_raw(_frame(data))

    def _write_raw(self, frame: bytes) -> None:
        # Frames written during one turn of the event loop go to the transport together
        # at its end: one system call for what a batch of commits broadcast to this member.
        pending = self._pending
        if pending is not None:
            pending.append(frame)
            return
        self._pending = [frame]
        assert self._flusher is not None
        self._flusher.add(self)

    def flush(self) -> None:
        """Hand the frames written so far to the transport now."""
        pending, self._pending = self._pending, None
        transport = self.transport
        if pending and transport is not None and not transport.is_closing():
            transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self, code: int, reason: str = "") -> None:
        """Send a close frame (once) and wait :data:`CLOSE_TIMEOUT_S` for the client's."""
        if self._state != _OPEN:
            return
        self._state = _CLOSING
        self.close_code = code
        self._write_raw(wsframes.encode_close(code, reason))
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        self._closer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self._abort)
        self._wake()

    def _abort(self) -> None:
        self._closer = None
        if self.transport is not None:
            self.transport.abort()

    def _ping(self) -> None:
        if self._state != _OPEN:
            return
        if not self._alive:
            self._keepalive = None
            self.close(1011, "keepalive ping timeout")
            return
        self._alive = False
        self._write_raw(wsframes.encode_frame(wsframes.PING, b""))
        interval = self._config.ws_ping_interval
        assert interval is not None
        self._keepalive = asyncio.get_running_loop().call_later(interval, self._ping)


def paths_pattern(paths: Iterable[str]) -> re.Pattern[str]:
    """One pattern matching any of the Starlette route ``paths`` (their parameters unnamed)."""
    patterns = (compile_path(path)[0].pattern for path in paths)
    return re.compile("|".join(re.sub(r"\(\?P<\w+>", "(?:", p) for p in patterns))


class _Flusher:
    """Writes the frames connections queued during a turn of the event loop, at its end."""

    __slots__ = ("_conns", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._conns: list[WsConnection] = []

    def add(self, conn: WsConnection) -> None:
        if not self._conns:
            self.loop.call_soon(self._flush)
        self._conns.append(conn)

    def _flush(self) -> None:
        conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.flush()
            except Exception:  # one broken transport must not keep the others' frames
                log.exception("WebSocket write failed")
                if conn.transport is not None:
                    conn.transport.abort()


def lean_ws(paths: Iterable[str]) -> type[WsConnection]:
    """A uvicorn ``ws`` protocol class serving the Starlette route ``paths`` (like
    ``/api/projects/{project_id}/sync``) itself and every other upgrade as uvicorn would."""
    namespace = {"__slots__": (), "lean_path": paths_pattern(paths)}
    return type("LeanWebSockets", (WsConnection,), namespace)


def lean_connection(scope: dict[str, Any] | Any) -> WsConnection | None:
    """The lean connection behind a WebSocket's ``scope``, if it is one."""
    conn = scope.get("extensions", {}).get(EXTENSION)
    return conn if isinstance(conn, WsConnection) else None
