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

import asyncio
import contextlib
import functools
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast, runtime_checkable

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

from bandmate.store.engine import BUSY_TIMEOUT_MS, Database
from bandmate.store.errors import NotFoundError, StoreError
from bandmate.store.models import ProjectRow, SnapshotRow, UpdateRow, UTCDateTime

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class SnapshotRangeError(StoreError):
    """A snapshot claims to cover updates that were never appended."""

    code = "bad_snapshot"


@dataclass(frozen=True, slots=True)
class Update:
    """One appended update. ``seq`` counts from 1 within its project, without gaps."""

    project_id: str
    seq: int
    author_id: str | None
    created_at: datetime
    data: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The merged document after every update with ``seq <= upto_seq``."""

    project_id: str
    upto_seq: int
    created_at: datetime
    state: bytes


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


def _check_range(project_id: str, upto_seq: int, last_seq: int) -> None:
    if not 0 <= upto_seq <= last_seq:
        raise SnapshotRangeError(
            f"upto_seq={upto_seq} must be in 0..{last_seq} (the last update of {project_id!r})"
        )


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
        _check_range(project_id, upto_seq, len(self._log(project_id)))
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


_Bind = Callable[[Any], Any]
_Job = tuple[Callable[[sqlite3.Connection], Any], asyncio.AbstractEventLoop, asyncio.Future[Any]]

_ROWS_PER_INSERT = 1000
_WRITER_IDLE_S = 2.0

_CHECKPOINT_EVERY_S = 0.25
"""How often (at most) the log's checkpointer copies the WAL back into the database."""

_BACKSTOP_PAGES = 20_000
"""WAL pages after which the log writer checkpoints itself, should the checkpointer lag."""


