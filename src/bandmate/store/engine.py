"""Opening the database: one async engine for SQLite (WAL) or PostgreSQL, same code.

URLs may name the plain back end (``sqlite:///x.db``, ``postgresql://host/db``);
they are mapped to the async drivers (aiosqlite, asyncpg). On SQLite every
connection runs in WAL mode with foreign keys on and a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE`` so that two writers queue instead of
failing half-way with "database is locked".
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bandmate.store.errors import DatabaseUrlError

Backend = Literal["sqlite", "postgresql"]

BUSY_TIMEOUT_MS = 10_000

_DRIVERS: dict[str, tuple[Backend, str]] = {
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "sqlite+aiosqlite": ("sqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql", "postgresql+asyncpg"),
    "postgres": ("postgresql", "postgresql+asyncpg"),
    "postgresql+asyncpg": ("postgresql", "postgresql+asyncpg"),
}


def sqlite_url(path: Path) -> str:
    """The async URL of the SQLite database file at ``path``."""
    return f"sqlite+aiosqlite:///{path}"


def async_url(url: str) -> URL:
    """Parse ``url`` and switch it to Bandmate's async driver for its back end.

    Raises:
        DatabaseUrlError: When the URL is malformed or names another back end.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"database_url={url!r} is not a valid URL") from exc
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise DatabaseUrlError(
            f"database_url={parsed.render_as_string(hide_password=True)!r} must use "
            "sqlite or postgresql"
        )
    return parsed.set(drivername=driver[1])


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook own transactions (pysqlite's implicit BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    ):
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An async engine and its session factory.

    Args:
        url: A SQLite or PostgreSQL URL (see :func:`async_url`).
        echo: Log every SQL statement (debugging).
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = async_url(url)
        self.backend: Backend = _DRIVERS[parsed.drivername][0]
        self.url = parsed
        if self.backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(parsed, echo=echo, pool_pre_ping=True)
        if self.backend == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _on_sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions.begin() as session:
            yield session

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


# Creating and dropping PostgreSQL databases (installation scripts, test suites). PostgreSQL
# runs CREATE DATABASE outside a transaction, on a connection to another database of the same
# server (usually ``postgres``); names are checked against a strict pattern before quoting.

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise DatabaseUrlError(f"database name={name!r} must match {_NAME.pattern}")
    return name


def database_url(server_url: str, name: str) -> str:
    """``server_url`` with its database replaced by ``name``, as a string with the password."""
    return async_url(server_url).set(database=_checked(name)).render_as_string(hide_password=False)


async def _execute_autocommit(server_url: str, sql: str) -> None:
    engine = create_async_engine(async_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def create_database(server_url: str, name: str, *, template: str | None = None) -> str:
    """Create the PostgreSQL database ``name`` and return its URL.

    Args:
        server_url: A URL of any database on the server (``.../postgres``).
        name: The new database's name.
        template: Copy this database (which must have no open connections).
    """
    sql = f'CREATE DATABASE "{_checked(name)}"'
    if template is not None:
        sql += f' TEMPLATE "{_checked(template)}"'
    await _execute_autocommit(server_url, sql)
    return database_url(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    """Drop the PostgreSQL database ``name`` if it exists, closing its connections."""
    await _execute_autocommit(
        server_url, f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)'
    )
