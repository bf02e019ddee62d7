"""Schema migrations, applied programmatically with alembic.

The scripts live in ``bandmate/store/migrations`` (a package, so that they ship in
the wheel). :func:`upgrade` brings a database to the newest revision; running it
again is a no-op. Developers create new revisions with::

    alembic -c src/bandmate/store/migrations/alembic.ini revision -m "what changed"
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bandmate.store.engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An alembic configuration pointing at Bandmate's migration scripts.

    Args:
        url: The database URL for offline use; :func:`upgrade` passes a connection instead.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision id among the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate ``database`` to ``revision`` (the newest by default), in one transaction."""
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def current_revision(database: Database) -> str | None:
    """The revision ``database`` is at, or ``None`` when it was never migrated."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current)
