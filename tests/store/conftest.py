"""Fixtures: a migrated database on each back end (SQLite in a temp dir, PostgreSQL).

PostgreSQL tests get a fresh database per test, cloned from a template migrated
once per session; every database is dropped at the end. The server is
``BANDMATE_TEST_POSTGRES_URL`` (default: the local server's ``postgres`` db).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from bandmate.store.engine import Database, create_database, drop_database, sqlite_url
from bandmate.store.migrate import upgrade
from tests.postgres import PG_SERVER, unique_name

BACKENDS = ["sqlite", "postgresql"]


def _temporary_database(template: str | None, tag: str) -> Iterator[str]:
    name = unique_name(tag)
    url = asyncio.run(create_database(PG_SERVER, name, template=template))
    try:
        yield url
    finally:
        asyncio.run(drop_database(PG_SERVER, name))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each back end: SQLite in a temp dir, or a fresh migrated PostgreSQL db."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "bandmate.db")
    else:
        yield from _temporary_database(request.getfixturevalue("pg_template"), "db")


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with no tables at all, on each back end."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "empty.db")
    else:
        yield from _temporary_database(None, "empty")


OpenDb = Callable[[str], AbstractAsyncContextManager[Database]]


@pytest.fixture
def open_db(tmp_path: Path, pg_template: str) -> OpenDb:
    """Opens a migrated database on the named back end; PostgreSQL ones are dropped after."""

    @asynccontextmanager
    async def open_(backend: str) -> AsyncIterator[Database]:
        name = None
        if backend == "sqlite":
            url = sqlite_url(tmp_path / f"{uuid.uuid4().hex}.db")
        else:
            name = unique_name("db")
            url = await create_database(PG_SERVER, name, template=pg_template)
        db = Database(url)
        try:
            await upgrade(db)
            yield db
        finally:
            await db.close()
            if name is not None:
                await drop_database(PG_SERVER, name)

    return open_


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, open_db: OpenDb) -> AsyncIterator[Database]:
    """A migrated database on each back end."""
    async with open_db(request.param) as db:
        yield db
