"""While an update commits, whatever reads or writes the room's document waits its turn."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, Map

from bandmate.sync.member import Member
from bandmate.sync.protocol import (
    AwarenessEntry,
    AwarenessUpdate,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_awareness,
    encode_message,
)
from bandmate.sync.room import Room
from bandmate.sync.update import apply_update

from .gated import GatedLog, editor_and_other

pytestmark = pytest.mark.anyio


class Sink:
    """A connection's transport: what the room sent it."""

    writable = True

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)

    def close(self, code: int, reason: str) -> None:
        self.frames.append(f"close {code}".encode())


def _title(title: str, client_id: int) -> bytes:
    author: Doc[Any] = Doc(client_id=client_id)
    author.get("meta", type=Map)["title"] = title
    return author.get_update()


async def _room(log: GatedLog) -> tuple[Room, Member, Member, Sink]:
    room, editor, other = await editor_and_other(log)
    sink = Sink()
    other.outbox.attach(sink)
    sink.frames.clear()  # the sync step 1 every member gets on joining
    return room, editor, other, sink


async def test_a_sync_step_1_waits_for_the_update_being_committed() -> None:
    log = GatedLog()
    log.create("p")
    room, editor, other, sink = await _room(log)
    committing = room.feed(editor, encode_message(SyncUpdate(_title("Kept", 9))))
    assert committing is not None
    await log.waiting.wait()
    asked = room.feed(other, encode_message(SyncStep1(b"\x00")))
    assert asked is not None  # queued behind the commit: it must not see the update yet
    assert sink.frames == []
    log.gate.set()
    await committing
    await asked
    kinds = [type(decode_message(frame)).__name__ for frame in sink.frames]
    assert kinds == ["SyncUpdate", "SyncStep2"]
    answer = decode_message(sink.frames[1])
    assert isinstance(answer, SyncStep2)
    doc: Doc[Any] = Doc()
    apply_update(doc, answer.update)
    assert doc.get("meta", type=Map).to_py() == {"title": "Kept"}


async def test_updates_queued_behind_a_commit_go_in_order_and_a_leavers_are_dropped() -> None:
    log = GatedLog()
    log.create("p")
    room, editor, other, _ = await _room(log)
    first = room.feed(editor, encode_message(SyncUpdate(_title("One", 9))))
    await log.waiting.wait()
    second = room.feed(editor, encode_message(SyncUpdate(_title("Two", 10))))
    dropped = room.feed(other, encode_message(SyncUpdate(_title("Gone", 11))))
    read = asyncio.ensure_future(room.committed_state())
    assert first is not None
    assert second is not None
    assert dropped is not None
    room.remove(other)  # its connection closed while its update waited
    log.gate.set()
    await asyncio.gather(first, second)
    assert dropped.cancelled()
    assert [u.author_id for u in await log.read_since("p")] == ["e", "e"]
    doc: Doc[Any] = Doc()
    apply_update(doc, await read)  # read after both commits: what they left
    assert doc.get("meta", type=Map).to_py()["title"] in ("One", "Two")
    assert room.seq == 2


async def test_awareness_is_relayed_at_once_even_while_an_update_commits() -> None:
    log = GatedLog()
    log.create("p")
    room, editor, _other, sink = await _room(log)
    room.feed(editor, encode_message(SyncUpdate(_title("Kept", 9))))
    await log.waiting.wait()
    awareness = encode_awareness([AwarenessEntry(5, 1, '{"user":"e"}')])
    assert room.feed(editor, encode_message(AwarenessUpdate(awareness))) is None
    assert [type(decode_message(f)).__name__ for f in sink.frames] == ["AwarenessUpdate"]
    log.gate.set()
    await room.flush()


async def test_a_member_closed_while_its_update_waits_does_not_write_it() -> None:
    log = GatedLog()
    log.create("p")
    room, editor, other, _ = await _room(log)
    first = room.feed(editor, encode_message(SyncUpdate(_title("One", 9))))
    await log.waiting.wait()
    waiting = room.feed(other, encode_message(SyncUpdate(_title("Late", 11))))
    assert first is not None
    assert waiting is not None
    other.close(4403, "removed from project p", notice=True)  # still in the room for now
    log.gate.set()
    await first
    await asyncio.sleep(0)
    assert waiting.cancelled()
    assert [u.author_id for u in await log.read_since("p")] == ["e"]
