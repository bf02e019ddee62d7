"""The lean WebSocket connection of the project sockets, over real sockets: uvicorn on
127.0.0.1 with :func:`bandmate.server.wsconn.lean_ws`, and raw TCP clients that send
what a browser never would."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect

from bandmate.server import Settings, create_app, studio_of
from bandmate.server.routes_sync import rooms_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.sync.protocol import SyncStep1, SyncStep2, decode_message, encode_message

from .conftest import PASSWORD
from .sync_peer import TIMEOUT_S, serving
from .test_wsframes import client_frame

pytestmark = pytest.mark.anyio


@dataclass
class Raw:
    """A raw TCP WebSocket client: it frames (and misframes) what it sends itself."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def frame(self) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload); the server never masks."""
        async with asyncio.timeout(TIMEOUT_S):
            b0, b1 = await self.reader.readexactly(2)
            assert not b1 & 0x80, "server frames are not masked"
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return b0 & 0x0F, await self.reader.readexactly(n)

    async def until(self, opcode: int) -> bytes:
        """The payload of the next frame with ``opcode`` (others are skipped)."""
        while True:
            op, payload = await self.frame()
            if op == opcode:
                return payload

    async def close_code(self) -> int:
        payload = await self.until(0x8)
        return int(struct.unpack("!H", payload[:2])[0])

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def eof(self) -> bool:
        """Whether the server closed the TCP connection (after what it sent)."""
        async with asyncio.timeout(TIMEOUT_S):
            while await self.reader.read(1 << 16):
                pass
        return True

    def abort(self) -> None:
        self.writer.transport.abort()


OPEN: list[asyncio.StreamWriter] = []
"""Every raw client of the running test, aborted when it ends (passed or failed)."""


@pytest.fixture(autouse=True)
async def _abort_raw_clients() -> AsyncIterator[None]:
    yield
    while OPEN:
        writer = OPEN.pop()
        writer.transport.abort()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def open_raw(
    host: str, path: str, *, cookie: str | None = None, key: str | None = None
) -> tuple[Raw, bytes]:
    """Connect and send an upgrade request; the client and the server's response head."""
    address, port = host.split(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    OPEN.append(writer)
    key = key if key is not None else base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if cookie is not None:
        lines.append(f"Cookie: {SESSION_COOKIE}={cookie}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    async with asyncio.timeout(TIMEOUT_S):
        head = await reader.readuntil(b"\r\n\r\n")
    return Raw(reader, writer), head


@dataclass
class Served:
    app: FastAPI
    host: str
    path: str
    token: str
    project_id: str


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings)

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app.router.add_websocket_route("/test-echo", echo)
    async with serving(app, ws_max_size=64 << 10) as host:
        studio = studio_of(app)
        alice, token = await studio.accounts.sign_up("alice", PASSWORD)
        project_id = (await studio.projects.create(alice, "Raw")).project.id
        yield Served(app, host, f"/api/projects/{project_id}/sync", token, project_id)


async def joined(served: Served) -> Raw:
    raw, head = await open_raw(served.host, served.path, cookie=served.token)
    assert head.startswith(b"HTTP/1.1 101 ")
    step1 = decode_message(await raw.until(0x2))
    assert isinstance(step1, SyncStep1)
    return raw


def sync_step1() -> bytes:
    return encode_message(SyncStep1(b"\x00"))


async def test_the_handshake_answers_the_key_and_a_fragmented_message_is_joined(
    served: Served,
) -> None:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    raw, head = await open_raw(served.host, served.path, cookie=served.token, key=key)
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
    message = sync_step1()
    await raw.send(
        client_frame(0x2, message[:1], fin=False)
        + client_frame(0x9, b"still here")  # a ping between the fragments
        + client_frame(0x0, message[1:])
    )
    assert await raw.until(0xA) == b"still here"
    step2 = decode_message(await raw.until(0x2))
    while not isinstance(step2, SyncStep2):  # awareness may come first
        step2 = decode_message(await raw.until(0x2))
    await raw.send(client_frame(0x8, struct.pack("!H", 4000) + b"bye"))
    assert await raw.close_code() == 4000  # the close is echoed, then the server hangs up
    assert await raw.eof()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (client_frame(0x2, b"\x00\x00\x00", mask=None), 1002),
        (client_frame(0x3, b"x"), 1002),
        (client_frame(0x2, b"x", rsv=2), 1002),
        (client_frame(0x9, b"x", fin=False), 1002),
        (client_frame(0x0, b"x"), 1002),
        (client_frame(0x1, b"\xc3\x28"), 1007),
        (client_frame(0x2, b"", length=(64 << 10) + 1)[:10], 1009),
        (client_frame(0x8, struct.pack("!H", 1005)), 1002),
        (client_frame(0x8, b"\x03"), 1002),
        (client_frame(0x8, struct.pack("!H", 1000) + b"\xff"), 1007),
    ],
)
async def test_hostile_frames_close_with_their_code_and_leave_the_room(
    served: Served, frame: bytes, code: int
) -> None:
    raw = await joined(served)
    room = rooms_of(served.app).get(served.project_id)
    assert room is not None
    assert len(room.members) == 1
    await raw.send(frame)
    assert await raw.close_code() == code
    raw.abort()
    async with asyncio.timeout(TIMEOUT_S):
        while room.members:
            await asyncio.sleep(0.01)


async def test_an_abrupt_end_of_the_connection_leaves_the_room(served: Served) -> None:
    raw = await joined(served)
    room = rooms_of(served.app).get(served.project_id)
    assert room is not None
    assert len(room.members) == 1
    await raw.send(client_frame(0x2, sync_step1())[:5])  # half a frame, then gone
    raw.abort()
    async with asyncio.timeout(TIMEOUT_S):
        while room.members:
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("drop", "status"),
    [("Sec-WebSocket-Key", b"400"), ("Sec-WebSocket-Version", b"400"), (None, b"101")],
)
async def test_a_bad_upgrade_request_is_answered_400(
    served: Served, drop: str | None, status: bytes
) -> None:
    address, port = served.host.split(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    OPEN.append(writer)
    headers = {
        "Host": served.host,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Cookie": f"{SESSION_COOKIE}={served.token}",
    }
    headers.pop(drop or "", None)
    lines = [f"GET {served.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    async with asyncio.timeout(TIMEOUT_S):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    writer.transport.abort()


async def test_a_closed_session_is_refused_after_the_handshake(served: Served) -> None:
    raw, head = await open_raw(served.host, served.path, cookie="not-a-session")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert await raw.close_code() == 4401
    raw.abort()


async def test_other_websockets_are_served_by_uvicorn(served: Served) -> None:
    async with connect(f"ws://{served.host}/test-echo") as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"


async def test_a_stopping_server_closes_its_lean_sockets(settings: Settings) -> None:
    app = create_app(settings)
    stopped = contextlib.AsyncExitStack()
    host = await stopped.enter_async_context(serving(app))
    studio = studio_of(app)
    alice, token = await studio.accounts.sign_up("alice", PASSWORD)
    project_id = (await studio.projects.create(alice, "Raw")).project.id
    raw, head = await open_raw(host, f"/api/projects/{project_id}/sync", cookie=token)
    assert head.startswith(b"HTTP/1.1 101 ")
    stopping = asyncio.create_task(stopped.aclose())
    assert await raw.close_code() == 1012
    await raw.send(client_frame(0x8, struct.pack("!H", 1012)))
    async with asyncio.timeout(TIMEOUT_S):
        await stopping
    raw.abort()
