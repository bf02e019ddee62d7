"""Loops and samples in the database: uploads, interaction events and rendered audio.

Three tables (alembic revision ``0004``):

- ``loop_uploads``: audio a project member uploaded (the bytes are a blob), its state
  (``pending`` until the analyze job has run, then ``ready`` or ``failed``), its analysis
  as JSON and the styles and instrument the uploader gave it;
- ``loop_events``: plays, likes and uses of loops by people (the taste model's data);
- ``loop_audio``: which blob holds a loop rendered in a given key and tempo, or an upload
  transformed, so each is made once.

The models sit on the shared :class:`~bandmate.store.models.Base`, so the migration test
compares them like every other table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bandmate.store.engine import Database
from bandmate.store.models import Base, UTCDateTime
from bandmate.store.records import new_id
from bandmate.store.updates import utc_now

UploadState = Literal["pending", "ready", "failed"]
UPLOAD_STATES: tuple[UploadState, ...] = get_args(UploadState)
LoopEventKind = Literal["play", "like", "use"]
LOOP_EVENT_KINDS: tuple[LoopEventKind, ...] = get_args(LoopEventKind)


class LoopUploadRow(Base):
    """An uploaded loop or sample of a project."""

    __tablename__ = "loop_uploads"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'ready', 'failed')", name="state"),
        Index("ix_loop_uploads_project_id_created_at", "project_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    uploader_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    blob: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    styles: Mapped[str] = mapped_column(String(200))
    instrument: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(10))
    job_id: Mapped[str | None] = mapped_column(String(32), default=None)
    analysis: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoopEventRow(Base):
    """Someone played, liked or used a loop."""

    __tablename__ = "loop_events"
    __table_args__ = (CheckConstraint("kind IN ('play', 'like', 'use')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoopAudioRow(Base):
    """A rendered or transformed loop: the blob that holds it."""

    __tablename__ = "loop_audio"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    blob: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class LoopUpload:
    """An uploaded loop as stored.

    Attributes:
        id: 32 hex digits.
        project_id: The project it belongs to (only its members see it).
        uploader_id: Who uploaded it (``None`` once their account is gone).
        name: The file name it came with.
        blob: sha256 of its bytes.
        size: Bytes.
        media_type: ``audio/wav``, ``audio/flac``, ``audio/ogg`` or ``audio/mpeg``.
        styles: Style tags the uploader gave.
        instrument: What plays in it (``"drums"``, ``"guitar"``, ... or ``""``).
        state: ``pending``, ``ready`` or ``failed``.
        job_id: The analyze job.
        analysis: Key, tempo and mood once analyzed (JSON values).
        error: Why the analysis failed.
        created_at: When it was uploaded.
    """

    id: str
    project_id: str
    uploader_id: str | None
    name: str
    blob: str
    size: int
    media_type: str
    styles: tuple[str, ...]
    instrument: str
    state: UploadState
    job_id: str | None
    analysis: dict[str, Any] | None
    error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LoopEvent:
    """One stored interaction."""

    user_id: str
    item: str
    kind: LoopEventKind
    created_at: datetime


def _upload(row: LoopUploadRow) -> LoopUpload:
    state: UploadState = next(s for s in UPLOAD_STATES if s == row.state)
    return LoopUpload(
        id=row.id,
        project_id=row.project_id,
        uploader_id=row.uploader_id,
        name=row.name,
        blob=row.blob,
        size=row.size,
        media_type=row.media_type,
        styles=tuple(s for s in row.styles.split(",") if s),
        instrument=row.instrument,
        state=state,
        job_id=row.job_id,
        analysis=json.loads(row.analysis) if row.analysis is not None else None,
        error=row.error,
        created_at=row.created_at,
    )


class LoopStore:
    """Uploads, events and rendered audio in the database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_upload(
        self,
        project_id: str,
        uploader_id: str,
        *,
        name: str,
        blob: str,
        size: int,
        media_type: str,
        styles: tuple[str, ...],
        instrument: str,
    ) -> LoopUpload:
        """Store a new upload (``pending``)."""
        row = LoopUploadRow(
            id=new_id(), project_id=project_id, uploader_id=uploader_id, name=name[:200],
            blob=blob, size=size, media_type=media_type, styles=",".join(styles)[:200],
            instrument=instrument[:50], state="pending", created_at=utc_now(),
        )  # fmt: skip
        async with self._db.transaction() as db:
            db.add(row)
        return _upload(row)

    async def get_upload(self, upload_id: str) -> LoopUpload | None:
        """The upload with this id, or ``None``."""
        async with self._db.transaction() as db:
            row = await db.get(LoopUploadRow, upload_id[:32])
            return None if row is None else _upload(row)

    async def list_uploads(self, project_id: str, *, limit: int = 500) -> list[LoopUpload]:
        """A project's uploads, newest first."""
        async with self._db.transaction() as db:
            rows = await db.scalars(
                select(LoopUploadRow)
                .where(LoopUploadRow.project_id == project_id)
                .order_by(LoopUploadRow.created_at.desc(), LoopUploadRow.id)
                .limit(limit)
            )
            return [_upload(r) for r in rows]

    async def count_uploads(self, project_id: str) -> int:
        """How many uploads a project has."""
        async with self._db.transaction() as db:
            count = await db.scalar(
                select(func.count()).where(LoopUploadRow.project_id == project_id)
            )
            return int(count or 0)

    async def analysis_of_blob(self, blob: str) -> dict[str, Any] | None:
        """The analysis of any ready upload with these bytes (analysis is by content)."""
        async with self._db.transaction() as db:
            text = await db.scalar(
                select(LoopUploadRow.analysis)
                .where(LoopUploadRow.blob == blob, LoopUploadRow.state == "ready")
                .limit(1)
            )
            return None if text is None else dict(json.loads(text))

    async def set_job(self, upload_id: str, job_id: str) -> None:
        """Record the analyze job of an upload."""
        async with self._db.transaction() as db:
            await db.execute(
                update(LoopUploadRow).where(LoopUploadRow.id == upload_id).values(job_id=job_id)
            )

    async def finish(
        self, upload_id: str, *, analysis: dict[str, Any] | None, error: str | None = None
    ) -> LoopUpload | None:
        """Mark an upload ``ready`` with its analysis, or ``failed`` with ``error``."""
        values: dict[str, Any] = (
            {"state": "ready", "analysis": json.dumps(analysis), "error": None}
            if analysis is not None
            else {"state": "failed", "error": (error or "analysis failed")[:2000]}
        )
        async with self._db.transaction() as db:
            await db.execute(
                update(LoopUploadRow).where(LoopUploadRow.id == upload_id).values(**values)
            )
            row = await db.get(LoopUploadRow, upload_id, populate_existing=True)
            return None if row is None else _upload(row)

    async def delete_upload(self, upload_id: str) -> LoopUpload | None:
        """Delete an upload; returns what was deleted."""
        async with self._db.transaction() as db:
            row = await db.get(LoopUploadRow, upload_id)
            if row is None:
                return None
            gone = _upload(row)
            await db.execute(delete(LoopUploadRow).where(LoopUploadRow.id == upload_id))
            return gone

    async def blob_in_use(self, blob: str) -> bool:
        """Whether an upload or a cached rendering names the blob."""
        async with self._db.transaction() as db:
            used = await db.scalar(
                select(LoopUploadRow.id).where(LoopUploadRow.blob == blob).limit(1)
            )
            if used is not None:
                return True
            cached = await db.scalar(select(LoopAudioRow.key).where(LoopAudioRow.blob == blob))
            return cached is not None

    async def add_event(self, user_id: str, item: str, kind: LoopEventKind) -> None:
        """Record that ``user_id`` played, liked or used ``item``."""
        async with self._db.transaction() as db:
            db.add(LoopEventRow(user_id=user_id, item=item[:80], kind=kind, created_at=utc_now()))

    async def events(self, *, limit: int = 200_000) -> list[LoopEvent]:
        """The most recent events, oldest first."""
        async with self._db.transaction() as db:
            rows = await db.execute(
                select(
                    LoopEventRow.user_id,
                    LoopEventRow.item,
                    LoopEventRow.kind,
                    LoopEventRow.created_at,
                )
                .order_by(LoopEventRow.id.desc())
                .limit(limit)
            )
            out = [
                LoopEvent(u, i, next(k for k in LOOP_EVENT_KINDS if k == kind), t)
                for u, i, kind, t in rows
            ]
        out.reverse()
        return out

    async def event_count(self) -> int:
        """How many events are stored (a cheap version number for cached models)."""
        async with self._db.transaction() as db:
            return int(await db.scalar(select(func.count()).select_from(LoopEventRow)) or 0)

    async def audio(self, key: str) -> str | None:
        """The blob of a rendered or transformed loop, or ``None``."""
        async with self._db.transaction() as db:
            row = await db.get(LoopAudioRow, key)
            return None if row is None else row.blob

    async def remember_audio(self, key: str, blob: str) -> None:
        """Record the blob of a rendered or transformed loop (the first writer wins)."""
        try:
            async with self._db.transaction() as db:
                if await db.get(LoopAudioRow, key) is None:
                    db.add(LoopAudioRow(key=key, blob=blob, created_at=utc_now()))
        except IntegrityError:
            pass  # another request stored the same rendering first: same bytes, same blob

    async def forget_audio(self, prefix: str) -> list[str]:
        """Drop cached audio whose key starts with ``prefix``; returns their blobs."""
        async with self._db.transaction() as db:
            rows = await db.execute(
                select(LoopAudioRow.key, LoopAudioRow.blob).where(
                    LoopAudioRow.key.startswith(prefix, autoescape=True)
                )
            )
            found = list(rows)
            if found:
                await db.execute(
                    delete(LoopAudioRow).where(LoopAudioRow.key.in_([k for k, _ in found]))
                )
            return [b for _, b in found]
