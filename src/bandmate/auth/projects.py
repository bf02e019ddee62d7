"""Projects and who may do what in them: the rights rules in one place.

======  ============================================================
role    may
======  ============================================================
viewer  open the project, its song and its member list
editor  all of the above, edit the song, rename the project
owner   all of the above, delete the project, invite, change roles,
        remove members (a project always keeps at least one owner)
======  ============================================================

Every method takes the acting user and checks their role first. A project that
the user is not a member of looks exactly like one that does not exist
(:class:`NotFoundError`), so ids leak nothing; a member whose role is too low
gets :class:`PermissionDeniedError`. Membership events fire after the commit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bandmate.auth.credentials import hash_token, new_token
from bandmate.auth.errors import (
    InvalidInputError,
    InvitationExpiredError,
    InvitationUsedUpError,
    LastOwnerError,
    PermissionDeniedError,
)
from bandmate.auth.events import MemberEvents
from bandmate.store import repos
from bandmate.store.engine import Database
from bandmate.store.errors import ConflictError, NotFoundError
from bandmate.store.records import ROLES, Access, Invitation, Member, Role, User
from bandmate.store.updates import utc_now

RANK: dict[Role, int] = {"viewer": 1, "editor": 2, "owner": 3}


def allows(role: Role, needed: Role) -> bool:
    """Whether holding ``role`` includes the rights of ``needed``."""
    return RANK[role] >= RANK[needed]


def can_edit(role: Role | None) -> bool:
    """Whether ``role`` may change the song document (the sync layer's write check)."""
    return role is not None and allows(role, "editor")


def parse_role(value: str) -> Role:
    """``value`` as a :data:`Role`.

    Raises:
        InvalidInputError: Unless it is ``owner``, ``editor`` or ``viewer``.
    """
    if value not in ROLES:
        raise InvalidInputError(f"role={value[:20]!r} must be one of {', '.join(ROLES)}")
    return value


NAME_MAX = 100
INVITE_TTL_MIN = timedelta(minutes=1)
INVITE_TTL_MAX = timedelta(days=30)
INVITE_USES_MAX = 1000


def check_project_name(name: str) -> str:
    """``name`` trimmed, checked: 1..100 characters, no control characters.

    Raises:
        InvalidInputError: When the name breaks a rule.
    """
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidInputError(f"name of length {len(name)} must be 1..{NAME_MAX} characters")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidInputError(f"name={name[:40]!r} must not contain control characters")
    return name


async def _access(
    db: AsyncSession, user: User, project_id: str, needed: Role, *, lock: bool = False
) -> Access:
    access = await repos.find_access(db, project_id, user.id, lock=lock)
    if access is None:
        raise NotFoundError(f"project_id={project_id[:40]!r} does not exist")
    if not allows(access.role, needed):
        raise PermissionDeniedError(
            f"role={access.role!r} in project {project_id!r} cannot do this; it needs {needed!r}"
        )
    return access


class Projects:
    """The project service.

    Args:
        database: Where projects, memberships and invitations are stored.
        events: Where membership changes are announced (the sync layer listens).
        clock: The current UTC time (injectable for tests).
    """

    def __init__(
        self,
        database: Database,
        events: MemberEvents,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = database
        self.events = events
        self._clock = clock

    async def create(self, user: User, name: str, *, song_blob: str | None = None) -> Access:
        """Create a project owned by ``user``."""
        name = check_project_name(name)
        async with self._db.transaction() as db:
            project = await repos.insert_project(
                db, name=name, owner_id=user.id, now=self._clock(), song_blob=song_blob
            )
        return Access(project, "owner")

    async def list_for(self, user: User) -> list[Access]:
        """The projects ``user`` belongs to, with their role, most recently active first."""
        async with self._db.transaction() as db:
            return await repos.list_access(db, user.id)

    async def access(self, user: User, project_id: str, needed: Role = "viewer") -> Access:
        """The project and ``user``'s role, checked to include ``needed``.

        Raises:
            NotFoundError: When the project does not exist or ``user`` is not a member.
            PermissionDeniedError: When ``user``'s role is below ``needed``.
        """
        async with self._db.transaction() as db:
            return await _access(db, user, project_id, needed)

    async def role_of(self, project_id: str, user_id: str) -> Role | None:
        """``user_id``'s role in ``project_id``, or ``None`` (for the sync layer's checks)."""
        async with self._db.transaction() as db:
            return await repos.find_role(db, project_id, user_id)

    async def rename(self, user: User, project_id: str, name: str) -> Access:
        """Rename a project (editors and owners)."""
        name = check_project_name(name)
        async with self._db.transaction() as db:
            access = await _access(db, user, project_id, "editor")
            project = await repos.rename_project(db, project_id, name, self._clock())
        return Access(project, access.role)

    async def delete(self, user: User, project_id: str) -> None:
        """Delete a project with everything in it (owners only)."""
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "owner", lock=True)
            members = await repos.list_members(db, project_id)
            await repos.delete_project(db, project_id)
        for member in members:
            await self.events.member_removed(project_id, member.user_id)

    async def members(self, user: User, project_id: str) -> list[Member]:
        """The members of a project (any member may look)."""
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "viewer")
            return await repos.list_members(db, project_id)

    async def set_role(self, user: User, project_id: str, member_id: str, role: Role) -> Member:
        """Give a member another role (owners only; the last owner stays an owner).

        Raises:
            NotFoundError: When ``member_id`` is not a member.
            LastOwnerError: When it would leave the project without an owner.
        """
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "owner", lock=True)
            member = await self._member(db, project_id, member_id)
            if member.role == "owner" and role != "owner":
                await self._keep_an_owner(db, project_id)
            await repos.set_role(db, project_id, member_id, role)
        if role != member.role:
            await self.events.role_changed(project_id, member_id, role)
        return Member(project_id, member_id, member.username, role, member.created_at)

    async def remove_member(self, user: User, project_id: str, member_id: str) -> None:
        """Remove a member (owners only; never the last owner)."""
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "owner", lock=True)
            member = await self._member(db, project_id, member_id)
            if member.role == "owner":
                await self._keep_an_owner(db, project_id)
            await repos.delete_member(db, project_id, member_id)
        await self.events.member_removed(project_id, member_id)

    @staticmethod
    async def _member(db: AsyncSession, project_id: str, member_id: str) -> Member:
        for member in await repos.list_members(db, project_id):
            if member.user_id == member_id:
                return member
        raise NotFoundError(f"user_id={member_id[:40]!r} is not a member of {project_id!r}")

    @staticmethod
    async def _keep_an_owner(db: AsyncSession, project_id: str) -> None:
        if await repos.count_owners(db, project_id) <= 1:
            raise LastOwnerError(f"project {project_id!r} must keep at least one owner")

    async def invite(
        self,
        user: User,
        project_id: str,
        role: Role,
        *,
        expires_in: timedelta = timedelta(days=7),
        max_uses: int = 1,
    ) -> tuple[Invitation, str]:
        """Create an invitation link (owners only).

        Returns:
            The invitation and its token: shown once, stored only hashed.

        Raises:
            InvalidInputError: When ``expires_in`` is outside 1 minute..30 days or
                ``max_uses`` outside 1..1000.
        """
        if not INVITE_TTL_MIN <= expires_in <= INVITE_TTL_MAX:
            raise InvalidInputError(
                f"expires_in={expires_in.total_seconds():.0f} s must be "
                f"{INVITE_TTL_MIN.total_seconds():.0f}..{INVITE_TTL_MAX.total_seconds():.0f} s"
            )
        if not 1 <= max_uses <= INVITE_USES_MAX:
            raise InvalidInputError(f"max_uses={max_uses} must be in 1..{INVITE_USES_MAX}")
        token = new_token()
        now = self._clock()
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "owner")
            invitation = await repos.insert_invitation(
                db,
                project_id=project_id,
                token_hash=hash_token(token),
                role=role,
                created_by=user.id,
                now=now,
                expires_at=now + expires_in,
                max_uses=max_uses,
            )
        return invitation, token

    async def invitations(self, user: User, project_id: str) -> list[Invitation]:
        """A project's invitations (owners only)."""
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "owner")
            return await repos.list_invitations(db, project_id)

    async def revoke(self, user: User, project_id: str, invitation_id: str) -> None:
        """Delete an invitation so its link stops working (owners only)."""
        async with self._db.transaction() as db:
            await _access(db, user, project_id, "owner")
            if not await repos.delete_invitation(db, project_id, invitation_id):
                raise NotFoundError(f"invitation_id={invitation_id[:40]!r} does not exist")

    async def accept(self, user: User, token: str) -> Access:
        """Join the project an invitation token is for, with the invitation's role.

        A user who is already a member keeps their role and uses up nothing.

        Raises:
            NotFoundError: When no invitation has this token (wrong or revoked).
            InvitationExpiredError: When it has expired.
            InvitationUsedUpError: When it has been used ``max_uses`` times.
        """
        now = self._clock()
        try:
            async with self._db.transaction() as db:
                invitation = await repos.find_invitation(db, hash_token(token))
                if invitation is None:
                    raise NotFoundError("no invitation has this token")
                project_id = invitation.project_id
                current = await repos.find_access(db, project_id, user.id)
                if current is not None:
                    return current
                if invitation.expires_at <= now:
                    when = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
                    raise InvitationExpiredError(f"invitation expired at {when}")
                if not await repos.use_invitation(db, invitation.id, now):
                    raise InvitationUsedUpError(
                        f"invitation was already used {invitation.max_uses} time(s), its limit"
                    )
                await repos.insert_member(
                    db, project_id=project_id, user_id=user.id, role=invitation.role, now=now
                )
                return await _access(db, user, project_id, "viewer")
        except ConflictError:
            # The same person accepted twice at once; the other request made them a member
            # and this one's use of the invitation was rolled back.
            return await self.access(user, project_id)
