"""Accounts and projects in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bandmate.store import repos
from bandmate.store.engine import Database
from bandmate.store.errors import NotFoundError, UsernameTakenError
from bandmate.store.models import MembershipRow, UpdateRow
from bandmate.store.updates import SqlUpdateLog

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


async def test_users_are_unique_by_name(database: Database) -> None:
    async with database.transaction() as db:
        alice = await repos.insert_user(db, username="alice", password_hash="h1", now=NOW)
    with pytest.raises(UsernameTakenError, match="username='alice' is already taken"):
        async with database.transaction() as db:
            await repos.insert_user(db, username="alice", password_hash="h2", now=NOW)
    async with database.transaction() as db:
        found = await repos.find_credentials(db, "alice")
        assert found == (alice, "h1")
        assert await repos.find_credentials(db, "bob") is None
        assert await repos.count_users(db) == 1


async def test_times_come_back_as_the_same_aware_utc_instant(database: Database) -> None:
    local = NOW.astimezone(timezone(timedelta(hours=-5)))
    async with database.transaction() as db:
        user = await repos.insert_user(db, username="tz", password_hash="h", now=local)
    async with database.transaction() as db:
        found = await repos.find_credentials(db, "tz")
    assert found is not None
    assert found[0].created_at == NOW == user.created_at
    assert found[0].created_at.tzinfo is UTC


async def test_sessions_expire(database: Database) -> None:
    async with database.transaction() as db:
        user = await repos.insert_user(db, username="s", password_hash="h", now=NOW)
        await repos.insert_session(
            db, token_hash="a" * 64, user_id=user.id, now=NOW, expires_at=NOW + timedelta(hours=1)
        )
    async with database.transaction() as db:
        assert await repos.find_session_user(db, "a" * 64, NOW) == user
        assert await repos.find_session_user(db, "a" * 64, NOW + timedelta(hours=2)) is None
        assert await repos.find_session_user(db, "b" * 64, NOW) is None
        assert await repos.delete_expired_sessions(db, NOW + timedelta(hours=2)) == 1
        assert await repos.delete_session(db, "a" * 64) is False


async def test_project_membership_and_listing(database: Database) -> None:
    async with database.transaction() as db:
        owner = await repos.insert_user(db, username="owner", password_hash="h", now=NOW)
        guest = await repos.insert_user(db, username="guest", password_hash="h", now=NOW)
        old = await repos.insert_project(db, name="old", owner_id=owner.id, now=NOW)
        new = await repos.insert_project(
            db, name="new", owner_id=owner.id, now=NOW + timedelta(1), song_blob="f" * 64
        )
        await repos.insert_member(db, project_id=old.id, user_id=guest.id, role="viewer", now=NOW)
    async with database.transaction() as db:
        assert [(a.project.name, a.role) for a in await repos.list_access(db, owner.id)] == [
            ("new", "owner"),
            ("old", "owner"),
        ]
        assert [(a.project.id, a.role) for a in await repos.list_access(db, guest.id)] == [
            (old.id, "viewer")
        ]
        members = await repos.list_members(db, old.id)
        assert [(m.username, m.role) for m in members] == [("owner", "owner"), ("guest", "viewer")]
        assert await repos.find_role(db, new.id, guest.id) is None
        assert await repos.count_owners(db, old.id) == 1
        access = await repos.find_access(db, new.id, owner.id, lock=True)
        assert access is not None
        assert access.project.song_blob == "f" * 64


async def test_rename_of_a_missing_project_fails(database: Database) -> None:
    with pytest.raises(NotFoundError):
        async with database.transaction() as db:
            await repos.rename_project(db, "0" * 32, "x", NOW)


async def test_deleting_a_project_cascades(database: Database) -> None:
    async with database.transaction() as db:
        owner = await repos.insert_user(db, username="o", password_hash="h", now=NOW)
        project = await repos.insert_project(db, name="p", owner_id=owner.id, now=NOW)
        await repos.insert_invitation(
            db,
            project_id=project.id,
            token_hash="c" * 64,
            role="editor",
            created_by=owner.id,
            now=NOW,
            expires_at=NOW + timedelta(days=1),
            max_uses=1,
        )
    await SqlUpdateLog(database).append(project.id, b"u", author_id=owner.id)
    async with database.transaction() as db:
        await repos.delete_project(db, project.id)
    async with database.transaction() as db:
        assert await repos.find_invitation(db, "c" * 64) is None
        left = select(func.count()).select_from(MembershipRow)
        assert (await db.execute(left)).scalar_one() == 0
        updates = select(func.count()).select_from(UpdateRow)
        assert (await db.execute(updates)).scalar_one() == 0


async def test_invitation_uses_are_counted_atomically(database: Database) -> None:
    async with database.transaction() as db:
        owner = await repos.insert_user(db, username="o", password_hash="h", now=NOW)
        project = await repos.insert_project(db, name="p", owner_id=owner.id, now=NOW)
        invitation = await repos.insert_invitation(
            db,
            project_id=project.id,
            token_hash="d" * 64,
            role="viewer",
            created_by=owner.id,
            now=NOW,
            expires_at=NOW + timedelta(days=1),
            max_uses=2,
        )
    used = []
    for _ in range(3):
        async with database.transaction() as db:
            used.append(await repos.use_invitation(db, invitation.id, NOW))
    assert used == [True, True, False]
    async with database.transaction() as db:
        assert not await repos.use_invitation(db, invitation.id, NOW + timedelta(days=2))
        stored = await repos.find_invitation(db, "d" * 64)
        assert stored is not None
        assert stored.uses == 2
        assert await repos.delete_invitation(db, project.id, invitation.id)
        assert not await repos.delete_invitation(db, project.id, invitation.id)
