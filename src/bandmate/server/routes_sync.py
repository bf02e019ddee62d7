"""``/api/projects/{project_id}/sync``: the song document over a WebSocket, in y-protocols.

Stock y-websocket providers connect as they are (binary frames, one message each; see
:mod:`bandmate.sync.protocol`, whose type 100 is Bandmate's acknowledgement). The
handshake checks, in order:

* ``Origin`` (or ``Referer``) is this server's or an allowed one, else the handshake is
  refused with HTTP 403 before it is accepted;
* the session cookie names a user, else close 4401;
* the user is a member of the project, else close 4404 (as for a missing project).

Then the server sends sync step 1 and the presences of the room. A connection opened with
``?ack=1`` gets an acknowledgement (message type 100) of each update once it is committed.
A y-websocket provider connects with ``new WebsocketProvider(`${origin}/api/projects/${id}`,
'sync', doc, {params: {ack: '1'}})`` (without ``params``: a stock client, no acks).

Served by ``bandmate serve``, the socket runs on the lean connection of
:mod:`bandmate.server.wsconn` (frames straight to and from the transport); under any other
ASGI server, on Starlette's WebSocket with a sender task. Every error on an open
connection closes it, mapped to a code in one place
(:data:`CLOSE_CODES`): a malformed frame 4400, an oversized one 1009, a flood 4429, a text
frame 1003, a viewer's edit 4403 (after y-protocols' permission-denied message), a failed
database 1011, a receiver too far behind 1013. A member who is removed is closed with 4403
as soon as the change commits; a role change takes effect on the next update.

A project whose update log is empty starts from its stored song (the MIDI blob the demo
seed or an import stored), else from an empty song named after the project; that first
update is logged with no author (the system).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial

from fastapi import FastAPI, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from bandmate.auth.projects import can_edit
from bandmate.errors import BandmateError
from bandmate.formats.midi import read_midi
from bandmate.music.song import Song
from bandmate.server.services import Studio, studio_of
from bandmate.server.sockets import admit, asgi_messages, close_of, close_quietly, serve_both
from bandmate.server.wsconn import WsConnection, lean_connection
from bandmate.store.errors import NotFoundError
from bandmate.store.records import Project, Role
from bandmate.sync.document import song_to_doc
from bandmate.sync.errors import DocumentError
from bandmate.sync.limits import (
    CloseCode,
    EditDeniedError,
    FloodError,
    RoomLoadError,
    SyncLimits,
)
from bandmate.sync.member import Close, Member
from bandmate.sync.protocol import MessageTooLargeError
from bandmate.sync.room import Room
from bandmate.sync.rooms import Rooms
from bandmate.sync.update import encode_state

log = logging.getLogger(__name__)

SYNC_PATH = "/api/projects/{project_id}/sync"
CLOSE_CODES: tuple[tuple[type[Exception], int], ...] = (
    (MessageTooLargeError, CloseCode.TOO_BIG),
    (FloodError, CloseCode.FLOOD),
    (EditDeniedError, CloseCode.FORBIDDEN),
    (RoomLoadError, CloseCode.INTERNAL),
    (DocumentError, CloseCode.BAD_MESSAGE),  # ProtocolError included
    (NotFoundError, CloseCode.NOT_FOUND),
)
"""Most specific first; anything else is 1011 with a generic reason (and logged)."""


def install(app: FastAPI, studio: Studio) -> Rooms:
    """Mount the sync endpoint on ``app`` with a room manager listening to membership events.

    The frame cap is the server's body cap (``settings.max_body_bytes``); other limits
    are :class:`~bandmate.sync.limits.SyncLimits`' defaults (``rooms_of(app).limits`` may
    be replaced before the server starts).
    """
    cap = studio.settings.max_body_bytes
    default = SyncLimits()
    limits = replace(default, max_message_bytes=cap, byte_burst=max(default.byte_burst, cap))
    rooms = Rooms(studio.updates, limits=limits)
    app.state.sync_rooms = rooms
    studio.events.on_member_removed(rooms.remove_user)

    def on_role_changed(project_id: str, user_id: str, role: Role) -> None:
        rooms.set_can_edit(project_id, user_id, can_edit(role))

    studio.events.on_role_changed(on_role_changed)
    # A plain Starlette route: FastAPI's websocket route adds two exit stacks, a
    # dependency solver and their frames to every connection for the whole of its life,
    # and a wrapper to every frame sent; this endpoint needs none of them.
    app.router.add_websocket_route(SYNC_PATH, sync_socket, name="sync_socket")
    return rooms


def rooms_of(app: FastAPI) -> Rooms:
    """The room manager :func:`install` put on ``app``."""
    rooms = app.state.sync_rooms
    if not isinstance(rooms, Rooms):
        raise TypeError(f"app.state.sync_rooms={rooms!r} is not a Rooms")
    return rooms


async def close_rooms(app: FastAPI) -> None:
    """Close every sync connection and room of ``app`` (on shutdown)."""
    await rooms_of(app).close_all()


async def seed_update(studio: Studio, project: Project) -> bytes:
    """The first update of ``project``'s document: its stored song, or an empty one."""
    song = Song(title=project.name)
    if project.song_blob is not None:
        try:
            data = await run_in_threadpool(studio.blobs.get, project.song_blob)
            song = await run_in_threadpool(read_midi, data)
        except BandmateError:
            log.exception("song %s of %s does not read", project.song_blob, project.id)
    return await run_in_threadpool(lambda: encode_state(song_to_doc(song)))


