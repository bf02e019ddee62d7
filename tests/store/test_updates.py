"""The update log: the same contract for the SQL log (both back ends) and the in-memory one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bandmate.store import repos
from bandmate.store.engine import Database
from bandmate.store.errors import NotFoundError
from bandmate.store.migrate import upgrade
from bandmate.store.updates import (
    InMemoryUpdateLog,
    SnapshotRangeError,
    SqlUpdateLog,
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
