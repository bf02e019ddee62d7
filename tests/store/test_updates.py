"""The update log: the same contract for the SQL log (both back ends) and the in-memory one."""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from bandmate.store import repos, sqlite_log
from bandmate.store.engine import Database, sqlite_url
from bandmate.store.errors import NotFoundError
from bandmate.store.journal import JournalHeldError, encode_frame
from bandmate.store.migrate import upgrade
from bandmate.store.models import ProjectRow
from bandmate.store.records import Project
from bandmate.store.updates import (
    InMemoryUpdateLog,
    SnapshotRangeError,
    SqlUpdateLog,
    Update,
    UpdateLog,
    utc_now,
)

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class LogCase:
    log: UpdateLog
    project_id: str
    other_project_id: str
    author_id: str
    clock: FakeClock


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def case(
    request: pytest.FixtureRequest,
    open_db: Callable[[str], AbstractAsyncContextManager[Database]],
) -> AsyncIterator[LogCase]:
    clock = FakeClock()
    if request.param == "memory":
        memory = InMemoryUpdateLog(clock=clock)
        memory.create("p1")
        memory.create("p2")
        yield LogCase(memory, "p1", "p2", "author", clock)
        return
    async with open_db(request.param) as database:
        async with database.transaction() as db:
            user = await repos.insert_user(db, username="author", password_hash="x", now=T0)
            p1 = await repos.insert_project(db, name="one", owner_id=user.id, now=T0)
            p2 = await repos.insert_project(db, name="two", owner_id=user.id, now=T0)
        yield LogCase(SqlUpdateLog(database, clock=clock), p1.id, p2.id, user.id, clock)


def test_both_logs_satisfy_the_protocol() -> None:
    assert isinstance(InMemoryUpdateLog(), UpdateLog)
    assert isinstance(SqlUpdateLog(Database("sqlite:///:memory:")), UpdateLog)


async def test_append_numbers_updates_from_one_per_project(case: LogCase) -> None:
    first = await case.log.append(case.project_id, b"\x01\x02", author_id=case.author_id)
    second = await case.log.append(case.project_id, b"\x03", author_id=None)
    other = await case.log.append(case.other_project_id, b"\x04", author_id=case.author_id)
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)
    assert first.created_at == T0 + timedelta(seconds=1)
    stored = await case.log.read_since(case.project_id)
    assert [(u.seq, u.data, u.author_id) for u in stored] == [
        (1, b"\x01\x02", case.author_id),
        (2, b"\x03", None),
    ]
    assert stored[0].created_at == first.created_at
    assert stored[0].created_at.tzinfo is not None


async def test_read_since_returns_only_later_updates(case: LogCase) -> None:
    for i in range(5):
        await case.log.append(case.project_id, bytes([i]), author_id=case.author_id)
    assert [u.seq for u in await case.log.read_since(case.project_id, 3)] == [4, 5]
    assert await case.log.read_since(case.project_id, 5) == []
    assert await case.log.read_since(case.other_project_id) == []


async def test_append_to_a_missing_project_fails(case: LogCase) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        await case.log.append("0" * 32, b"x", author_id=None)


async def test_concurrent_appends_get_distinct_gapless_numbers(case: LogCase) -> None:
    results = await asyncio.gather(
        *(case.log.append(case.project_id, bytes([i]), author_id=None) for i in range(25))
    )
    assert sorted(u.seq for u in results) == list(range(1, 26))
    stored = await case.log.read_since(case.project_id)
    assert {u.data for u in stored} == {bytes([i]) for i in range(25)}


async def test_append_many_numbers_a_batch_in_order_per_project(case: LogCase) -> None:
    await case.log.append(case.project_id, b"\x00", author_id=None)
    p, q = case.project_id, case.other_project_id
    items = [(p, b"a", case.author_id), (q, b"b", None), (p, b"c", None), (q, b"d", None)]
    results = await case.log.append_many(items)
    assert [(u.project_id, u.seq, u.data, u.author_id) for u in results] == [
        (p, 2, b"a", case.author_id),
        (q, 1, b"b", None),
        (p, 3, b"c", None),
        (q, 2, b"d", None),
    ]
    assert await case.log.append_many([]) == []
    after = await case.log.append(p, b"e", author_id=None)
    assert after.seq == 4
    stored = await case.log.read_since(p)
    assert [(u.seq, u.data, u.author_id) for u in stored] == [
        (1, b"\x00", None),
        (2, b"a", case.author_id),
        (3, b"c", None),
        (4, b"e", None),
    ]
    assert [u.data for u in await case.log.read_since(q)] == [b"b", b"d"]


