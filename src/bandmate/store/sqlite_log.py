"""The update log's writes to a SQLite file: the journal, its mover thread, and snapshots.

See :class:`SqliteAppender` and :mod:`bandmate.store.journal`; ``SqlUpdateLog`` uses one per
database file.
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
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table

from bandmate.store.engine import BUSY_TIMEOUT_MS
from bandmate.store.errors import NotFoundError
from bandmate.store.journal import Journal, JournalHeldError, encode_frame
from bandmate.store.logged import Snapshot, Update, check_range
from bandmate.store.models import ProjectRow, SnapshotRow, UpdateRow

log = logging.getLogger(__name__)

_PROJECTS = cast(Table, ProjectRow.__table__)
_SNAPSHOTS = cast(Table, SnapshotRow.__table__)

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


class SqliteAppender:
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

    One appender serves each database file in a process (:func:`appender_for`); on first
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
        """Number and commit one batch of updates (see ``SqlUpdateLog.append_many``).

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
        """Queue one snapshot (see ``SqlUpdateLog.snapshot``)."""
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
            check_range(project_id, upto_seq, max(int(row[0][0]), written))
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


_APPENDERS: dict[str, SqliteAppender] = {}
_APPENDERS_LOCK = threading.Lock()


def appender_for(path: str, dialect: Any) -> SqliteAppender:
    """The one appender of a database file in this process (its journal has one owner)."""
    key = os.path.realpath(path)
    with _APPENDERS_LOCK:
        appender = _APPENDERS.get(key)
        if appender is None:
            appender = _APPENDERS[key] = SqliteAppender(path, dialect)
        return appender
