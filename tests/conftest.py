"""Fixtures shared by every test folder: the async backend and a migrated PostgreSQL template."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bandmate.store.engine import Database, create_database, drop_database
from bandmate.store.migrate import upgrade
from tests.postgres import PG_SERVER, unique_name


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.close()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database to clone; dropped after the session."""
    name = unique_name("tpl")
    url = asyncio.run(create_database(PG_SERVER, name))
    try:
        asyncio.run(_migrate(url))
        yield name
    finally:
        asyncio.run(drop_database(PG_SERVER, name))
