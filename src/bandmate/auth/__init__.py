"""Accounts and rights: passwords, sessions, login limits, roles, invitations.

This layer knows nothing of HTTP: the server (and the sync layer's WebSocket
handler) call :class:`Accounts` to find the user behind a session token and
:class:`Projects` to check what that user may do. Membership changes are
announced on :class:`MemberEvents`.
"""

from __future__ import annotations

from bandmate.auth.accounts import Accounts
from bandmate.auth.credentials import HashCost, Passwords
from bandmate.auth.errors import (
    AuthError,
    BadCredentialsError,
    InvalidInputError,
    InvitationExpiredError,
    InvitationGoneError,
    InvitationUsedUpError,
    LastOwnerError,
    NotAuthenticatedError,
    PermissionDeniedError,
    RateLimitedError,
)
from bandmate.auth.events import MemberEvents
from bandmate.auth.projects import Projects, allows, can_edit, parse_role
from bandmate.auth.ratelimit import MemoryRateLimiter, RateLimiter

__all__ = [
    "Accounts",
    "AuthError",
    "BadCredentialsError",
    "HashCost",
    "InvalidInputError",
    "InvitationExpiredError",
    "InvitationGoneError",
    "InvitationUsedUpError",
    "LastOwnerError",
    "MemberEvents",
    "MemoryRateLimiter",
    "NotAuthenticatedError",
    "Passwords",
    "PermissionDeniedError",
    "Projects",
    "RateLimitedError",
    "RateLimiter",
    "allows",
    "can_edit",
    "parse_role",
]
