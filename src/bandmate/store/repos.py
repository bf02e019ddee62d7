"""Data access for accounts and projects: small async functions over one ``AsyncSession``.

Each function runs inside the caller's transaction (see :meth:`Database.transaction`)
and returns records from :mod:`bandmate.store.records`. Rules about who may do
what live in :mod:`bandmate.auth`; this module only reads and writes rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bandmate.store.errors import ConflictError, NotFoundError, UsernameTakenError
from bandmate.store.models import InvitationRow, MembershipRow, ProjectRow, SessionRow, UserRow
from bandmate.store.records import Access, Invitation, Member, Project, Role, User, new_id


def _user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, created_at=row.created_at)


def _project(row: ProjectRow) -> Project:
    return Project(row.id, row.name, row.created_at, row.updated_at, row.song_blob)


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        id=row.id,
        project_id=row.project_id,
        role=cast(Role, row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        uses=row.uses,
    )


# Users and sessions ----------------------------------------------------------------------------


async def insert_user(
    db: AsyncSession, *, username: str, password_hash: str, now: datetime
) -> User:
    """Create a user. Raises :class:`UsernameTakenError` when ``username`` exists."""
    row = UserRow(id=new_id(), username=username, password_hash=password_hash, created_at=now)
    try:
        async with db.begin_nested():
            db.add(row)
    except IntegrityError as exc:
        raise UsernameTakenError(f"username={username!r} is already taken") from exc
    return _user(row)


async def count_users(db: AsyncSession) -> int:
    """How many accounts exist."""
    return (await db.execute(select(func.count()).select_from(UserRow))).scalar_one()


async def find_credentials(db: AsyncSession, username: str) -> tuple[User, str] | None:
    """The user called ``username`` and their password hash, or ``None``."""
    row = (await db.execute(select(UserRow).where(UserRow.username == username))).scalar()
    return None if row is None else (_user(row), row.password_hash)


async def set_password_hash(db: AsyncSession, user_id: str, password_hash: str) -> None:
    """Replace a user's password hash (after a rehash with stronger parameters)."""
    await db.execute(
        update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
    )


async def insert_session(
    db: AsyncSession, *, token_hash: str, user_id: str, now: datetime, expires_at: datetime
) -> None:
    """Record a signed-in session by the SHA-256 of its token."""
    db.add(
        SessionRow(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at)
    )
    await db.flush()


async def find_session_user(db: AsyncSession, token_hash: str, now: datetime) -> User | None:
    """The user of the unexpired session whose token hashes to ``token_hash``."""
    query = (
        select(UserRow)
        .join(SessionRow, SessionRow.user_id == UserRow.id)
        .where(SessionRow.token_hash == token_hash, SessionRow.expires_at > now)
    )
    row = (await db.execute(query)).scalar()
    return None if row is None else _user(row)


async def delete_session(db: AsyncSession, token_hash: str) -> bool:
    """End one session. Returns whether it existed."""
    result = await db.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))
    return bool(getattr(result, "rowcount", 0))


async def delete_expired_sessions(db: AsyncSession, now: datetime) -> int:
    """Remove sessions that expired before ``now``; returns how many."""
    result = await db.execute(delete(SessionRow).where(SessionRow.expires_at <= now))
    return int(getattr(result, "rowcount", 0))


# Projects and memberships ----------------------------------------------------------------------


async def insert_project(
    db: AsyncSession, *, name: str, owner_id: str, now: datetime, song_blob: str | None = None
) -> Project:
    """Create a project with ``owner_id`` as its first owner."""
    row = ProjectRow(
        id=new_id(), name=name, created_at=now, updated_at=now, last_seq=0, song_blob=song_blob
    )
    db.add(row)
    await db.flush()
    db.add(MembershipRow(project_id=row.id, user_id=owner_id, role="owner", created_at=now))
    await db.flush()
    return _project(row)


async def find_access(
    db: AsyncSession, project_id: str, user_id: str, *, lock: bool = False
) -> Access | None:
    """The project and ``user_id``'s role in it, or ``None`` when either is missing.

    Args:
        lock: Lock the project row until the transaction ends (``FOR UPDATE`` on
            PostgreSQL; SQLite transactions are already serialised), so that
            membership changes on one project happen one at a time.
    """
    query = (
        select(ProjectRow, MembershipRow.role)
        .join(MembershipRow, MembershipRow.project_id == ProjectRow.id)
        .where(ProjectRow.id == project_id, MembershipRow.user_id == user_id)
    )
    if lock:
        query = query.with_for_update(of=ProjectRow)
    found = (await db.execute(query)).first()
    return None if found is None else Access(_project(found[0]), cast(Role, found[1]))


async def list_access(db: AsyncSession, user_id: str) -> list[Access]:
    """Every project ``user_id`` belongs to, most recently updated first."""
    query = (
        select(ProjectRow, MembershipRow.role)
        .join(MembershipRow, MembershipRow.project_id == ProjectRow.id)
        .where(MembershipRow.user_id == user_id)
        .order_by(ProjectRow.updated_at.desc(), ProjectRow.id)
    )
    return [Access(_project(p), cast(Role, r)) for p, r in (await db.execute(query)).all()]


