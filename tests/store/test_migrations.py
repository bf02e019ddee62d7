"""Alembic: the revisions create exactly the models' schema on both back ends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bandmate.store.engine import Database
from bandmate.store.migrate import current_revision, head_revision, upgrade
from bandmate.store.models import Base

pytestmark = pytest.mark.anyio

TABLES = {
    "alembic_version",
    "users",
    "sessions",
    "projects",
    "memberships",
    "invitations",
    "project_updates",
    "project_snapshots",
    "jobs",
    "stems",
    "loop_uploads",
    "loop_events",
    "loop_audio",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


@pytest.fixture
def empty(empty_db_url: str) -> Database:
    return Database(empty_db_url)


async def test_upgrade_creates_the_schema(empty: Database) -> None:
    try:
        assert await current_revision(empty) is None
        await upgrade(empty)
        async with empty.engine.connect() as conn:
            assert await conn.run_sync(_tables) == TABLES
            assert await conn.run_sync(_diff) == []
        assert await current_revision(empty) == head_revision() == "0004"
    finally:
        await empty.close()


async def test_upgrade_twice_is_a_no_op(empty: Database) -> None:
    try:
        await upgrade(empty)
        await upgrade(empty)
        assert await current_revision(empty) == head_revision()
    finally:
        await empty.close()


async def test_jobs_revision_upgrades_a_first_release_database(empty: Database) -> None:
    try:
        await upgrade(empty, "0001")
        async with empty.engine.connect() as conn:
            assert "jobs" not in await conn.run_sync(_tables)
        await upgrade(empty)
        async with empty.engine.connect() as conn:
            assert await conn.run_sync(_tables) == TABLES
            assert await conn.run_sync(_diff) == []
    finally:
        await empty.close()
