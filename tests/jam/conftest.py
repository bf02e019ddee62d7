"""Fixtures: the real server on a free port, people and projects, and jam clients."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
import uvicorn
from fastapi import FastAPI

from bandmate.jam.room import JamLimits
from bandmate.server import Settings, create_app, studio_of
from bandmate.server.app import PROJECT_SOCKETS
from bandmate.server.routes_jam import jams_of
from bandmate.server.routes_sync import rooms_of
from bandmate.server.wsconn import lean_ws
from bandmate.store.records import Role, User
from tests.server.conftest import PASSWORD, backend, settings  # noqa: F401 (fixtures)

from .jam_client import TIMEOUT_S, JamClient

LIMITS = JamLimits(messages_per_s=100, message_burst=200, events_per_s=400, event_burst=800)


@contextlib.asynccontextmanager
async def serving(
    app: FastAPI, host: str = "127.0.0.1", *, ws: Literal["lean", "asgi"] = "lean"
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


@dataclasses.dataclass
class Server:
    app: FastAPI
    host: str

    async def person(self, name: str) -> tuple[User, str]:
        return await studio_of(self.app).accounts.sign_up(name, PASSWORD)

    async def project(self, owner: User, name: str = "Jam", *members: tuple[User, Role]) -> str:
        """A project of ``owner``'s with ``members`` (user, role) invited and accepted."""
        studio = studio_of(self.app)
        project_id = (await studio.projects.create(owner, name)).project.id
        for user, role in members:
            _, token = await studio.projects.invite(owner, project_id, role)
            await studio.projects.accept(user, token)
        return project_id

    def url(self, project_id: str) -> str:
        return f"ws://{self.host}/api/projects/{project_id}/jam"

    async def player(self, project_id: str, token: str | None, **options: Any) -> JamClient:
        client = JamClient(self.url(project_id), token, **options)
        await client.connect()
        return client


def make_app(settings: Settings) -> FastAPI:  # noqa: F811 (the fixture's name)
    app = create_app(settings)
    jams_of(app).limits = LIMITS
    rooms = rooms_of(app)
    rooms.limits = dataclasses.replace(rooms.limits, close_grace_s=0.2)
    return app


@pytest.fixture(params=["lean", "asgi"])
async def server(
    settings: Settings,  # noqa: F811
    request: pytest.FixtureRequest,
) -> AsyncIterator[Server]:
    """The app served with the lean project sockets (as ``bandmate serve`` does) and
    through uvicorn's own WebSockets (as any ASGI server would)."""
    app = make_app(settings)
    async with serving(app, ws=request.param) as host:
        yield Server(app, host)
