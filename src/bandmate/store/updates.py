"""The project update log: the durable history of every song document.

The sync layer appends each accepted CRDT update (opaque bytes) with its author
and time, and only broadcasts it once :meth:`UpdateLog.append` has returned (the
update is committed). Snapshots hold the merged state up to a sequence number so
that loading a document reads one snapshot plus the updates after it::

    snap = await log.latest_snapshot(project_id)
    updates = await log.read_since(project_id, snap.upto_seq if snap else 0)

Snapshots never delete updates: the log is also the history (undo, blame, credits).
Two implementations share one :class:`UpdateLog` protocol: :class:`SqlUpdateLog`
(SQLite or PostgreSQL) and :class:`InMemoryUpdateLog` (tests, throwaway rooms).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol, cast, runtime_checkable

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    bindparam,
    case,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.sql.dml import ReturningUpdate as Update_

from bandmate.store.engine import Database
from bandmate.store.errors import NotFoundError
from bandmate.store.logged import (
    Clock,
    Snapshot,
    SnapshotRangeError,
    Update,
    check_range,
    utc_now,
)
from bandmate.store.models import ProjectRow, SnapshotRow, UpdateRow, UTCDateTime
from bandmate.store.sqlite_log import SqliteAppender, appender_for

__all__ = [
    "Clock",
    "InMemoryUpdateLog",
    "Snapshot",
    "SnapshotRangeError",
    "SqlUpdateLog",
    "Update",
    "UpdateLog",
    "utc_now",
]


@runtime_checkable
class UpdateLog(Protocol):
    """Where a project's document updates and snapshots are kept."""

    async def append(self, project_id: str, data: bytes, *, author_id: str | None) -> Update:
        """Store ``data`` as the project's next update and commit it.

        Raises:
            NotFoundError: When the project does not exist.
        """
        ...

    async def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Update]:
        """Store each ``(project_id, data, author_id)`` as its project's next update, in order,
        and commit them together (all or none).

        Returns the updates in the order of ``items``.

        Raises:
            NotFoundError: When one of the projects does not exist (nothing is stored).
        """
        ...

    async def read_since(self, project_id: str, seq: int = 0) -> list[Update]:
        """The updates with ``seq`` greater than the given one, oldest first."""
        ...

    async def snapshot(self, project_id: str, state: bytes, *, upto_seq: int) -> Snapshot:
        """Store ``state`` as the merged document up to ``upto_seq`` (replacing an equal one).

        Raises:
            NotFoundError: When the project does not exist.
            SnapshotRangeError: When ``upto_seq`` is negative or beyond the last update.
        """
        ...

    async def latest_snapshot(self, project_id: str) -> Snapshot | None:
        """The snapshot with the highest ``upto_seq``, or ``None``."""
        ...


