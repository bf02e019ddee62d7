"""An in-memory update log whose commits wait for the test (shared by the room tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bandmate.store.updates import InMemoryUpdateLog, Update


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
