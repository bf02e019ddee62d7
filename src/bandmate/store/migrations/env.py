"""Alembic environment: runs migrations on the connection :mod:`bandmate.store.migrate` passes.

Run from the ``alembic`` command line instead, it opens the URL configured as
``sqlalchemy.url`` (or ``BANDMATE_DATABASE_URL``) with the same async drivers.
It never configures logging: the application owns that.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bandmate.store.engine import Database
from bandmate.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await database.close()


def _main() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("BANDMATE_DATABASE_URL")
    if not url:
        raise SystemExit("set sqlalchemy.url or BANDMATE_DATABASE_URL to run migrations")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_with_url(url))


_main()
