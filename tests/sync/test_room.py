"""A room's write path: what is logged, refused, acknowledged and broadcast (no sockets)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, Map, merge_updates

from bandmate.store.updates import InMemoryUpdateLog
from bandmate.sync.limits import EditDeniedError, SyncLimits
from bandmate.sync.member import Close, Member, Outbox
from bandmate.sync.protocol import (
    Ack,
    Message,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_message,
)
from bandmate.sync.rooms import Rooms

pytestmark = pytest.mark.anyio

LIMITS = SyncLimits(close_grace_s=0)


def _drain(member: Member) -> list[Message]:
    frames = []
    while member.outbox._frames:
        frames.append(decode_message(member.outbox._frames.popleft()))
    return frames


def _change(author: Doc[Any], edit: Any) -> bytes:
    before = author.get_state()
    edit(author.get("meta", type=Map))
    return author.get_update(before)


async def _room_with(*members: Member) -> tuple[InMemoryUpdateLog, Any]:
    log = InMemoryUpdateLog()
    log.create("p")
    rooms = Rooms(log, limits=LIMITS)
    room = None
    for member in members:
        room = await rooms.join("p", member)
        _drain(member)
    return log, room


async def test_edits_deletions_and_no_ops_from_an_editor() -> None:
    editor = Member("e", can_edit=True, limits=LIMITS, acks=True)
    other = Member("o", can_edit=True, limits=LIMITS)
    log, room = await _room_with(editor, other)
    author: Doc[Any] = Doc(client_id=7)
    insert = _change(author, lambda meta: meta.update({"a": 1.0, "b": 2.0}))
    await room.receive(editor, encode_message(SyncUpdate(insert)))
    delete = _change(author, lambda meta: meta.pop("a"))
    await room.receive(editor, encode_message(SyncUpdate(delete)))
    # The same deletion again, and a sync step 2 of a peer that is up to date: no-ops.
    await room.receive(editor, encode_message(SyncUpdate(delete)))
    await room.receive(editor, encode_message(SyncStep2(room.doc.get_update(room.doc.get_state()))))
    assert [u.data for u in await log.read_since("p")] == [insert, delete]
    assert [(a.index, a.seq) for a in _drain(editor) if isinstance(a, Ack)] == [
        (1, 1),
        (2, 2),
        (3, 2),
        (4, 2),
    ]
    assert _drain(other) == [SyncUpdate(insert), SyncUpdate(delete)]
    assert room.doc.get("meta", type=Map).to_py() == {"b": 2.0}


async def test_a_viewer_may_send_no_ops_but_not_deletions() -> None:
    editor = Member("e", can_edit=True, limits=LIMITS)
    viewer = Member("v", can_edit=False, limits=LIMITS, acks=True)
    log, room = await _room_with(editor, viewer)
    author: Doc[Any] = Doc(client_id=7)
    insert = _change(author, lambda meta: meta.update({"a": 1.0}))
    await room.receive(editor, encode_message(SyncUpdate(insert)))
    await room.receive(viewer, encode_message(SyncUpdate(insert)))  # already there: a no-op
    assert [(a.index, a.seq) for a in _drain(viewer) if isinstance(a, Ack)] == [(1, 1)]
    delete = _change(author, lambda meta: meta.pop("a"))
    with pytest.raises(EditDeniedError, match="viewer"):
        await room.receive(viewer, encode_message(SyncUpdate(delete)))
    assert len(await log.read_since("p")) == 1
    # The refused deletion left no trace: the editor's own deletion still counts.
    await room.receive(editor, encode_message(SyncUpdate(delete)))
    assert len(await log.read_since("p")) == 2
    assert room.doc.get("meta", type=Map).to_py() == {}


async def test_an_update_partly_waiting_for_missing_changes_is_held_whole() -> None:
    # One client's change integrates at once, the other's needs a change the server lacks:
    # the document must not keep the first alone (it is one update for the log).
    editor = Member("e", can_edit=True, limits=LIMITS, acks=True)
    other = Member("o", can_edit=True, limits=LIMITS)
    log, room = await _room_with(editor, other)
    seven: Doc[Any] = Doc(client_id=7)
    eight: Doc[Any] = Doc(client_id=8)
    missing = _change(seven, lambda meta: meta.update({"a": 1.0}))
    after_missing = _change(seven, lambda meta: meta.update({"b": 2.0}))
    independent = _change(eight, lambda meta: meta.update({"c": 3.0}))
    state = room.doc.get_state()
    both = merge_updates(after_missing, independent)
    await room.receive(editor, encode_message(SyncUpdate(both)))
    assert await log.read_since("p") == []
    assert room.doc.get_state() == state
    assert _drain(other) == []
    await room.receive(editor, encode_message(SyncStep2(missing)))
    assert len(await log.read_since("p")) == 1
    assert room.doc.get("meta", type=Map).to_py() == {"a": 1.0, "b": 2.0, "c": 3.0}
    assert [type(m) for m in _drain(other)] == [SyncUpdate]


async def test_outbox_hands_frames_in_order_then_the_close() -> None:
    outbox = Outbox(10)
    waiting = asyncio.ensure_future(outbox.next())
    await asyncio.sleep(0)
    assert not waiting.done()
    assert outbox.push(b"abc")
    assert await waiting == b"abc"
    assert outbox.push(b"1234567")
    assert not outbox.push(b"1234")  # 11 bytes queued would exceed the cap of 10
    assert await outbox.next() == b"1234567"
    assert outbox.push(b"dropped")
    outbox.close(4403, "é" * 100, last=b"bye")
    assert outbox.push(b"after")  # dropped after the close
    assert await outbox.next() == b"bye"
    close = await outbox.next()
    assert isinstance(close, Close)
    assert close.code == 4403
    assert len(close.reason.encode()) <= 123
    assert await outbox.next() == close


async def test_a_member_too_far_behind_is_closed_with_1013() -> None:
    member = Member("u", can_edit=True, limits=SyncLimits(outbox_bytes=8))
    member.send(SyncStep1(b"\x00"))
    member.send_bytes(b"123456789")  # the queued frames are dropped: it will sync again
    close = await member.outbox.next()
    assert isinstance(close, Close)
    assert close.code == 1013
