"""Plain, immutable records that the store hands out (never ORM objects).

Keeping ORM rows inside :mod:`bandmate.store` means callers cannot trigger lazy
loads outside a transaction, and the rest of Bandmate does not depend on SQLAlchemy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

Role = Literal["owner", "editor", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)


def new_id() -> str:
    """A fresh random id: 32 lowercase hex digits."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class User:
    """A person with an account (never carries the password hash)."""

    id: str
    username: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Project:
    """A song being made together. ``song_blob`` is the SHA-256 of its MIDI seed, if any."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    song_blob: str | None = None


@dataclass(frozen=True, slots=True)
class Access:
    """A project together with the role the asking user holds in it."""

    project: Project
    role: Role


@dataclass(frozen=True, slots=True)
class Member:
    """One person's membership in a project."""

    project_id: str
    user_id: str
    username: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation link's stored facts (the token itself is never stored)."""

    id: str
    project_id: str
    role: Role
    created_by: str | None
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int
