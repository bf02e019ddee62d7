"""``/api/projects/{project_id}/jam``: a project's jam room over a WebSocket (JSON text frames).

The handshake is the sync endpoint's (:mod:`bandmate.server.routes_sync`): a foreign
``Origin`` is refused with HTTP 403 before the socket is accepted, no valid session
cookie closes with 4401, a project that does not exist or whose member the user is not
closes with 4404. Editors and owners play; viewers listen (they get the room state,
the clock and every note, and are closed with 4403 if they send anything but clock
pings and WebRTC signalling). A member removed from the project is closed with 4403 at
once; a role change takes effect at once.

The protocol (``docs/jam.md``) is :mod:`bandmate.jam.protocol`; the room logic is
:class:`bandmate.jam.room.JamRoom`. Every error on an open connection closes it with a
code from :data:`CLOSE_CODES`: malformed 4400, spoofed player id 4409, flood 4429, too
big 1009, binary frame 1003, a viewer playing 4403, a full room or a receiver too far
behind 1013, a server failure 1011. A take that cannot be recorded (the transport is
stopped, no note was played) is not an error of the connection: the player gets a
``notice``. An ended take is written into the song by :func:`bandmate.jam.song.write_take`
and every player hears of it (``take`` message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from functools import partial

from fastapi import APIRouter, FastAPI, Request, Response, WebSocket
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from bandmate.auth.projects import can_edit
from bandmate.jam.errors import (
    JamDeniedError,
    JamError,
    JamFloodError,
    JamProtocolError,
    JamTooBigError,
    SpoofError,
    TakeError,
)
from bandmate.jam.ice import ice_servers_for
from bandmate.jam.protocol import encode, encode_pong
from bandmate.jam.room import Close, JamRoom, Player
from bandmate.jam.rooms import JamRooms
from bandmate.jam.song import StemClip, write_stem, write_take
from bandmate.jam.stem import StemError, sniff_stem, stem_info_from_json
from bandmate.jam.take import Take
from bandmate.jam.uploads import StemUploads
from bandmate.server.routes_sync import rooms_of, seed_update
from bandmate.server.schemas import ErrorOut
from bandmate.server.services import Studio, StudioDep, UserDep, studio_of
from bandmate.server.sockets import admit, asgi_messages, close_of, close_quietly, serve_both
from bandmate.server.wsconn import WsConnection, lean_connection
from bandmate.store.errors import ConflictError, NotFoundError
from bandmate.store.records import Project, Role
from bandmate.store.stems import StemStore
from bandmate.sync.limits import CloseCode

log = logging.getLogger(__name__)

router = APIRouter(tags=["jam"])

JAM_PATH = "/api/projects/{project_id}/jam"

SPOOFED = 4409
"""A message that claims another player's id (the jam's one code besides the sync ones)."""

CLOSE_CODES: tuple[tuple[type[Exception], int], ...] = (
    (JamTooBigError, CloseCode.TOO_BIG),
    (JamFloodError, CloseCode.FLOOD),
    (SpoofError, SPOOFED),
    (JamDeniedError, CloseCode.FORBIDDEN),
    (JamProtocolError, CloseCode.BAD_MESSAGE),
    (JamError, CloseCode.BAD_MESSAGE),
)
"""Most specific first; anything else is 1011 with a generic reason (and logged)."""


def install(app: FastAPI, studio: Studio) -> JamRooms:
    """Mount the jam endpoint on ``app`` with a room manager following membership events.

    Call it after :func:`bandmate.server.routes_sync.install`: takes are written
    through the sync rooms.
    """
    jams = JamRooms()
    app.state.jam_rooms = jams
    app.state.jam_writes = set()
    app.state.jam_uploads = StemUploads(studio.settings.data_dir / "jam-uploads")
    app.state.jam_finishing = set()
    # A plain Starlette route, as the sync socket's (see routes_sync.install).
    app.router.add_websocket_route(JAM_PATH, jam_socket, name="jam_socket")
    studio.events.on_member_removed(jams.remove_user)

    def on_role_changed(project_id: str, user_id: str, role: Role) -> None:
        jams.set_can_play(project_id, user_id, can_edit(role))

    studio.events.on_role_changed(on_role_changed)
    app.include_router(router)
    return jams


def jams_of(app: FastAPI) -> JamRooms:
    """The jam room manager :func:`install` put on ``app``."""
    jams = app.state.jam_rooms
    if not isinstance(jams, JamRooms):
        raise TypeError(f"app.state.jam_rooms={jams!r} is not a JamRooms")
    return jams


async def close_jams(app: FastAPI) -> None:
    """Close every jam connection and wait for the takes being written (on shutdown)."""
    jams_of(app).close_all()
    writes: set[asyncio.Task[None]] = app.state.jam_writes
    if writes:
        await asyncio.gather(*writes, return_exceptions=True)


async def jam_socket(websocket: WebSocket) -> None:
    """One member's live connection to a project's jam room (at :data:`JAM_PATH`)."""
    project_id: str = websocket.path_params["project_id"]
    admitted = await admit(websocket, project_id)
    if admitted is None:
        return
    user, access = admitted
    studio = studio_of(websocket.app)
    jams = jams_of(websocket.app)
    try:
        player = jams.join(project_id, user.id, user.username, can_play=can_edit(access.role))
    except JamError as exc:
        await close_quietly(websocket, CloseCode.TRY_AGAIN_LATER, str(exc))
        return
    room = jams.get(project_id)
    assert room is not None  # it has a player: this one
    player.send(encode({"t": "ice", "servers": _ice_servers(studio, user.id)}))
    try:
        # Read the role again now that membership events reach this player (as sync does).
        role = await studio.projects.role_of(project_id, user.id)
        if role is None:
            player.outbox.close(CloseCode.NOT_FOUND, f"project_id={project_id!r} does not exist")
        else:
            player.can_play = can_edit(role)
        await _serve(websocket, room, player, access.project)
    finally:
        take = jams.leave(room, player)
        if take is not None:
            _write_later(websocket.app, room, access.project, take)


def _ice_servers(studio: Studio, user_id: str) -> list[dict[str, object]]:
    """The STUN/TURN servers for a member's WebRTC connections (TURN REST credentials made
    for them); only members get here, so nobody else learns the TURN credentials."""
    settings = studio.settings
    return ice_servers_for(
        settings.ice_servers,
        user_id,
        secret=settings.turn_secret,
        ttl_s=settings.turn_ttl_s,
        now_s=time.time(),
    )


async def _serve(websocket: WebSocket, room: JamRoom, player: Player, project: Project) -> None:
    conn = lean_connection(websocket.scope)
    if conn is not None:
        await _serve_lean(conn, websocket.app, room, player, project)
        return
    receive = asgi_messages(websocket)

    async def receiving() -> None:
        while (message := await receive()) is not None:
            if not _handle(websocket.app, room, player, project, message, room.clock()):
                return

    await serve_both(
        _send(websocket, room, player),
        receiving(),
        lambda: player.outbox.closing is not None,
    )


async def _serve_lean(
    conn: WsConnection, app: FastAPI, room: JamRoom, player: Player, project: Project
) -> None:
    # Each frame is handled as it is read, in the transport's callback (the room's
    # handling is synchronous): no task switch between a note arriving and its relay.
    def on_message(message: bytes | str) -> None:
        _handle(app, room, player, project, message, room.clock())

    # Pongs are stamped as late as possible: t2 is the send time.
    player.outbox.attach(conn, render=lambda pong: encode_pong(pong.ping, pong.t1, room.clock()))
    conn.attach(player.outbox)
    await conn.serve(on_message)


async def _send(websocket: WebSocket, room: JamRoom, player: Player) -> None:
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):  # the peer left
        while True:
            items = await player.outbox.next()
            if isinstance(items, Close):
                await websocket.close(items.code, items.reason)
                return
            now = room.clock()  # pongs are stamped as late as possible: t2 is the send time
            frames = [i if isinstance(i, str) else encode_pong(i.ping, i.t1, now) for i in items]
            # What queued up while this socket was being written goes as one frame: a JSON
            # array of the messages, in order (fewer, larger writes when the server is busy).
            await websocket.send_text(frames[0] if len(frames) == 1 else f"[{','.join(frames)}]")


def _handle(
    app: FastAPI,
    room: JamRoom,
    player: Player,
    project: Project,
    message: bytes | str,
    received_ms: float,
) -> bool:
    """Handle one frame of ``player``'s; ``False`` once its connection is being closed."""
    if not isinstance(message, str):
        player.outbox.close(CloseCode.UNSUPPORTED_DATA, "frames must be JSON text, not binary")
        return False
    try:
        takes = room.receive(player, message, received_ms=received_ms)
    except TakeError as exc:
        player.send(encode({"t": "notice", "message": str(exc)}))
        return True
    except Exception as exc:
        code, reason = close_of(exc, CLOSE_CODES)
        if code == CloseCode.INTERNAL:
            log.exception("jam message failed", extra={"project_id": room.project_id})
        player.outbox.close(code, reason)
        return False
    for take in takes:
        _write_later(app, room, project, take)
    return player.outbox.closing is None