async def test_append_many_with_a_missing_project_stores_nothing(case: LogCase) -> None:
    items = [(case.project_id, b"a", None), ("0" * 32, b"b", None)]
    with pytest.raises(NotFoundError, match="does not exist"):
        await case.log.append_many(items)
    assert await case.log.read_since(case.project_id) == []
    assert (await case.log.append(case.project_id, b"c", author_id=None)).seq == 1


async def test_concurrent_batches_and_appends_get_distinct_gapless_numbers(
    case: LogCase,
) -> None:
    p, q = case.project_id, case.other_project_id
    batches = [
        case.log.append_many([(p, bytes([i, j]), None) for j in range(3)] + [(q, bytes([i]), None)])
        for i in range(10)
    ]
    singles = [case.log.append(p, bytes([100 + i]), author_id=None) for i in range(10)]
    await asyncio.gather(*batches, *singles)
    stored = await case.log.read_since(p)
    assert [u.seq for u in stored] == list(range(1, 41))
    for i in range(10):  # a batch's updates of one project keep their order
        seqs = [u.seq for u in stored if len(u.data) == 2 and u.data[0] == i]
        assert len(seqs) == 3
        assert seqs == list(range(seqs[0], seqs[0] + 3))  # consecutive, in order
    assert [u.seq for u in await case.log.read_since(q)] == list(range(1, 11))


async def test_snapshots_cover_a_prefix_and_the_latest_wins(case: LogCase) -> None:
    assert await case.log.latest_snapshot(case.project_id) is None
    for i in range(4):
        await case.log.append(case.project_id, bytes([i]), author_id=None)
    await case.log.snapshot(case.project_id, b"state-2", upto_seq=2)
    await case.log.snapshot(case.project_id, b"state-4", upto_seq=4)
    await case.log.snapshot(case.project_id, b"state-2b", upto_seq=2)
    latest = await case.log.latest_snapshot(case.project_id)
    assert latest is not None
    assert (latest.upto_seq, latest.state) == (4, b"state-4")
    # Snapshots never delete history.
    assert len(await case.log.read_since(case.project_id)) == 4
    assert await case.log.latest_snapshot(case.other_project_id) is None


@pytest.mark.parametrize("upto_seq", [-1, 3])
async def test_snapshot_beyond_the_log_is_refused(case: LogCase, upto_seq: int) -> None:
    await case.log.append(case.project_id, b"x", author_id=None)
    await case.log.append(case.project_id, b"y", author_id=None)
    with pytest.raises(SnapshotRangeError, match=f"upto_seq={upto_seq} must be in 0..2"):
        await case.log.snapshot(case.project_id, b"s", upto_seq=upto_seq)


async def test_snapshot_of_a_missing_project_fails(case: LogCase) -> None:
    with pytest.raises(NotFoundError):
        await case.log.snapshot("0" * 32, b"s", upto_seq=0)


async def test_sql_log_survives_a_reopen(db_url: str) -> None:
    first = Database(db_url)
    try:
        await upgrade(first)
        async with first.transaction() as db:
            user = await repos.insert_user(db, username="u", password_hash="x", now=utc_now())
            project = await repos.insert_project(db, name="p", owner_id=user.id, now=utc_now())
        await SqlUpdateLog(first).append(project.id, b"kept", author_id=user.id)
    finally:
        await first.close()
    second = Database(db_url)
    try:
        updates = await SqlUpdateLog(second).read_since(project.id)
        assert [(u.seq, u.data) for u in updates] == [(1, b"kept")]
    finally:
        await second.close()


