"""Audio takes (stems) in the ``stems`` table: which project holds which recording.

A stem's bytes are a content-addressed blob (:mod:`bandmate.store.blobs`); the row says
that the blob is a stem of a project, who uploaded it, what it is and how long it lasts.
Reading a stem is allowed only through a project that has a row for it, and deleting a
project removes its rows (by cascade): :meth:`StemStore.orphans` then names the blobs no
other project's stem, job result, MIDI seed, loop upload or cached loop rendering still
uses, which the caller deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from bandmate.store.engine import Database
from bandmate.store.loops import LoopAudioRow, LoopUploadRow
from bandmate.store.models import Base, JobRow, ProjectRow, UTCDateTime
from bandmate.store.records import new_id
from bandmate.store.updates import utc_now


class StemRow(Base):
    """A recorded audio take of a project: a blob, its type and length, its uploader."""

    __tablename__ = "stems"
    __table_args__ = (Index("ix_stems_project_id_digest", "project_id", "digest"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    uploader_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float)
    track_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class Stem:
    """One stem as stored.

    Attributes:
        id: 32 hex digits.
        project_id: The project it was recorded in.
        uploader_id: Who recorded it (``None`` once their account is gone).
        digest: The blob's SHA-256.
        mime: ``audio/webm``, ``audio/ogg`` or ``audio/wav``.
        size: Bytes.
        duration_ms: Its length as the browser measured it.
        track_id: The song track it was written to.
        created_at: When it was finished.
    """

    id: str
    project_id: str
    uploader_id: str | None
    digest: str
    mime: str
    size: int
    duration_ms: float
    track_id: str
    created_at: datetime


def _stem(row: StemRow) -> Stem:
    return Stem(
        id=row.id,
        project_id=row.project_id,
        uploader_id=row.uploader_id,
        digest=row.digest,
        mime=row.mime,
        size=row.size,
        duration_ms=row.duration_ms,
        track_id=row.track_id,
        created_at=row.created_at,
    )


class StemStore:
    """The ``stems`` table: one short transaction per call.

    Args:
        database: The database (migrated to revision 0003 or later).
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(
        self,
        *,
        project_id: str,
        uploader_id: str,
        digest: str,
        mime: str,
        size: int,
        duration_ms: float,
        track_id: str,
        now: datetime | None = None,
    ) -> Stem:
        """Record a finished stem of ``project_id``."""
        row = StemRow(
            id=new_id(),
            project_id=project_id,
            uploader_id=uploader_id,
            digest=digest,
            mime=mime,
            size=size,
            duration_ms=duration_ms,
            track_id=track_id,
            created_at=now or utc_now(),
        )
        async with self._db.transaction() as db:
            db.add(row)
            await db.flush()
            return _stem(row)

    async def find(self, project_id: str, digest: str) -> Stem | None:
        """The (first recorded) stem of ``project_id`` whose blob is ``digest``, if any."""
        query = (
            select(StemRow)
            .where(StemRow.project_id == project_id, StemRow.digest == digest)
            .order_by(StemRow.created_at, StemRow.id)
            .limit(1)
        )
        async with self._db.transaction() as db:
            row = (await db.execute(query)).scalar()
            return None if row is None else _stem(row)

    async def list_for_project(self, project_id: str) -> list[Stem]:
        """A project's stems, oldest first."""
        query = (
            select(StemRow)
            .where(StemRow.project_id == project_id)
            .order_by(StemRow.created_at, StemRow.id)
        )
        async with self._db.transaction() as db:
            return [_stem(row) for row in (await db.execute(query)).scalars()]

    async def digests(self, project_id: str) -> list[str]:
        """The blobs of a project's stems (read them before deleting the project)."""
        query = select(StemRow.digest).where(StemRow.project_id == project_id).distinct()
        async with self._db.transaction() as db:
            return sorted((await db.execute(query)).scalars())

    async def orphans(self, digests: list[str]) -> list[str]:
        """Those of ``digests`` that no stem, job result, project seed, loop upload or cached
        loop rendering names any more."""
        if not digests:
            return []
        async with self._db.transaction() as db:
            used: set[str] = set()
            for column, table in (
                (StemRow.digest, StemRow),
                (JobRow.result_blob, JobRow),
                (ProjectRow.song_blob, ProjectRow),
                (LoopUploadRow.blob, LoopUploadRow),
                (LoopAudioRow.blob, LoopAudioRow),
            ):
                found = await db.execute(
                    select(column).select_from(table).where(column.in_(digests)).distinct()
                )
                used.update(d for d in found.scalars() if d is not None)
        return [d for d in digests if d not in used]
