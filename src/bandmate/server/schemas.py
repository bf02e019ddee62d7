"""Request and response bodies of the JSON API (pydantic models, shown in the OpenAPI spec).

Request models cap every string so that no body can make the server do
unbounded work; the finer rules (username pattern, password length) are checked
by :mod:`bandmate.auth` so that the messages are the same everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bandmate.store.jobs import Job, JobState
from bandmate.store.records import Access, Invitation, Member, Role, User


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class Credentials(_In):
    """Sign-up or sign-in."""

    username: str = Field(max_length=64, examples=["alice"])
    password: str = Field(max_length=1024, examples=["correct horse battery staple"])


class NewProject(_In):
    """A project to create."""

    name: str = Field(max_length=200, examples=["Summer single"])


class Rename(_In):
    """A project's new name."""

    name: str = Field(max_length=200)


class RoleChange(_In):
    """A member's new role."""

    role: Role


class NewInvitation(_In):
    """An invitation link to create."""

    role: Role = "editor"
    expires_in_s: int = Field(default=7 * 24 * 3600, ge=60, le=30 * 24 * 3600)
    max_uses: int = Field(default=1, ge=1, le=1000)


class InvitationToken(_In):
    """The token from an invitation link."""

    token: str = Field(min_length=1, max_length=128)


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error response."""

    error: ErrorDetail


class UserOut(BaseModel):
    """A user as the API shows them."""

    id: str
    username: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From a stored user."""
        return cls(id=user.id, username=user.username, created_at=user.created_at)


class CsrfOut(BaseModel):
    """The CSRF token to echo in ``X-CSRF-Token``."""

    csrf_token: str


class ProjectOut(BaseModel):
    """A project and the caller's role in it."""

    id: str
    name: str
    role: Role
    created_at: datetime
    updated_at: datetime
    has_song: bool

    @classmethod
    def of(cls, access: Access) -> ProjectOut:
        """From a stored project and role."""
        p = access.project
        return cls(
            id=p.id,
            name=p.name,
            role=access.role,
            created_at=p.created_at,
            updated_at=p.updated_at,
            has_song=p.song_blob is not None,
        )


class MemberOut(BaseModel):
    """A project member."""

    user_id: str
    username: str
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        """From a stored membership."""
        return cls(
            user_id=member.user_id,
            username=member.username,
            role=member.role,
            joined_at=member.created_at,
        )


class InvitationOut(BaseModel):
    """An invitation (its token is only shown once, when created)."""

    id: str
    project_id: str
    role: Role
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        """From a stored invitation."""
        return cls(
            id=invitation.id,
            project_id=invitation.project_id,
            role=invitation.role,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            max_uses=invitation.max_uses,
            uses=invitation.uses,
        )


class CreatedInvitationOut(InvitationOut):
    """A new invitation with its secret token and the link path to share."""

    token: str
    link: str


class JobResultOut(BaseModel):
    """A finished job's file."""

    name: str
    media_type: str
    size: int
    url: str


class JobOut(BaseModel):
    """A background job: what it does, how far it got, and its result once done."""

    id: str
    project_id: str
    requester_id: str | None
    kind: str
    params: dict[str, Any]
    state: JobState
    progress: float
    message: str
    error: str | None
    result: JobResultOut | None
    summary: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        """From a stored job."""
        result = None
        if job.result is not None:
            result = JobResultOut(
                name=job.result.name,
                media_type=job.result.media_type,
                size=job.result.size,
                url=f"/api/jobs/{job.id}/result",
            )
        return cls(
            id=job.id,
            project_id=job.project_id,
            requester_id=job.requester_id,
            kind=job.kind,
            params=job.params,
            state=job.state,
            progress=job.progress,
            message=job.message,
            error=job.error,
            result=result,
            summary=job.summary,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
