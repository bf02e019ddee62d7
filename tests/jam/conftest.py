"""Fixtures: the real server on a free port, people and projects, and jam clients."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from bandmate.jam.room import JamLimits
from bandmate.server import Settings, create_app, studio_of
from bandmate.server.routes_jam import jams_of
from bandmate.server.routes_sync import rooms_of
from bandmate.store.records import Role, User
from tests.server.conftest import PASSWORD, backend, settings  # noqa: F401 (fixtures)
from tests.server.sync_peer import serving

from .jam_client import JamClient

LIMITS = JamLimits(messages_per_s=100, message_burst=200, events_per_s=400, event_burst=800)


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