async def sync_socket(websocket: WebSocket) -> None:
    """One member's live connection to a project's song document (at :data:`SYNC_PATH`)."""
    project_id: str = websocket.path_params["project_id"]
    admitted = await admit(websocket, project_id)
    if admitted is None:
        return
    user, access = admitted
    studio = studio_of(websocket.app)
    rooms = rooms_of(websocket.app)
    acks = websocket.query_params.get("ack") == "1"
    member = rooms.new_member(user.id, can_edit=can_edit(access.role), acks=acks)
    try:
        seed = partial(seed_update, studio, access.project)
        room = await rooms.join(project_id, member, seed=seed)
    except Exception as exc:
        code, reason = close_of(exc, CLOSE_CODES)
        log.exception("room %s did not open", project_id, extra={"project_id": project_id})
        await close_quietly(websocket, code, reason)
        return
    try:
        # Read the role again now that membership events reach this member: a change that
        # committed while the room was loading is seen here or by an event, never missed.
        role = await studio.projects.role_of(project_id, user.id)
        if role is None:
            member.close(CloseCode.NOT_FOUND, f"project_id={project_id!r} does not exist")
        else:
            member.can_edit = can_edit(role)
        await _serve(websocket, room, member)
    finally:
        rooms.leave(room, member)


async def _serve(websocket: WebSocket, room: Room, member: Member) -> None:
    conn = lean_connection(websocket.scope)
    if conn is not None:
        await _serve_lean(conn, room, member)
        return
    await serve_both(
        _send(websocket, member),
        _receive(asgi_messages(websocket), room, member),
        lambda: member.outbox.closing is not None,
    )


async def _serve_lean(conn: WsConnection, room: Room, member: Member) -> None:
    # Frames go to the transport as they are queued (what it cannot take waits in the
    # outbox until it drains). Each frame is handled as it is read, in the transport's
    # callback: no task switch per update; one that must wait (for its commit, or for the
    # update in progress) finishes in the room's own callbacks, which report its errors.
    member.failed = partial(_refuse, room, member)

    def on_message(data: bytes | str) -> None:
        if member.outbox.closing is not None:
            return  # refused already: what it sent after that is dropped
        if isinstance(data, str):
            member.close(CloseCode.UNSUPPORTED_DATA, "frames must be binary, not text")
            return
        try:
            room.feed(member, data)
        except Exception as exc:
            _refuse(room, member, exc)

    member.outbox.attach(conn)
    conn.attach(member.outbox)
    await conn.serve(on_message)


async def _send(websocket: WebSocket, member: Member) -> None:
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):  # the peer left
        while True:
            item = await member.outbox.next()
            if isinstance(item, Close):
                await websocket.close(item.code, item.reason)
                return
            await websocket.send_bytes(item)


async def _receive(
    receive: Callable[[], Awaitable[bytes | str | None]], room: Room, member: Member
) -> None:
    while True:
        data = await receive()
        if data is None:
            return
        if isinstance(data, str):
            member.close(CloseCode.UNSUPPORTED_DATA, "frames must be binary, not text")
            return
        try:
            await room.receive(member, data)
        except Exception as exc:
            _refuse(room, member, exc)
            return


def _refuse(room: Room, member: Member, exc: Exception) -> None:
    """Close ``member``'s connection with the close code for ``exc`` (logged if internal)."""
    code, reason = close_of(exc, CLOSE_CODES)
    if code == CloseCode.INTERNAL:
        log.error(
            "sync message failed",
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"project_id": room.project_id},
        )
    member.close(code, reason, notice=code == CloseCode.FORBIDDEN)