async def test_sqlite_file_writes_are_stored_as_sqlalchemy_stores_them(tmp_path: Path) -> None:
    # On a SQLite file, appends go through the journal and are moved into the tables by a
    # writer thread (snapshots too) with the stdlib driver: the rows must hold the formats
    # SQLAlchemy writes (compared with a project the ORM inserted at the same time) and
    # read back through the ORM unchanged.
    database = Database(sqlite_url(tmp_path / "b.db"))
    try:
        await upgrade(database)
        t1 = T0 + timedelta(days=1)
        async with database.transaction() as db:
            user = await repos.insert_user(db, username="u", password_hash="x", now=T0)
            project = await repos.insert_project(db, name="p", owner_id=user.id, now=T0)
            witness = await repos.insert_project(db, name="w", owner_id=user.id, now=t1)
        log = SqlUpdateLog(database, clock=lambda: t1)
        first = await log.append_many([(project.id, b"\x00\xff", user.id)])
        snap = await log.snapshot(project.id, b"\x01s", upto_seq=1)
        await log.move_journal()
        async with database.engine.connect() as conn:
            result = await conn.exec_driver_sql(
                "SELECT u.created_at, s.created_at, p.updated_at, w.created_at, "
                'typeof(u."update"), typeof(s.state), p.last_seq '
                "FROM project_updates u, project_snapshots s, projects p, projects w "
                "WHERE u.project_id = s.project_id AND p.id = u.project_id AND w.id = ?",
                (witness.id,),
            )
            raw: tuple[object, ...] = tuple(result.one())
        assert raw[0] == raw[1] == raw[2] == raw[3]  # the ORM's own format for t1
        assert raw[4:] == ("blob", "blob", 1)
        assert await log.read_since(project.id) == first
        assert await log.latest_snapshot(project.id) == snap
        async with database.transaction() as db:
            row = await db.get(ProjectRow, project.id)
            assert row is not None
            assert row.updated_at == t1
    finally:
        await database.close()


async def _file_log(path: Path) -> tuple[Database, SqlUpdateLog, Project]:
    """A migrated SQLite file database with one project, and its update log."""
    database = Database(sqlite_url(path))
    await upgrade(database)
    async with database.transaction() as db:
        user = await repos.insert_user(db, username="u", password_hash="x", now=T0)
        project = await repos.insert_project(db, name="p", owner_id=user.id, now=T0)
    return database, SqlUpdateLog(database), project


async def _reopen(path: Path) -> tuple[Database, SqlUpdateLog]:
    database = Database(sqlite_url(path))
    return database, SqlUpdateLog(database)


async def test_sqlite_log_keeps_an_update_whose_author_is_gone_as_nobodys(
    tmp_path: Path,
) -> None:
    # As deleting a user does to the updates already moved (ON DELETE SET NULL).
    database, log, project = await _file_log(tmp_path / "b.db")
    try:
        await log.append_many([(project.id, b"a", None), (project.id, b"b", "0" * 32)])
        await log.move_journal()
        stored = await log.read_since(project.id)
        assert [(u.seq, u.data, u.author_id) for u in stored] == [(1, b"a", None), (2, b"b", None)]
        assert (await log.append(project.id, b"c", author_id=None)).seq == 3
    finally:
        await database.close()


async def test_sqlite_writer_thread_ends_when_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_log, "_WRITER_IDLE_S", 0.05)
    database, log, project = await _file_log(tmp_path / "b.db")
    try:
        for round_ in range(2):  # a second append after the thread ended starts a new one
            await log.append(project.id, bytes([round_]), author_id=None)
            for _ in range(200):
                if not any(t.name == "bandmate-sqlite-log" for t in threading.enumerate()):
                    break
                await asyncio.sleep(0.05)
            assert not any(t.name == "bandmate-sqlite-log" for t in threading.enumerate())
        assert [u.seq for u in await log.read_since(project.id)] == [1, 2]
    finally:
        await database.close()


