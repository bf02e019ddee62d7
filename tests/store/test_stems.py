"""The ``stems`` table: rows per project, read only through their project, gone with it,
and which blobs a deleted project leaves unused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, inspect
from sqlalchemy.engine import Connection

from bandmate.store import repos
from bandmate.store.engine import Database
from bandmate.store.jobs import JobStore
from bandmate.store.migrate import current_revision, upgrade
from bandmate.store.models import UserRow
from bandmate.store.stems import Stem, StemStore

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
A, B, C = "a" * 64, "b" * 64, "c" * 64


async def test_stems_belong_to_their_project_and_go_with_it(database: Database) -> None:
    stems = StemStore(database)
    async with database.transaction() as db:
        user = await repos.insert_user(db, username="ana", password_hash="x", now=NOW)
        first = await repos.insert_project(db, name="First", owner_id=user.id, now=NOW)
        second = await repos.insert_project(db, name="Second", owner_id=user.id, now=NOW)
        seeded = await repos.insert_project(
            db, name="Seeded", owner_id=user.id, now=NOW, song_blob=C
        )

    async def add(project_id: str, digest: str, track_id: str, minute: int) -> Stem:
        return await stems.add(
            project_id=project_id,
            uploader_id=user.id,
            digest=digest,
            mime="audio/webm",
            size=10,
            duration_ms=1500.0,
            track_id=track_id,
            now=NOW + timedelta(minutes=minute),
        )

    await add(first.id, C, "T3", 3)
    a = await add(first.id, A, "T1", 1)
    await add(first.id, B, "T2", 2)
    await add(second.id, A, "T9", 0)
    assert a.created_at == NOW + timedelta(minutes=1)
    assert await stems.find(first.id, A) == a
    assert await stems.find(seeded.id, A) is None
    assert await stems.digests(first.id) == [A, B, C]
    assert [s.track_id for s in await stems.list_for_project(first.id)] == ["T1", "T2", "T3"]

    digests = await stems.digests(first.id)
    async with database.transaction() as db:
        await repos.delete_project(db, first.id)
    assert await stems.list_for_project(first.id) == []
    # A: still a stem of the second project; C: the seed of another; B: nobody's.
    assert await stems.orphans(digests) == [B]
    assert await stems.orphans([]) == []
    # Deleting a job whose result is the same bytes as a stem keeps the stem's blob.
    assert await JobStore(database).blob_in_use(A)
    assert not await JobStore(database).blob_in_use(B)

    # A deleted account leaves its stems, no longer attributed.
    async with database.transaction() as db:
        await db.execute(delete(UserRow).where(UserRow.id == user.id))
    found = await stems.find(second.id, A)
    assert found is not None
    assert found.uploader_id is None


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_stems_revision_upgrades_a_jobs_release_database(empty_db_url: str) -> None:
    database = Database(empty_db_url)
    try:
        await upgrade(database, "0002")
        async with database.engine.connect() as conn:
            assert "stems" not in await conn.run_sync(_tables)
        await upgrade(database, "0003")
        assert await current_revision(database) == "0003"
        async with database.engine.connect() as conn:
            assert "stems" in await conn.run_sync(_tables)
    finally:
        await database.close()
