"""Opening databases: URL mapping, SQLite pragmas, PostgreSQL database admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bandmate.store.engine import Database, async_url, create_database, database_url, sqlite_url
from bandmate.store.errors import DatabaseUrlError

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_async_url_picks_the_async_driver(url: str, driver: str) -> None:
    assert async_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "oracle://x"])
def test_async_url_rejects_other_back_ends(url: str) -> None:
    with pytest.raises(DatabaseUrlError, match="database_url="):
        async_url(url)


def test_async_url_hides_the_password_in_errors() -> None:
    with pytest.raises(DatabaseUrlError) as info:
        async_url("mysql://user:hunter2@h/db")
    assert "hunter2" not in str(info.value)


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "sub" / "x.db"))
    try:
        async with db.engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        assert (mode, keys, busy) == ("wal", 1, 10_000)
        assert (tmp_path / "sub").is_dir()
        assert db.backend == "sqlite"
    finally:
        await db.close()


def test_database_repr_hides_the_password() -> None:
    db = Database("postgresql://user:hunter2@127.0.0.1/x")
    assert "hunter2" not in repr(db)
    assert db.backend == "postgresql"


@pytest.mark.parametrize("name", ["Robert'); DROP", "x" * 64, "1abc", 'a"b', ""])
async def test_admin_refuses_unsafe_database_names(name: str) -> None:
    with pytest.raises(DatabaseUrlError, match="must match"):
        await create_database("postgresql://postgres@127.0.0.1/postgres", name)


def test_database_url_swaps_the_database() -> None:
    url = database_url("postgresql://u:p@h:5432/postgres", "other")
    assert url == "postgresql+asyncpg://u:p@h:5432/other"
