"""The ASGI application and how it starts.

:func:`create_app` wires settings, services, routes and guards. On start-up (the
ASGI lifespan) the database is migrated to the newest schema and, on the very
first start, the demo account is seeded; on shutdown connections close.
:func:`run` serves the app with uvicorn (``bandmate serve`` calls it).
Middleware, outermost first: access log, guard (body cap, origin, CSRF).

The demo: user ``demo`` with password ``bandmate-demo`` (logged clearly; change
it or remove the account on a public server) owning "First Light", whose seed
song is :func:`bandmate.music.demo.demo_song` stored as a MIDI blob.
"""

from __future__ import annotations

import gc
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

import bandmate
from bandmate.formats.midi import write_midi
from bandmate.music.demo import demo_song
from bandmate.server import (
    routes_assist,
    routes_auth,
    routes_jam,
    routes_jobs,
    routes_listen,
    routes_projects,
    routes_sync,
    routes_web,
)
from bandmate.server.errors import install_error_handlers
from bandmate.server.logs import AccessLog, configure_logging
from bandmate.server.security import Guard
from bandmate.server.services import Studio, build_studio, studio_of
from bandmate.server.settings import Settings
from bandmate.server.wsconn import lean_ws, paths_pattern
from bandmate.store.errors import UsernameTakenError
from bandmate.store.migrate import upgrade
from bandmate.store.records import Access

log = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_S = 5
"""How long a stopping server lets open responses finish before closing them."""

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "bandmate-demo"

DESCRIPTION = """\
Bandmate's HTTP API. Authentication is a session cookie (`bandmate_session`, HttpOnly).
Every POST, PATCH and DELETE must carry the `bandmate_csrf` cookie's value in the
`X-CSRF-Token` header (`GET /api/auth/csrf` issues one) and, from a browser, an
`Origin` of this server or an allowed one. Bodies are capped (413 beyond the cap).
Errors are always `{"error": {"code": ..., "message": ...}}`.
"""


class Health(BaseModel):
    """Liveness answer."""

    status: str
    version: str


async def seed_demo(studio: Studio) -> Access | None:
    """Create the demo account and project when the database has no accounts yet.

    Returns:
        The demo project, or ``None`` when accounts already existed.
    """
    if await studio.accounts.count_users() > 0:
        return None
    try:
        user, token = await studio.accounts.sign_up(DEMO_USERNAME, DEMO_PASSWORD)
    except UsernameTakenError:  # another process seeded it first
        return None
    await studio.accounts.sign_out(token)
    song = demo_song()
    digest = await run_in_threadpool(studio.blobs.put, write_midi(song))
    access = await studio.projects.create(user, song.title, song_blob=digest)
    log.warning(
        "created demo account: username %r, password %r; change it before exposing this server",
        DEMO_USERNAME,
        DEMO_PASSWORD,
        extra={"username": DEMO_USERNAME, "project_id": access.project.id},
    )
    return access


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    studio = studio_of(app)
    await upgrade(studio.database)
    log.info("database ready", extra={"database": repr(studio.database)})
    if studio.settings.seed_demo:
        await seed_demo(studio)
    await studio.jobs.start()
    try:
        yield
    finally:
        await studio.jobs.stop()
        await routes_jam.close_jams(app)  # first: takes are written through the sync rooms
        await routes_sync.close_rooms(app)
        await studio.close()


def create_app(settings: Settings, *, studio: Studio | None = None) -> FastAPI:
    """Build the Bandmate ASGI app.

    Args:
        settings: Where data lives and how the server behaves.
        studio: Services to use instead of building them from ``settings``.

    Returns:
        A FastAPI app; its lifespan migrates the database before the first request.
    """
    app = FastAPI(
        title="Bandmate",
        version=bandmate.__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
    )
    app.state.studio = studio or build_studio(settings)
    install_error_handlers(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_projects.router)
    app.include_router(routes_jobs.router)
    app.include_router(routes_assist.router)
    app.include_router(routes_listen.router)
    routes_sync.install(app, app.state.studio)
    routes_jam.install(app, app.state.studio)

    @app.get("/api/health", tags=["meta"])
    async def health() -> Health:
        """Liveness check."""
        return Health(status="ok", version=bandmate.__version__)

    routes_web.install(app)  # last: its catch-all serves the studio at /
    app.add_middleware(
        Guard,
        secret=settings.secret,
        max_body_bytes=settings.max_body_bytes,
        allowed_origins=settings.allowed_origins,
    )
    app.add_middleware(AccessLog)
    return app


PROJECT_SOCKETS = (routes_sync.SYNC_PATH, routes_jam.JAM_PATH)
"""The WebSocket routes that do their own checks and run on the lean connection."""


class SyncSocketsFirst:
    """Hands the project WebSocket connections (sync and jam) straight to the app's router.

    Every middleware of the app passes WebSockets through untouched, yet each would keep a
    coroutine frame alive for as long as the connection lives; with thousands of idle
    members per server those frames are a good part of what a connection costs. The
    project sockets check the origin, the session and the membership themselves (see
    :mod:`bandmate.server.sockets`). Everything else goes through the whole app.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._paths = paths_pattern(PROJECT_SOCKETS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and self._paths.match(scope["path"]):
            scope["app"] = self.app
            await self.app.router(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _Server(uvicorn.Server):
    """Uvicorn's server, which hands what start-up built to the garbage collector's
    permanent generation once it is up.

    A full collection walks every tracked object: the app, its routes and the libraries
    behind them are about 200,000 objects after start-up, a 110-150 ms pause on this
    machine, in which no note is relayed and no update broadcast (the jam relay's p99
    doubled in a round that had one). Frozen, they are never walked again; a full
    collection then walks what was made since (connections, rooms, documents).
    """

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()
        gc.freeze()


def build_server(settings: Settings) -> uvicorn.Server:
    """A uvicorn server for the app, with Bandmate's JSON logging.

    Uvicorn's own logging setup and access log are off: :func:`configure_logging`
    and :class:`~bandmate.server.logs.AccessLog` replace them.
    """
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        SyncSocketsFirst(create_app(settings)),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        ws_max_size=settings.max_body_bytes,
        # The project sockets run on Bandmate's lean connection, any other on uvicorn's own.
        ws=lean_ws(PROJECT_SOCKETS),
        # Song updates are small binary CRDT frames that barely compress; deflate would cost
        # CPU per frame and a compressor per connection (the Node y-websocket server has it off).
        ws_per_message_deflate=False,
        # Open job event streams (SSE) would hold a shutdown until their jobs end.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    return _Server(config)


def run(settings: Settings) -> None:
    """Start the server and block until it is stopped (Ctrl-C or SIGTERM)."""
    build_server(settings).run()