class _Checkpointer:
    """Copies the WAL back into the database file on a thread and connection of its own.

    SQLite checkpoints in the connection whose commit takes the WAL past 1,000 pages, and
    on a busy server (each update dirties an index page) that was the log writer, several
    times a second, each time holding up the commits behind it for 5-7 ms (the copy and an
    fsync). Here the writer only pokes this thread after its commits, and a passive
    checkpoint (which never waits for, or holds up, a writer) runs at most every
    :data:`_CHECKPOINT_EVERY_S`. The writer keeps SQLite's own checkpoint as a backstop at
    :data:`_BACKSTOP_PAGES`: by then nearly every page is copied already, so it is short,
    and the WAL starts over from its beginning after it.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._poked = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Commits were made: checkpoint soon (starts the thread on first use)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="bandmate-sqlite-checkpoint", daemon=True
            )
            self._thread.start()
        self._poked.set()

    def stop(self) -> None:
        """End the thread after its checkpoint in progress (called by the writer thread)."""
        self._stopped.set()
        self._poked.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5.0)

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                self._poked.wait()
                if self._stopped.is_set():
                    return
                self._poked.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    log.exception("checkpoint of the update log failed")
                if self._stopped.wait(_CHECKPOINT_EVERY_S):
                    return
        finally:
            conn.close()


"""A writer thread with nothing to do for this long closes its connection and ends."""


def _bind(column: Any, dialect: Any) -> _Bind:
    processor = cast(_Bind | None, column.type.bind_processor(dialect))
    return processor if processor is not None else (lambda value: value)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its waiter was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _SqliteAppender:
    """Batch appends (and snapshots) to a SQLite file on a thread of its own, stdlib driver.

    One writer for the log's writes means they never wait on each other in SQLite's busy
    handler (which backs off in steps of many milliseconds). Used for file databases
    only: each batch is one job on a queue, written in one
    ``BEGIN IMMEDIATE`` transaction on the thread's own connection (opened with the
    engine's PRAGMAs: WAL, ``synchronous=NORMAL``, foreign keys, busy timeout), and its
    result or error is handed back to the event loop once, after the commit. Values are
    bound through the columns' own SQLAlchemy bind processors, so rows read back through
    the ORM exactly as if SQLAlchemy had written them. The thread starts with the first
    job and ends after :data:`_WRITER_IDLE_S` idle seconds, closing its connection, or
    once :meth:`close` asks it to (the log's ``Database`` closing).
    """

    def __init__(self, path: str, dialect: Any) -> None:
        self._path = path
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()  # None: stop
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        updates = cast(Table, UpdateRow.__table__)
        self._bind_time = _bind(updates.c.created_at, dialect)
        self._bind_data = _bind(updates.c.update, dialect)
        self._bind_updated = _bind(_PROJECTS.c.updated_at, dialect)
        self._bind_snapshot_time = _bind(_SNAPSHOTS.c.created_at, dialect)
        self._bind_state = _bind(_SNAPSHOTS.c.state, dialect)
        self._insert = (
            f'INSERT INTO {updates.name} (project_id, seq, author_id, created_at, "update") VALUES '
        )

    def submit(self, write: Callable[[sqlite3.Connection], Any]) -> asyncio.Future[Any]:
        """Queue ``write``; the future gets what it returns once it ran (or its error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._jobs.put((write, loop, future))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._jobs,), name="bandmate-sqlite-log", daemon=True
                )
                self._thread.start()
        return future

    def close(self, *, wait_s: float = 5.0) -> None:
        """End the writer thread after the jobs already queued, and wait up to ``wait_s``
        for it to close its connection. A later job starts a new thread."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._jobs.put(None)  # after the jobs queued; later ones go to a new queue
            self._jobs = queue.SimpleQueue()
            self._thread = None
        if thread is not threading.current_thread():
            thread.join(wait_s)

    def append(
        self, items: Sequence[tuple[str, bytes, str | None]], now: datetime
    ) -> asyncio.Future[Any]:
        """Queue one batch of updates (see :meth:`SqlUpdateLog.append_many`)."""
        return self.submit(functools.partial(self._write, items=items, now=now))

    def snapshot(
        self, project_id: str, state: bytes, upto_seq: int, now: datetime
    ) -> asyncio.Future[Any]:
        """Queue one snapshot (see :meth:`SqlUpdateLog.snapshot`)."""
        return self.submit(
            functools.partial(
                self._write_snapshot, project_id=project_id, state=state, upto_seq=upto_seq, now=now
            )
        )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            f"PRAGMA wal_autocheckpoint={_BACKSTOP_PAGES}",  # see _Checkpointer
        ):
            conn.execute(pragma)
        return conn

    def _run(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        conn: sqlite3.Connection | None = None
        checkpointer = _Checkpointer(self._connect)
        try:
            while True:
                try:
                    job = jobs.get(timeout=_WRITER_IDLE_S)
                except queue.Empty:
                    with self._lock:
                        if jobs.empty() and self._jobs is jobs:
                            self._thread = None
                            return
                    continue
                if job is None:  # closed: a later job has a thread of its own
                    return
                write, loop, future = job
                result: Any = None
                error: BaseException | None = None
                try:
                    if conn is None:
                        conn = self._connect()
                    result = write(conn)
                except Exception as exc:
                    error = exc
                with contextlib.suppress(RuntimeError):  # a closed loop: no one waits
                    loop.call_soon_threadsafe(_settle, future, result, error)
                checkpointer.poke()
        finally:
            checkpointer.stop()
            if conn is not None:
                conn.close()

    def _write_snapshot(
        self,
        conn: sqlite3.Connection,
        *,
        project_id: str,
        state: bytes,
        upto_seq: int,
        now: datetime,
    ) -> Snapshot:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                f"SELECT last_seq FROM {_PROJECTS.name} WHERE id = ?", (project_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"project_id={project_id!r} does not exist")
            _check_range(project_id, upto_seq, int(row[0]))
            conn.execute(
                f"DELETE FROM {_SNAPSHOTS.name} WHERE project_id = ? AND upto_seq = ?",
                (project_id, upto_seq),
            )
            conn.execute(
                f"INSERT INTO {_SNAPSHOTS.name} (project_id, upto_seq, created_at, state) "
                "VALUES (?, ?, ?, ?)",
                (project_id, upto_seq, self._bind_snapshot_time(now), self._bind_state(state)),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return Snapshot(project_id, upto_seq, now, bytes(state))

    def _write(
        self,
        conn: sqlite3.Connection,
        *,
        items: Sequence[tuple[str, bytes, str | None]],
        now: datetime,
    ) -> list[Update]:
        # The stdlib driver lets go of the GIL around every step of every statement, and
        # this thread waits up to the switch interval (5 ms) to get it back while the
        # event loop is busy: a statement per row (or a row per step) would make a batch
        # wait in proportion to its size. So a batch is four single-step statements
        # whatever its size: read the numbers (one JSON row), bump them, insert every
        # update in one multi-row INSERT, commit. BEGIN IMMEDIATE holds the write lock,
        # so nothing changes the numbers between the read and the bump.
        counts: dict[str, int] = {}
        for project_id, _, _ in items:
            counts[project_id] = counts.get(project_id, 0) + 1
        ids = sorted(counts)
        marks = ", ".join("?" * len(ids))
        read = f"SELECT json_group_object(id, last_seq) FROM {_PROJECTS.name} WHERE id IN ({marks})"
        cases = " ".join("WHEN ? THEN ?" for _ in ids)
        bump = (
            f"UPDATE {_PROJECTS.name} SET last_seq = last_seq + CASE id {cases} ELSE 0 END, "
            f"updated_at = ? WHERE id IN ({marks})"
        )
        params: list[Any] = []
        for project_id in ids:
            params += (project_id, counts[project_id])
        params.append(self._bind_updated(now))
        params += ids
        conn.execute("BEGIN IMMEDIATE")
        try:
            last = json.loads(conn.execute(read, ids).fetchone()[0])
            missing = [project_id for project_id in ids if project_id not in last]
            if missing:
                raise NotFoundError(f"project_id={missing[0]!r} does not exist")
            conn.execute(bump, params)
            next_seq = {pid: int(last[pid]) + 1 for pid in ids}
            out = []
            for project_id, data, author_id in items:
                seq = next_seq[project_id]
                next_seq[project_id] = seq + 1
                out.append(Update(project_id, seq, author_id, now, bytes(data)))
            created = self._bind_time(now)
            for start in range(0, len(out), _ROWS_PER_INSERT):  # within SQLite's 32,766 binds
                chunk = out[start : start + _ROWS_PER_INSERT]
                rows: list[Any] = []
                for u in chunk:
                    rows += (u.project_id, u.seq, u.author_id, created, self._bind_data(u.data))
                conn.execute(self._insert + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)), rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return out


class SqlUpdateLog:
    """An :class:`UpdateLog` in the ``project_updates`` and ``project_snapshots`` tables.

    Sequence numbers come from ``projects.last_seq``, incremented with
    ``UPDATE ... RETURNING``: the row lock makes concurrent appends to one project
    take turns on both back ends, so numbers never repeat or skip.
    """

    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._db = database
        self._clock = clock
        path = database.url.database or ""
        file = path not in ("", ":memory:") and not path.startswith("file:")
        self._appender: _SqliteAppender | None = None
        if database.backend == "sqlite" and file and not database.url.query:
            self._appender = appender = _SqliteAppender(path, database.engine.dialect)
            # The writer thread's connection closes with the database's.
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
        file the same statements run on a writer thread of their own through the stdlib
        driver (:class:`_SqliteAppender`), one hand-off per batch: the async driver's
        greenlet and thread hops per statement cost the event loop more than the rest.
        """
        if not items:
            return []
        now = self._clock()
        if self._appender is not None:
            result: list[Update] = await self._appender.append(list(items), now)
            return result
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

    async def read_since(self, project_id: str, seq: int = 0) -> list[Update]:
        query = (
            select(UpdateRow)
            .where(UpdateRow.project_id == project_id, UpdateRow.seq > seq)
            .order_by(UpdateRow.seq)
        )
        async with self._db.transaction() as db:
            rows = (await db.execute(query)).scalars().all()
            return [Update(r.project_id, r.seq, r.author_id, r.created_at, r.update) for r in rows]

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
            _check_range(project_id, upto_seq, last)
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