async def test_a_batch_larger_than_one_insert_keeps_its_order(case: LogCase) -> None:
    items = [(case.project_id, bytes([i % 256, i // 256]), None) for i in range(2500)]
    out = await case.log.append_many(items)
    stored = await case.log.read_since(case.project_id)
    assert [u.seq for u in stored] == list(range(1, 2501))
    assert [u.data for u in stored] == [u.data for u in out] == [data for _, data, _ in items]


async def test_sqlite_journal_is_moved_into_the_tables_and_checkpointed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_log, "_MOVE_EVERY_S", 0.05)
    database, log, project = await _file_log(tmp_path / "c.db")
    try:
        main = tmp_path / "c.db"
        before = main.stat().st_size
        for n in range(100):
            await log.append(project.id, bytes(4000) + bytes([n]), author_id=None)
        # Far below SQLite's own checkpoint (1,000 pages, and the writer's backstop is
        # 20,000): only the checkpoint after each move copies the WAL into the file.
        for _ in range(100):
            if main.stat().st_size >= before + 300_000:
                break
            await asyncio.sleep(0.05)
        assert main.stat().st_size >= before + 300_000
        assert not list((tmp_path / "c.db-updates").glob("*.seg"))
        async with database.transaction() as db:
            row = await db.get(ProjectRow, project.id)
            assert row is not None
            assert row.last_seq == 100
        assert [u.seq for u in await log.read_since(project.id)] == list(range(1, 101))
    finally:
        await database.close()


async def test_sqlite_log_reads_what_the_journal_holds_before_it_is_moved(
    tmp_path: Path,
) -> None:
    database, log, project = await _file_log(tmp_path / "d.db")
    try:
        first = await log.append(project.id, b"one", author_id=None)
        await log.move_journal()
        second = await log.append(project.id, b"two", author_id=None)
        assert await log.read_since(project.id) == [first, second]
        assert await log.read_since(project.id, 1) == [second]
        async with database.engine.connect() as conn:
            moved = (await conn.exec_driver_sql("SELECT count(*) FROM project_updates")).scalar()
        assert moved == 1
        snap = await log.snapshot(project.id, b"state", upto_seq=2)  # in range: seq 2 is logged
        assert snap.upto_seq == 2
        with pytest.raises(SnapshotRangeError):
            await log.snapshot(project.id, b"state", upto_seq=3)
    finally:
        await database.close()


async def test_sqlite_journal_left_by_a_killed_process_is_moved_on_first_use(
    tmp_path: Path,
) -> None:
    # Segments as a killed server leaves them: the last one ends in a torn frame (a write
    # cut short, never acknowledged), and one update was moved already before the kill.
    database, log, project = await _file_log(tmp_path / "e.db")
    try:
        moved = await log.append(project.id, b"moved", author_id=None)
        await log.move_journal()
    finally:
        await database.close()
    folder = tmp_path / "e.db-updates"
    later = [Update(project.id, seq, None, T0, bytes([seq])) for seq in (2, 3, 4)]
    (folder / "000000000007.seg").write_bytes(encode_frame([moved]) + encode_frame(later[:2]))
    torn = encode_frame([Update(project.id, 5, None, T0, b"torn")])
    (folder / "000000000008.seg").write_bytes(encode_frame(later[2:]) + torn[:-3])
    database, log = await _reopen(tmp_path / "e.db")
    try:
        assert await log.read_since(project.id) == [moved, *later]
        assert not list(folder.glob("*.seg"))
        assert (await log.append(project.id, b"next", author_id=None)).seq == 5
    finally:
        await database.close()


async def test_sqlite_journal_has_one_owner(tmp_path: Path) -> None:
    database, log, project = await _file_log(tmp_path / "f.db")
    folder = tmp_path / "f.db-updates"
    folder.mkdir()
    with (folder / "lock").open("a") as held:  # another process's lock, as flock sees it
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            with pytest.raises(JournalHeldError, match="another process"):
                await log.append(project.id, b"x", author_id=None)
            assert await log.read_since(project.id) == []  # reading the database is allowed
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    try:
        assert (await log.append(project.id, b"x", author_id=None)).seq == 1
    finally:
        await database.close()


async def test_sqlite_log_forgets_a_deleted_project(tmp_path: Path) -> None:
    database, log, project = await _file_log(tmp_path / "g.db")
    try:
        await log.append(project.id, b"a", author_id=None)
        async with database.transaction() as db:
            await db.execute(delete(ProjectRow).where(ProjectRow.id == project.id))
        await log.append(project.id, b"b", author_id=None)  # its counter is still known
        await log.move_journal()  # dropped with the project, which is forgotten
        with pytest.raises(NotFoundError):
            await log.append(project.id, b"c", author_id=None)
        assert await log.read_since(project.id) == []
    finally:
        await database.close()


async def test_sqlite_journal_move_that_fails_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_log, "_MOVE_EVERY_S", 0.05)
    real = sqlite_log.SqliteAppender._move_into
    failures = [sqlite3.OperationalError("database is locked")]

    def flaky(self: Any, conn: sqlite3.Connection, records: Any) -> set[str]:
        if failures:
            raise failures.pop()
        return real(self, conn, records)

    monkeypatch.setattr(sqlite_log.SqliteAppender, "_move_into", flaky)
    database, log, project = await _file_log(tmp_path / "h.db")
    try:
        first = await log.append(project.id, b"kept", author_id=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await log.move_journal()
        assert await log.read_since(project.id) == [first]  # still there, from the journal
        for _ in range(100):
            if not list((tmp_path / "h.db-updates").glob("*.seg")):
                break
            await asyncio.sleep(0.05)
        async with database.engine.connect() as conn:
            moved = (await conn.exec_driver_sql("SELECT seq FROM project_updates")).all()
        assert [tuple(row) for row in moved] == [(1,)]
        assert await log.read_since(project.id) == [first]
    finally:
        await database.close()
