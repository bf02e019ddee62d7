"""What the room tests share: an in-memory update log whose commits wait for the test, and
a room with two editors on it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bandmate.store.updates import InMemoryUpdateLog, Update
from bandmate.sync.limits import SyncLimits
from bandmate.sync.member import Member
from bandmate.sync.room import Room
from bandmate.sync.rooms import Rooms

LIMITS = SyncLimits(close_grace_s=0)


class GatedLog(InMemoryUpdateLog):
    """An in-memory log whose batches wait for :attr:`gate` before they commit (and fail
    with "disk full" while :attr:`fail` is set)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()
        self.fail = False

    async def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Update]:
        self.waiting.set()
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("disk full")
        return await super().append_many(items)


async def editor_and_other(log: GatedLog) -> tuple[Room, Member, Member]:
    """Project ``p``'s room with two editors in it: ``e`` (wants acks) and ``o``."""
    rooms = Rooms(log, limits=LIMITS)
    editor = Member("e", can_edit=True, limits=LIMITS, acks=True)
    other = Member("o", can_edit=True, limits=LIMITS)
    room = await rooms.join("p", editor)
    await rooms.join("p", other)
    return room, editor, other