class InMemoryUpdateLog:
    """An :class:`UpdateLog` in a dict. Projects exist once :meth:`create` named them."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._updates: dict[str, list[Update]] = {}
        self._snapshots: dict[str, dict[int, Snapshot]] = {}

    def create(self, project_id: str) -> None:
        """Start an empty log for ``project_id`` (idempotent)."""
        self._updates.setdefault(project_id, [])
        self._snapshots.setdefault(project_id, {})

    def _log(self, project_id: str) -> list[Update]:
        log = self._updates.get(project_id)
        if log is None:
            raise NotFoundError(f"project_id={project_id!r} does not exist")
        return log

    async def append(self, project_id: str, data: bytes, *, author_id: str | None) -> Update:
        log = self._log(project_id)
        item = Update(project_id, len(log) + 1, author_id, self._clock(), bytes(data))
        log.append(item)
        return item

    async def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Update]:
        for project_id, _, _ in items:
            self._log(project_id)  # all or none: check every project first
        now = self._clock()
        out = []
        for project_id, data, author_id in items:
            log = self._log(project_id)
            item = Update(project_id, len(log) + 1, author_id, now, bytes(data))
            log.append(item)
            out.append(item)
        return out

    async def read_since(self, project_id: str, seq: int = 0) -> list[Update]:
        return list(self._updates.get(project_id, [])[max(seq, 0) :])

    async def snapshot(self, project_id: str, state: bytes, *, upto_seq: int) -> Snapshot:
        check_range(project_id, upto_seq, len(self._log(project_id)))
        snap = Snapshot(project_id, upto_seq, self._clock(), bytes(state))
        self._snapshots[project_id][upto_seq] = snap
        return snap

    async def latest_snapshot(self, project_id: str) -> Snapshot | None:
        snaps = self._snapshots.get(project_id)
        return snaps[max(snaps)] if snaps else None


_PROJECTS = cast(Table, ProjectRow.__table__)
_SNAPSHOTS = cast(Table, SnapshotRow.__table__)
_INSERT_UPDATE = insert(cast(Table, UpdateRow.__table__))


@functools.lru_cache(maxsize=64)
def _bump_statement(projects: int) -> Update_[str, int]:
    """``UPDATE projects SET last_seq = last_seq + (:c0 for :p0, ...) ... RETURNING``.

    One statement per batch size, built once, so SQLAlchemy's compiled cache serves it.
    """
    ids = [bindparam(f"p{i}", type_=String) for i in range(projects)]
    step = case(
        *((_PROJECTS.c.id == ids[i], bindparam(f"c{i}", type_=Integer)) for i in range(projects)),
        else_=0,
    )
    return (
        update(_PROJECTS)
        .where(_PROJECTS.c.id.in_(ids))
        .values(
            last_seq=_PROJECTS.c.last_seq + step, updated_at=bindparam("now", type_=UTCDateTime())
        )
        .returning(_PROJECTS.c.id, _PROJECTS.c.last_seq)
    )


@functools.lru_cache(maxsize=64)
def _lock_statement(projects: int) -> Select[str]:
    """``SELECT id FROM projects WHERE id IN (:p0, ...) ORDER BY id FOR UPDATE``."""
    ids = [bindparam(f"p{i}", type_=String) for i in range(projects)]
    return (
        select(_PROJECTS.c.id)
        .where(_PROJECTS.c.id.in_(ids))
        .order_by(_PROJECTS.c.id)
        .with_for_update()
    )


class SqlUpdateLog:
    """An :class:`UpdateLog` in the ``project_updates`` and ``project_snapshots`` tables.

    On PostgreSQL (and SQLite in memory), sequence numbers come from
    ``projects.last_seq``, incremented with ``UPDATE ... RETURNING``: the row lock makes
    concurrent appends to one project take turns, so numbers never repeat or skip. On a
    SQLite file, appends go to the file's journal and counters kept in this process
    (:class:`SqliteAppender`), and reach the tables about a second later; reads see them
    at once.
    """

    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._db = database
        self._clock = clock
        path = database.url.database or ""
        file = path not in ("", ":memory:") and not path.startswith("file:")
        self._appender: SqliteAppender | None = None
        if database.backend == "sqlite" and file and not database.url.query:
            self._appender = appender = appender_for(path, database.engine.dialect)
            # The journal is moved into the tables, and let go of, with the database.
            event.listen(database.engine.sync_engine, "engine_disposed", lambda _: appender.close())

    async def append(self, project_id: str, data: bytes, *, author_id: str | None) -> Update:
        return (await self.append_many([(project_id, data, author_id)]))[0]

    async def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Update]:
        """One transaction for the whole batch (see :meth:`UpdateLog.append_many`).

        Each project's ``last_seq`` is bumped by its number of items in one ``UPDATE ...
        RETURNING`` for all of them (on PostgreSQL after locking their rows in id order,
        so that two batches never wait on each other in a cycle), and its items take the
        numbers below the new value in the order they were given. The statements are
        SQLAlchemy Core on a plain connection: this is the hottest write of a busy server,
        and the ORM session's bookkeeping cost more than the database did. On a SQLite
        file the batch is one frame written to the journal (:class:`SqliteAppender`).
        """
        if not items:
            return []
        now = self._clock()
        if self._appender is not None:
            return self._appender.write_now(items, now)
        counts: dict[str, int] = {}
        for project_id, _, _ in items:
            counts[project_id] = counts.get(project_id, 0) + 1
        ids = sorted(counts)
        params: dict[str, object] = {"now": now}
        for index, project_id in enumerate(ids):
            params[f"p{index}"] = project_id
            params[f"c{index}"] = counts[project_id]
        async with self._db.engine.begin() as conn:
            if self._db.backend == "postgresql":
                await conn.execute(_lock_statement(len(ids)), params)
            bumped = dict((await conn.execute(_bump_statement(len(ids)), params)).all())
            missing = [project_id for project_id in ids if project_id not in bumped]
            if missing:
                raise NotFoundError(f"project_id={missing[0]!r} does not exist")
            next_seq = {pid: int(bumped[pid]) - counts[pid] + 1 for pid in ids}
            out = []
            for project_id, data, author_id in items:
                seq = next_seq[project_id]
                next_seq[project_id] = seq + 1
                out.append(Update(project_id, seq, author_id, now, bytes(data)))
            await conn.execute(
                _INSERT_UPDATE,
                [
                    {
                        "project_id": u.project_id,
                        "seq": u.seq,
                        "author_id": u.author_id,
                        "created_at": u.created_at,
                        "update": u.data,
                    }
                    for u in out
                ],
            )
        return out

    def append_now(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Update] | None:
        """:meth:`append_many`, committed before this returns, where that can be done
        without waiting (on a SQLite file: a write to its journal). ``None`` where it cannot
        (nothing was stored): then await :meth:`append_many`.

        Raises:
            NotFoundError: When one of the projects does not exist (nothing is stored).
            OSError: The journal could not be written (nothing is stored).
        """
        if self._appender is None or not items:
            return None if items else []
        return self._appender.write_now(items, self._clock())

    async def read_since(self, project_id: str, seq: int = 0) -> list[Update]:
        # The journal's updates first: what is moved meanwhile is in the tables by the time
        # they are read (and is taken from there).
        pending = self._appender.pending(project_id, seq) if self._appender else []
        query = (
            select(UpdateRow)
            .where(UpdateRow.project_id == project_id, UpdateRow.seq > seq)
            .order_by(UpdateRow.seq)
        )
        async with self._db.transaction() as db:
            rows = (await db.execute(query)).scalars().all()
            stored = [
                Update(r.project_id, r.seq, r.author_id, r.created_at, r.update) for r in rows
            ]
        if not pending:
            return stored
        by_seq = {u.seq: u for u in pending}
        by_seq.update((u.seq, u) for u in stored)
        return [by_seq[n] for n in sorted(by_seq)]

    async def move_journal(self) -> None:
        """Move the updates the journal holds into the tables now (on a SQLite file; a
        no-op elsewhere). They are moved within a second or so anyway."""
        if self._appender is not None:
            moving = self._appender.move()
            if moving is not None:
                await moving

    async def snapshot(self, project_id: str, state: bytes, *, upto_seq: int) -> Snapshot:
        now = self._clock()
        if self._appender is not None:  # the log's one writer on a SQLite file
            snap: Snapshot = await self._appender.snapshot(project_id, state, upto_seq, now)
            return snap
        async with self._db.transaction() as db:
            last = (
                await db.execute(select(ProjectRow.last_seq).where(ProjectRow.id == project_id))
            ).scalar()
            if last is None:
                raise NotFoundError(f"project_id={project_id!r} does not exist")
            check_range(project_id, upto_seq, last)
            await db.execute(
                delete(SnapshotRow).where(
                    SnapshotRow.project_id == project_id, SnapshotRow.upto_seq == upto_seq
                )
            )
            db.add(
                SnapshotRow(project_id=project_id, upto_seq=upto_seq, created_at=now, state=state)
            )
        return Snapshot(project_id, upto_seq, now, bytes(state))

    async def latest_snapshot(self, project_id: str) -> Snapshot | None:
        query = (
            select(SnapshotRow)
            .where(SnapshotRow.project_id == project_id)
            .order_by(SnapshotRow.upto_seq.desc())
            .limit(1)
        )
        async with self._db.transaction() as db:
            row = (await db.execute(query)).scalar()
            if row is None:
                return None
            return Snapshot(row.project_id, row.upto_seq, row.created_at, row.state)
