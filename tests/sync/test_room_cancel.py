"""An update whose connection is torn down while it commits still reaches the room."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, Map

from bandmate.sync.protocol import SyncUpdate, encode_message

from .gated import GatedLog, editor_and_other

pytestmark = pytest.mark.anyio


def _insert() -> bytes:
    author: Doc[Any] = Doc(client_id=9)
    before = author.get_state()
    author.get("meta", type=Map)["title"] = "Kept"
    return author.get_update(before)


async def test_a_cancelled_receive_still_applies_broadcasts_and_acks_its_commit() -> None:
    log = GatedLog()
    log.create("p")
    room, editor, other = await editor_and_other(log)
    update = _insert()
    receiving = asyncio.create_task(room.receive(editor, encode_message(SyncUpdate(update))))
    await log.waiting.wait()
    receiving.cancel()
    await asyncio.sleep(0)
    assert not receiving.done()  # it waits for the commit it started
    log.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await receiving
    assert [u.data for u in await log.read_since("p")] == [update]
    assert room.seq == 1
    assert room.doc.get("meta", type=Map).to_py() == {"title": "Kept"}
    assert other.outbox._frames is not None
    assert other.outbox._frames[-1] == encode_message(SyncUpdate(update))


async def test_a_failed_commit_under_cancellation_leaves_no_trace() -> None:
    log = GatedLog()
    log.create("p")
    log.fail = True
    room, editor, other = await editor_and_other(log)
    queued = other.outbox._frames
    update = _insert()
    receiving = asyncio.create_task(room.receive(editor, encode_message(SyncUpdate(update))))
    await log.waiting.wait()
    receiving.cancel()
    log.gate.set()
    with pytest.raises(RuntimeError, match="disk full"):
        await receiving
    assert room.seq == 0
    assert room.doc.get("meta", type=Map).to_py() == {}
    assert other.outbox._frames == queued  # nothing broadcast
    log.fail = False  # the shadow was rebuilt: the same update goes through now
    await room.receive(editor, encode_message(SyncUpdate(update)))
    assert room.seq == 1
    assert room.doc.get("meta", type=Map).to_py() == {"title": "Kept"}
