"""What the project WebSockets (sync and jam) share: the handshake and the two pumps.

Both endpoints admit a connection the same way (:func:`admit`): ``Origin`` (or
``Referer``) is this server's or an allowed one, else the handshake is refused with HTTP
403 before it is accepted; the session cookie names a user, else close 4401; the user is
a member of the project, else close 4404 (as for a missing project). Then, served by
``bandmate serve``, each speaks to its lean connection (:mod:`bandmate.server.wsconn`);
under another ASGI server it runs a sender draining the connection's outbox and a
receiver reading its frames (:func:`serve_both`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from bandmate.server.security import SESSION_COOKIE, origin_allowed
from bandmate.server.services import studio_of
from bandmate.store.errors import NotFoundError
from bandmate.store.records import Access, User
from bandmate.sync.limits import CloseCode

SEND_CLOSE_TIMEOUT_S = 5.0
"""How long a connection that stopped reading may hold up its own close."""


async def admit(websocket: WebSocket, project_id: str) -> tuple[User, Access] | None:
    """Run the handshake checks; the signed-in member and their access, or ``None`` once
    the connection was refused or closed with the code that says why."""
    studio = studio_of(websocket.app)
    if not origin_allowed(websocket.scope, studio.settings.allowed_origins):
        await websocket.close(CloseCode.FORBIDDEN, "origin not allowed")  # HTTP 403
        return None
    await websocket.accept()
    user = await studio.accounts.user_for_token(websocket.cookies.get(SESSION_COOKIE))
    if user is None:
        await close_quietly(websocket, CloseCode.NOT_SIGNED_IN, "sign in first: no valid session")
        return None
    try:
        access = await studio.projects.access(user, project_id)
    except NotFoundError as exc:
        await close_quietly(websocket, CloseCode.NOT_FOUND, str(exc))
        return None
    return user, access


def close_of(exc: Exception, codes: tuple[tuple[type[Exception], int], ...]) -> tuple[int, str]:
    """The close code and reason for an error on a project socket: the first family in
    ``codes`` (most specific first) that ``exc`` belongs to, else 1011 with a generic reason."""
    for family, code in codes:
        if isinstance(exc, family):
            return code, str(exc)
    return CloseCode.INTERNAL, "internal server error"


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    """Close with ``code``, the reason cut to fit a close frame; nothing if already gone."""
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):  # already gone
        await websocket.close(code, reason.encode()[:123].decode("utf-8", "ignore"))


def asgi_messages(websocket: WebSocket) -> Callable[[], Awaitable[bytes | str | None]]:
    """Reads ``websocket``'s next message: its bytes or text, ``None`` once it is gone."""

    async def receive() -> bytes | str | None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        data: bytes | None = message.get("bytes")
        if data is not None:
            return data
        text: str | None = message.get("text")
        return "" if text is None else text

    return receive


async def serve_both(
    send: Coroutine[Any, Any, None],
    receive: Coroutine[Any, Any, None],
    closing: Callable[[], bool],
) -> None:
    """Run a connection's sender and receiver until either ends, then stop both.

    When the receiver ended and asked to close (``closing()``), the sender first gets
    :data:`SEND_CLOSE_TIMEOUT_S` to send what is ahead of the close.
    """
    sender = asyncio.create_task(send)
    receiver = asyncio.create_task(receive)
    try:
        await asyncio.wait((sender, receiver), return_when=asyncio.FIRST_COMPLETED)
        if receiver.done() and closing():
            await asyncio.wait((sender,), timeout=SEND_CLOSE_TIMEOUT_S)
    finally:
        for task in (sender, receiver):
            task.cancel()
        await asyncio.gather(sender, receiver, return_exceptions=True)
