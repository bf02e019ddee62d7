"""Errors of the storage layer: things that are missing or that clash with what is stored."""

from __future__ import annotations

from typing import ClassVar

from bandmate.errors import BandmateError


class StoreError(BandmateError):
    """Root of the storage family. ``code`` is a stable machine-readable name for clients."""

    code: ClassVar[str] = "store_error"


class NotFoundError(StoreError):
    """A row or blob asked for by id does not exist (or is not visible to the caller)."""

    code: ClassVar[str] = "not_found"


class ConflictError(StoreError):
    """A write clashes with what is stored (a unique name taken, the last owner removed, ...)."""

    code: ClassVar[str] = "conflict"


class UsernameTakenError(ConflictError):
    """Sign-up with a username that already exists."""

    code: ClassVar[str] = "username_taken"


class DatabaseUrlError(StoreError):
    """A database URL names a back end Bandmate does not support or is malformed."""

    code: ClassVar[str] = "bad_database_url"