def _write_later(app: FastAPI, room: JamRoom, project: Project, take: Take) -> None:
    """Write ``take`` into the song without holding up the relay."""
    writes: set[asyncio.Task[None]] = app.state.jam_writes
    task = asyncio.create_task(_write(app, room, project, take))
    writes.add(task)
    task.add_done_callback(writes.discard)


async def _write(app: FastAPI, room: JamRoom, project: Project, take: Take) -> None:
    studio = studio_of(app)
    notice = {"t": "take", "player": take.player_id, "name": take.track_name}
    try:
        role = await studio.projects.role_of(project.id, take.user_id)
        if role is None or not can_edit(role):
            raise TakeError(f"user {take.user_id!r} may no longer edit {project.id!r}")
        seed = partial(seed_update, studio, project)
        track_id = await write_take(rooms_of(app), project.id, take, seed=seed)
    except TakeError as exc:
        room.broadcast({**notice, "ok": False, "message": str(exc)})
        return
    except Exception:
        log.exception("take of %s not written", take.player_id, extra={"project_id": project.id})
        room.broadcast({**notice, "ok": False, "message": "the take could not be saved"})
        return
    room.broadcast({**notice, "ok": True, "track_id": track_id})


# Audio takes (stems) ------------------------------------------------------------------------


_STEM_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "A bad upload id, part number or finish field"},
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "A viewer (only editors record), or CSRF failed"},
    404: {"model": ErrorOut, "description": "No such project (or not a member), or stem"},
    409: {"model": ErrorOut, "description": "The upload is being finished by another request"},
    413: {"model": ErrorOut, "description": "A part over the body cap"},
    422: {"model": ErrorOut, "description": "Not a WebM/Ogg Opus or WAV recording"},
}
_PART_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_FINISH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["parts", "start_quarter", "duration_ms"],
                    "properties": {
                        "parts": {"type": "integer", "minimum": 1, "maximum": 4096},
                        "start_quarter": {"type": "number"},
                        "duration_ms": {"type": "number", "exclusiveMinimum": 0},
                        "label": {"type": "string", "enum": ["instrument", "voice"]},
                    },
                }
            }
        },
    }
}


