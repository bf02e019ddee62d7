"""The room's write lock: first come, first served, and a cancelled waiter never keeps it."""

from __future__ import annotations

import asyncio

import pytest

from bandmate.sync.room import _Turns

pytestmark = pytest.mark.anyio


async def test_free_lock_is_taken_without_waiting_and_waiters_go_in_order() -> None:
    turns = _Turns()
    assert turns.take_now()
    assert not turns.take_now()
    order: list[int] = []

    async def writer(n: int) -> None:
        await turns.take()
        order.append(n)
        await asyncio.sleep(0)
        turns.give()

    tasks = [asyncio.create_task(writer(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert order == []
    turns.give()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]
    assert turns.take_now()  # free again once the last one gave it back


async def test_a_cancelled_waiter_leaves_the_line_and_passes_on_a_lock_it_was_handed() -> None:
    turns = _Turns()
    assert turns.take_now()
    first = asyncio.create_task(turns.take())
    second = asyncio.create_task(turns.take())
    await asyncio.sleep(0)
    first.cancel()  # still waiting: it leaves the line
    await asyncio.sleep(0)
    assert first.cancelled()
    turns.give()  # handed to the second
    second.cancel()  # ... cancelled before it ran: the lock must not stay taken
    await asyncio.sleep(0)
    assert second.cancelled()
    assert turns.take_now()


async def test_a_newcomer_does_not_jump_the_line() -> None:
    turns = _Turns()
    assert turns.take_now()
    waiting = asyncio.create_task(turns.take())
    await asyncio.sleep(0)
    turns.give()  # handed to the waiter, which has not run yet
    assert not turns.take_now()
    await waiting
    turns.give()
    assert turns.take_now()