async def rename_project(db: AsyncSession, project_id: str, name: str, now: datetime) -> Project:
    """Give a project a new name; raises :class:`NotFoundError` when it is gone."""
    row = await db.get(ProjectRow, project_id)
    if row is None:
        raise NotFoundError(f"project_id={project_id!r} does not exist")
    row.name = name
    row.updated_at = now
    await db.flush()
    return _project(row)


async def delete_project(db: AsyncSession, project_id: str) -> None:
    """Delete a project and, by cascade, its members, invitations, updates and snapshots."""
    await db.execute(delete(ProjectRow).where(ProjectRow.id == project_id))


async def list_members(db: AsyncSession, project_id: str) -> list[Member]:
    """The members of a project, owners first, then by name."""
    rank = {"owner": 0, "editor": 1, "viewer": 2}
    query = (
        select(MembershipRow, UserRow.username)
        .join(UserRow, UserRow.id == MembershipRow.user_id)
        .where(MembershipRow.project_id == project_id)
    )
    members = [
        Member(m.project_id, m.user_id, name, cast(Role, m.role), m.created_at)
        for m, name in (await db.execute(query)).all()
    ]
    return sorted(members, key=lambda m: (rank[m.role], m.username))


async def find_role(db: AsyncSession, project_id: str, user_id: str) -> Role | None:
    """``user_id``'s role in ``project_id``, or ``None`` when not a member."""
    query = select(MembershipRow.role).where(
        MembershipRow.project_id == project_id, MembershipRow.user_id == user_id
    )
    role = (await db.execute(query)).scalar()
    return None if role is None else cast(Role, role)


async def count_owners(db: AsyncSession, project_id: str) -> int:
    """How many owners a project has."""
    query = select(func.count()).where(
        MembershipRow.project_id == project_id, MembershipRow.role == "owner"
    )
    return (await db.execute(query)).scalar_one()


async def insert_member(
    db: AsyncSession, *, project_id: str, user_id: str, role: Role, now: datetime
) -> None:
    """Add a member. Raises :class:`ConflictError` when ``user_id`` already is one."""
    row = MembershipRow(project_id=project_id, user_id=user_id, role=role, created_at=now)
    try:
        async with db.begin_nested():
            db.add(row)
    except IntegrityError as exc:
        raise ConflictError(f"user_id={user_id!r} is already a member of {project_id!r}") from exc


async def set_role(db: AsyncSession, project_id: str, user_id: str, role: Role) -> None:
    """Change a member's role."""
    await db.execute(
        update(MembershipRow)
        .where(MembershipRow.project_id == project_id, MembershipRow.user_id == user_id)
        .values(role=role)
    )


async def delete_member(db: AsyncSession, project_id: str, user_id: str) -> None:
    """Remove a member from a project."""
    await db.execute(
        delete(MembershipRow).where(
            MembershipRow.project_id == project_id, MembershipRow.user_id == user_id
        )
    )


# Invitations -----------------------------------------------------------------------------------


async def insert_invitation(
    db: AsyncSession,
    *,
    project_id: str,
    token_hash: str,
    role: Role,
    created_by: str,
    now: datetime,
    expires_at: datetime,
    max_uses: int,
) -> Invitation:
    """Store an invitation by the SHA-256 of its token."""
    row = InvitationRow(
        id=new_id(),
        project_id=project_id,
        token_hash=token_hash,
        role=role,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
        max_uses=max_uses,
        uses=0,
    )
    db.add(row)
    await db.flush()
    return _invitation(row)


async def find_invitation(db: AsyncSession, token_hash: str) -> Invitation | None:
    """The invitation whose token hashes to ``token_hash``."""
    query = select(InvitationRow).where(InvitationRow.token_hash == token_hash)
    row = (await db.execute(query)).scalar()
    return None if row is None else _invitation(row)


async def list_invitations(db: AsyncSession, project_id: str) -> list[Invitation]:
    """A project's invitations, newest first."""
    query = (
        select(InvitationRow)
        .where(InvitationRow.project_id == project_id)
        .order_by(InvitationRow.created_at.desc(), InvitationRow.id)
    )
    return [_invitation(row) for row in (await db.execute(query)).scalars()]


async def use_invitation(db: AsyncSession, invitation_id: str, now: datetime) -> bool:
    """Count one use, atomically, if the invitation is unexpired and has uses left."""
    result = await db.execute(
        update(InvitationRow)
        .where(
            InvitationRow.id == invitation_id,
            InvitationRow.uses < InvitationRow.max_uses,
            InvitationRow.expires_at > now,
        )
        .values(uses=InvitationRow.uses + 1)
    )
    return bool(getattr(result, "rowcount", 0))


async def delete_invitation(db: AsyncSession, project_id: str, invitation_id: str) -> bool:
    """Revoke an invitation of ``project_id``. Returns whether it existed."""
    result = await db.execute(
        delete(InvitationRow).where(
            InvitationRow.id == invitation_id, InvitationRow.project_id == project_id
        )
    )
    return bool(getattr(result, "rowcount", 0))