def uploads_of(app: FastAPI) -> StemUploads:
    """The staged stem uploads :func:`install` put on ``app``."""
    uploads = app.state.jam_uploads
    if not isinstance(uploads, StemUploads):
        raise TypeError(f"app.state.jam_uploads={uploads!r} is not a StemUploads")
    return uploads


@router.put(
    "/api/projects/{project_id}/jam/stems/{upload_id}/parts/{index}",
    status_code=204,
    response_class=Response,
    responses=_STEM_ERRORS,
    openapi_extra=_PART_BODY,
)
async def put_stem_part(
    project_id: str, upload_id: str, index: int, request: Request, user: UserDep, studio: StudioDep
) -> Response:
    """Upload part ``index`` of an audio take (editors and owners; raw bytes, each part under
    the server's body cap; sending a part again replaces it)."""
    await studio.projects.access(user, project_id, "editor")
    data = await request.body()
    uploads = uploads_of(request.app)
    await run_in_threadpool(uploads.put_part, project_id, user.id, upload_id, index, data)
    return Response(status_code=204)


@router.post(
    "/api/projects/{project_id}/jam/stems/{upload_id}",
    status_code=201,
    responses=_STEM_ERRORS,
    openapi_extra=_FINISH_BODY,
)
async def finish_stem(
    project_id: str, upload_id: str, request: Request, user: UserDep, studio: StudioDep
) -> JSONResponse:
    """Finish an audio take: its parts joined, checked (WebM/Ogg Opus or WAV), stored as a
    blob and written into the song as an ``audio`` track authored by the player.

    Body: ``{"parts", "start_quarter", "duration_ms", "label"}``. Finishing again answers
    what the first finish answered (200), so a browser that missed the answer can ask again.
    """
    access = await studio.projects.access(user, project_id, "editor")
    uploads = uploads_of(request.app)
    done = await run_in_threadpool(uploads.finished, project_id, user.id, upload_id)
    if done is not None:
        return JSONResponse(done, status_code=200)
    try:
        body = await request.json()
    except ValueError as exc:
        raise StemError(f"the body must be JSON: {exc}") from exc
    info = stem_info_from_json(body)
    key = (project_id, user.id, upload_id)
    finishing: set[tuple[str, str, str]] = request.app.state.jam_finishing
    if key in finishing:
        raise ConflictError(f"upload {upload_id!r} is being finished: ask again")
    finishing.add(key)
    try:
        data = await run_in_threadpool(uploads.assemble, project_id, user.id, upload_id, info.parts)
        mime = sniff_stem(data)
        digest = await run_in_threadpool(studio.blobs.put, data)
        clip = StemClip(
            user_id=user.id,
            name=f"{user.username} – {info.label} audio",
            blob=digest,
            mime=mime,
            start_quarter=info.start_quarter,
            duration_ms=info.duration_ms,
        )
        seed = partial(seed_update, studio, access.project)
        track_id = await write_stem(rooms_of(request.app), project_id, clip, seed=seed)
        await StemStore(studio.database).add(
            project_id=project_id,
            uploader_id=user.id,
            digest=digest,
            mime=mime,
            size=len(data),
            duration_ms=info.duration_ms,
            track_id=track_id,
        )
        result = {"track_id": track_id, "blob": digest, "mime": mime, "bytes": len(data)}
        await run_in_threadpool(uploads.finish, project_id, user.id, upload_id, result)
    finally:
        finishing.discard(key)
    room = jams_of(request.app).get(project_id)
    if room is not None:
        room.broadcast({"t": "stem", "user": user.username, "name": clip.name, **result})
    return JSONResponse(result, status_code=201)


