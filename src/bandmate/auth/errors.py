"""Errors of accounts and rights. The server maps each family to one HTTP status."""

from __future__ import annotations

from typing import ClassVar

from bandmate.errors import BandmateError
from bandmate.store.errors import ConflictError


class AuthError(BandmateError):
    """Root of the accounts-and-rights family. ``code`` is stable for clients."""

    code: ClassVar[str] = "auth_error"


class InvalidInputError(AuthError):
    """A username, password, project name or role that breaks a rule."""

    code: ClassVar[str] = "invalid_input"


class NotAuthenticatedError(AuthError):
    """The request carries no valid session."""

    code: ClassVar[str] = "not_authenticated"


class BadCredentialsError(NotAuthenticatedError):
    """Sign-in with an unknown username or a wrong password (never says which)."""

    code: ClassVar[str] = "bad_credentials"


class PermissionDeniedError(AuthError):
    """A member's role does not allow the action."""

    code: ClassVar[str] = "forbidden"


class RateLimitedError(AuthError):
    """Too many failed attempts; try again after ``retry_after`` seconds."""

    code: ClassVar[str] = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvitationGoneError(AuthError):
    """An invitation that existed but can no longer be used."""

    code: ClassVar[str] = "invitation_gone"


class InvitationExpiredError(InvitationGoneError):
    """The invitation's expiry time has passed."""

    code: ClassVar[str] = "invitation_expired"


class InvitationUsedUpError(InvitationGoneError):
    """The invitation was accepted as many times as it allows."""

    code: ClassVar[str] = "invitation_used_up"


class LastOwnerError(ConflictError):
    """A change that would leave a project without an owner."""

    code: ClassVar[str] = "last_owner"
