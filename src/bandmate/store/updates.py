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
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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
from bandmate.store.journal import Journal, JournalHeldError, encode_frame
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
_Job = tuple[
    Callable[[sqlite3.Connection], Any],
    asyncio.AbstractEventLoop | None,
    asyncio.Future[Any] | None,
]

_ROWS_PER_MOVE = 100
_IDS_PER_QUERY = 500

_MOVE_EVERY_S = 1.0
"""How long updates stay in the journal (at most, give or take a move in progress) before
the writer thread moves them into ``project_updates``."""

_BACKSTOP_PAGES = 20_000
"""WAL pages after which the writer's own commit checkpoints (it checkpoints after each
move anyway; this is SQLite's automatic checkpoint, should those lag)."""

_WRITER_IDLE_S = 2.0
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


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _IDS_PER_QUERY] for i in range(0, len(items), _IDS_PER_QUERY)]


class _SqliteAppender:
    """The update log's writes to a SQLite file: appends through its journal
    (:mod:`bandmate.store.journal`), then moved into ``project_updates`` by a thread.

    :meth:`write_now` numbers a batch of updates (from counters kept here, read from
    ``projects.last_seq`` on a project's first update), writes it to the journal as one
    frame, and returns: the batch is committed. About once every :data:`_MOVE_EVERY_S`
    the journal's segment is sealed and a writer thread moves its updates into
    ``project_updates`` (and bumps ``projects.last_seq`` and ``updated_at``) in one
    transaction, checkpoints the WAL (which syncs it), then deletes the segment. Reads
    add the updates not moved yet (:meth:`pending`). Snapshots are written by the same
    thread. Its connection is opened with the engine's PRAGMAs (WAL,
    ``synchronous=NORMAL``, foreign keys, busy timeout); values are bound through the
    columns' own SQLAlchemy bind processors, so rows read back through the ORM exactly as
    if SQLAlchemy had written them. The thread starts with the first job and ends after
    :data:`_WRITER_IDLE_S` idle seconds, closing its connection.

    One appender serves each database file in a process (:func:`_appender_for`); on first
    use it takes the journal's lock and moves what a previous process left in it into the
    database. :meth:`close` (the database closing) moves what is left, stops the thread
    and lets go of the journal. Everything but the thread's jobs runs on the event loop.
    """

    def __init__(self, path: str, dialect: Any) -> None:
        self._path = path
        self._journal = Journal(Path(path + "-updates"))
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()  # None: stop
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._reader: sqlite3.Connection | None = None  # the event loop's, for counters
        self._last: dict[str, int] = {}  # the last seq of each project written to
        self._current: list[Update] = []  # in the journal's open segment
        self._moving: list[list[Update]] = []  # sealed segments, until moved
        self._timer: asyncio.TimerHandle | None = None
        updates = cast(Table, UpdateRow.__table__)
        self._bind_time = _bind(updates.c.created_at, dialect)
        self._bind_data = _bind(updates.c.update, dialect)
        self._bind_updated = _bind(_PROJECTS.c.updated_at, dialect)
        self._bind_snapshot_time = _bind(_SNAPSHOTS.c.created_at, dialect)
        self._bind_state = _bind(_SNAPSHOTS.c.state, dialect)
        self._insert = (
            f'INSERT INTO {updates.name} (project_id, seq, author_id, created_at, "update") VALUES '
        )
        self._bump = (
            f"UPDATE {_PROJECTS.name} SET last_seq = max(last_seq, ?), "
            "updated_at = max(updated_at, ?) WHERE id = ?"
        )

    # the journal (event loop) ------------------------------------------------------------

    def _open(self) -> None:
        # Take the journal and move what it holds (a previous process's) into the database.
        if self._journal.is_open:
            return
        left = self._journal.open()
        try:
            for path, records in left:
                conn = self._reader_conn()
                self._move_into(conn, [Update(*record) for record in records])
                path.unlink()
        except BaseException:
            self._journal.close()
            raise
        if left:
            log.info("moved %d journal segment(s) left by the last run into the log", len(left))

    def _reader_conn(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = self._connect()
        return self._reader

    def write_now(
        self, items: Sequence[tuple[str, bytes, str | None]], now: datetime
    ) -> list[Update]:
        """Number and commit one batch of updates (see :meth:`SqlUpdateLog.append_many`).

        Raises:
            NotFoundError: One of the projects does not exist (nothing is stored).
            JournalHeldError: Another process owns the journal.
            OSError: The journal could not be written (nothing is stored).
        """
        self._open()
        last = self._last
        counters: dict[str, int] = {}
        fresh = []
        for project_id, _, _ in items:
            if project_id not in counters:
                if project_id in last:
                    counters[project_id] = last[project_id]
                else:
                    fresh.append(project_id)
                    counters[project_id] = 0
        if fresh:
            counters.update(self._read_last_seqs(fresh))
        out = []
        for project_id, data, author_id in items:
            seq = counters[project_id] + 1
            counters[project_id] = seq
            out.append(Update(project_id, seq, author_id, now, bytes(data)))
        self._journal.write(encode_frame(out))
        last.update(counters)
        self._current += out
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(_MOVE_EVERY_S, self.move)
        return out

    def _read_last_seqs(self, project_ids: Sequence[str]) -> dict[str, int]:
        conn = self._reader_conn()
        found: dict[str, int] = {}
        for chunk in _chunks(project_ids):
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT id, last_seq FROM {_PROJECTS.name} WHERE id IN ({marks})"
            found.update((str(pid), int(seq)) for pid, seq in conn.execute(query, chunk).fetchall())
        missing = [project_id for project_id in project_ids if project_id not in found]
        if missing:
            raise NotFoundError(f"project_id={missing[0]!r} does not exist")
        return found

    def pending(self, project_id: str, after: int) -> list[Update]:
        """The updates of ``project_id`` after ``after`` that are not moved yet (some may
        be moved by the time the caller reads the database: it keeps one of each). In a
        process that does not own the journal (another serves the data folder): none, the
        database alone (what was moved, a second old at most)."""
        try:
            self._open()
        except JournalHeldError:
            return []
        return [
            u
            for batch in (*self._moving, self._current)
            for u in batch
            if u.project_id == project_id and u.seq > after
        ]

    def last_seq(self, project_id: str) -> int:
        """The last seq written for ``project_id`` in this run (0: none yet)."""
        return self._last.get(project_id, 0)

    def move(self) -> asyncio.Future[Any] | None:
        """Seal the journal's segment and have the writer thread move its updates into the
        database: a future done once they are (``None``: nothing to move)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        path = self._journal.seal()
        records, self._current = self._current, []
        if not records:
            return None
        self._moving.append(records)
        return self._submit_move(path, records)

    def _submit_move(self, path: Path | None, records: list[Update]) -> asyncio.Future[Any]:
        moving = self.submit(functools.partial(self._move, path=path, records=records))
        moving.add_done_callback(functools.partial(self._moved, path, records))
        return moving

    def _moved(self, path: Path | None, records: list[Update], moving: asyncio.Future[Any]) -> None:
        if moving.cancelled() or moving.exception() is not None:
            # Still in the journal (and seen by readers): tried again later.
            error = "cancelled" if moving.cancelled() else moving.exception()
            log.error("moving %d journal updates into the log failed: %s", len(records), error)
            loop = asyncio.get_running_loop()
            loop.call_later(_MOVE_EVERY_S, self._retry, path, records)
            return
        for project_id in moving.result():  # deleted since: its counter goes too
            self._last.pop(project_id, None)
        self._forget(records)

    def _retry(self, path: Path | None, records: list[Update]) -> None:
        if any(batch is records for batch in self._moving):
            self._submit_move(path, records)

    def _forget(self, records: list[Update]) -> None:
        self._moving = [batch for batch in self._moving if batch is not records]

    # the writer thread -------------------------------------------------------------------

    def submit(self, write: Callable[[sqlite3.Connection], Any]) -> asyncio.Future[Any]:
        """Queue ``write``; the future gets what it returns once it ran (or its error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._enqueue((write, loop, future))
        return future

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            self._jobs.put(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._jobs,), name="bandmate-sqlite-log", daemon=True
                )
                self._thread.start()

    def close(self, *, wait_s: float = 5.0) -> None:
        """Move what the journal holds, end the writer thread after its jobs, wait up to
        ``wait_s`` for it, and let go of the journal. A later use starts anew (and moves
        what a failed move left in the journal)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        path = self._journal.seal()
        if self._current:
            self._enqueue(
                (functools.partial(self._move, path=path, records=self._current), None, None)
            )
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._jobs.put(None)  # after the jobs queued; later ones go to a new queue
                self._jobs = queue.SimpleQueue()
                self._thread = None
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait_s)
        self._journal.close()
        self._last.clear()
        self._current, self._moving = [], []
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def snapshot(
        self, project_id: str, state: bytes, upto_seq: int, now: datetime
    ) -> asyncio.Future[Any]:
        """Queue one snapshot (see :meth:`SqlUpdateLog.snapshot`)."""
        self._open()
        return self.submit(
            functools.partial(
                self._write_snapshot,
                project_id=project_id,
                state=state,
                upto_seq=upto_seq,
                now=now,
                written=self.last_seq(project_id),
            )
        )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            f"PRAGMA wal_autocheckpoint={_BACKSTOP_PAGES}",
        ):
            conn.execute(pragma)
        return conn

    def _run(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        conn: sqlite3.Connection | None = None
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
                    if loop is None:
                        log.error("writing to the update log failed: %s", exc)
                if loop is not None and future is not None:
                    with contextlib.suppress(RuntimeError):  # a closed loop: no one waits
                        loop.call_soon_threadsafe(_settle, future, result, error)
        finally:
            if conn is not None:
                conn.close()

    def _move(
        self, conn: sqlite3.Connection, *, path: Path | None, records: list[Update]
    ) -> set[str]:
        # Into the database, then a checkpoint (which syncs the WAL first), then the segment
        # goes: a power cut loses no more than it would have without the journal.
        missing = self._move_into(conn, records)
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        if path is not None:
            path.unlink(missing_ok=True)
        return missing

    def _move_into(self, conn: sqlite3.Connection, records: Sequence[Update]) -> set[str]:
        # One transaction: the updates of projects that still exist (an update already in
        # the log, moved before a crash, is left as it is), their authors kept only if they
        # still exist (as deleting a user does), and each project's counter and time.
        project_ids = sorted({u.project_id for u in records})
        authors = sorted({u.author_id for u in records if u.author_id is not None})
        conn.execute("BEGIN IMMEDIATE")
        try:
            projects = self._existing(conn, _PROJECTS.name, project_ids)
            people = self._existing(conn, "users", authors)
            kept = [u for u in records if u.project_id in projects]
            # Small statements: the GIL is let go during each, so a move never holds up the
            # event loop for long. A batch's updates share one time: bound once.
            when: datetime | None = None
            bound: Any = None
            for start in range(0, len(kept), _ROWS_PER_MOVE):
                chunk = kept[start : start + _ROWS_PER_MOVE]
                rows: list[Any] = []
                for u in chunk:
                    if u.created_at is not when:
                        when, bound = u.created_at, self._bind_time(u.created_at)
                    author = u.author_id if u.author_id in people else None
                    rows += (u.project_id, u.seq, author, bound, self._bind_data(u.data))
                marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
                conn.execute(f"{self._insert}{marks} ON CONFLICT DO NOTHING", rows)
            newest: dict[str, Update] = {}
            for u in kept:
                seen = newest.get(u.project_id)
                if seen is None or u.seq > seen.seq:
                    newest[u.project_id] = u
            conn.executemany(
                self._bump,
                [(u.seq, self._bind_updated(u.created_at), pid) for pid, u in newest.items()],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return set(project_ids) - projects

    @staticmethod
    def _existing(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            rows = conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk).fetchall()
            found.update(str(row[0]) for row in rows)
        return found

    def _write_snapshot(
        self,
        conn: sqlite3.Connection,
        *,
        project_id: str,
        state: bytes,
        upto_seq: int,
        now: datetime,
        written: int,
    ) -> Snapshot:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                f"SELECT last_seq FROM {_PROJECTS.name} WHERE id = ?", (project_id,)
            ).fetchall()
            if not row:
                raise NotFoundError(f"project_id={project_id!r} does not exist")
            _check_range(project_id, upto_seq, max(int(row[0][0]), written))
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


_APPENDERS: dict[str, _SqliteAppender] = {}
_APPENDERS_LOCK = threading.Lock()


def _appender_for(path: str, dialect: Any) -> _SqliteAppender:
    """The one appender of a database file in this process (its journal has one owner)."""
    key = os.path.realpath(path)
    with _APPENDERS_LOCK:
        appender = _APPENDERS.get(key)
        if appender is None:
            appender = _APPENDERS[key] = _SqliteAppender(path, dialect)
        return appender


class SqlUpdateLog:
    """An :class:`UpdateLog` in the ``project_updates`` and ``project_snapshots`` tables.

    On PostgreSQL (and SQLite in memory), sequence numbers come from
    ``projects.last_seq``, incremented with ``UPDATE ... RETURNING``: the row lock makes
    concurrent appends to one project take turns, so numbers never repeat or skip. On a
    SQLite file, appends go to the file's journal and counters kept in this process
    (:class:`_SqliteAppender`), and reach the tables about a second later; reads see them
    at once.
    """

    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._db = database
        self._clock = clock
        path = database.url.database or ""
        file = path not in ("", ":memory:") and not path.startswith("file:")
        self._appender: _SqliteAppender | None = None
        if database.backend == "sqlite" and file and not database.url.query:
            self._appender = appender = _appender_for(path, database.engine.dialect)
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
        file the batch is one frame written to the journal (:class:`_SqliteAppender`).
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