@router.get(
    "/api/projects/{project_id}/jam/stems/{digest}",
    response_class=Response,
    responses={
        **_STEM_ERRORS,
        200: {
            "content": {"audio/webm": {}, "audio/ogg": {}, "audio/wav": {}},
            "description": "The recording",
        },
    },
)
async def get_stem(
    project_id: str, digest: str, request: Request, user: UserDep, studio: StudioDep
) -> Response:
    """An audio take's recording (any member of the project it was recorded in)."""
    await studio.projects.access(user, project_id)
    stem = await StemStore(studio.database).find(project_id, digest)
    if stem is None:
        raise NotFoundError(f"project {project_id!r} has no stem {digest[:70]!r}")
    data = await run_in_threadpool(studio.blobs.get, digest)
    # A stem never changes (its name is its SHA-256): browsers may keep it.
    headers = {"Cache-Control": "private, max-age=31536000, immutable"}
    return Response(content=data, media_type=stem.mime, headers=headers)


async def stem_leftovers(studio: Studio, project_id: str) -> list[str]:
    """The blobs of a project's stems, read before the project is deleted (its cascade
    removes the rows; :func:`clean_up_stems` deletes what no one else uses after)."""
    return await StemStore(studio.database).digests(project_id)


async def clean_up_stems(app: FastAPI, project_id: str, digests: list[str]) -> None:
    """After a project was deleted: drop its staged uploads, and the blobs of its stems
    that no other project's stem, job result or song seed uses."""
    studio = studio_of(app)
    await run_in_threadpool(uploads_of(app).drop_project, project_id)
    for digest in await StemStore(studio.database).orphans(digests):
        await run_in_threadpool(studio.blobs.delete, digest)
