"""Fixtures: settings on a fresh database, the running app, and HTTP clients per person.

The app runs in-process behind ``httpx.ASGITransport`` with its lifespan (so
migrations run as in production). Tests on PostgreSQL get a database cloned from
a template migrated once per session, dropped afterwards. Password hashing uses
cheap argon2id parameters so that the suite stays fast; production defaults are
tested separately.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bandmate.auth.credentials import HashCost
from bandmate.server import Settings, create_app
from bandmate.store.engine import create_database, drop_database, sqlite_url
from tests.postgres import PG_SERVER, unique_name

SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` unless a test parametrizes it (indirectly) with ``postgresql``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> Iterator[Settings]:
    """Test settings on a fresh database of the chosen back end."""
    data_dir = tmp_path / "data"

    def make(url: str) -> Settings:
        return Settings(
            data_dir=data_dir,
            database_url=url,
            secret=SECRET,
            password_cost=HashCost(time_cost=1, memory_kib=1024, parallelism=1),
            seed_demo=False,
        )

    if backend == "sqlite":
        yield make(sqlite_url(data_dir / "bandmate.db"))
        return
    template = request.getfixturevalue("pg_template")
    name = unique_name("srv")
    url = asyncio.run(create_database(PG_SERVER, name, template=template))
    try:
        yield make(url)
    finally:
        asyncio.run(drop_database(PG_SERVER, name))


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app built from ``settings``, started (migrated) and stopped around the test."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """Makes HTTP clients, one cookie jar per person; closes them after the test.

    ``await make_client(app, "alice")`` signs up ``alice`` (password :data:`PASSWORD`);
    with no name the client stays anonymous. Every client fetches a CSRF token first
    and sends it on each request unless ``csrf=False``.
    """
    clients: list[httpx.AsyncClient] = []

    async def make(
        app: FastAPI,
        username: str | None = None,
        *,
        ip: str = "127.0.0.1",
        https: bool = False,
        csrf: bool = True,
    ) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 50000))
        scheme = "https" if https else "http"
        client = httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver")
        clients.append(client)
        if csrf:
            token = (await client.get("/api/auth/csrf")).json()["csrf_token"]
            client.headers["X-CSRF-Token"] = token
        if username is not None:
            response = await client.post(
                "/api/auth/signup", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 201, response.text
        return client

    yield make
    for client in clients:
        await client.aclose()
