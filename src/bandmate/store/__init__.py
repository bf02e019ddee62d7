"""Storage: the database (SQLite by default, PostgreSQL at scale) and blobs on disk.

- :class:`Database` opens either back end with the same code; :func:`upgrade` applies
  the alembic migrations.
- :mod:`bandmate.store.repos` reads and writes accounts and projects.
- :class:`UpdateLog` is the port the sync layer stores song-document updates through,
  with :class:`SqlUpdateLog` and :class:`InMemoryUpdateLog` behind it.
- :class:`BlobStore` keeps content-addressed files (SHA-256); :class:`StemStore` records
  which of them are a project's audio takes.
"""

from __future__ import annotations

from bandmate.store.blobs import BlobStore, digest_of
from bandmate.store.engine import Backend, Database, sqlite_url
from bandmate.store.errors import ConflictError, NotFoundError, StoreError, UsernameTakenError
from bandmate.store.migrate import current_revision, head_revision, upgrade
from bandmate.store.records import ROLES, Access, Invitation, Member, Project, Role, User
from bandmate.store.stems import Stem, StemStore
from bandmate.store.updates import InMemoryUpdateLog, Snapshot, SqlUpdateLog, Update, UpdateLog

__all__ = [
    "ROLES",
    "Access",
    "Backend",
    "BlobStore",
    "ConflictError",
    "Database",
    "InMemoryUpdateLog",
    "Invitation",
    "Member",
    "NotFoundError",
    "Project",
    "Role",
    "Snapshot",
    "SqlUpdateLog",
    "Stem",
    "StemStore",
    "StoreError",
    "Update",
    "UpdateLog",
    "User",
    "UsernameTakenError",
    "current_revision",
    "digest_of",
    "head_revision",
    "sqlite_url",
    "upgrade",
]
