"""The open rooms of one server process: loaded on first join, closed after the last leave.

A room is loaded under a lock of its own project, so connections that join a room while
it is being loaded wait for that one load (never a second, never forever) and a failed
load leaves nothing behind for the next attempt to trip over. When the last member
leaves, the room stays open ``close_grace_s`` seconds (a reload or a flaky network
costs no reload from the log), then writes a snapshot if it logged anything since the
last one and closes. Membership changes reach open connections through
:meth:`Rooms.remove_user` and :meth:`Rooms.set_can_edit`.

Every room of the manager commits its updates through one :class:`BatchWriter`: what the
rooms submit during one turn of the event loop goes to the log together, in one
transaction, so a busy server pays one commit per batch rather than one per update. A
room still waits for each of its writes before its next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from bandmate.sync.limits import CloseCode, SyncLimits
from bandmate.sync.member import Member
from bandmate.sync.room import Committed, Room, RoomLog, Seed

log = logging.getLogger(__name__)

AppendNow = Callable[[Sequence[tuple[str, bytes, str | None]]], Sequence[Any] | None]
"""A log's ``append_now`` (``bandmate.store.SqlUpdateLog.append_now``): the batch committed at
once, or ``None`` when that would mean waiting."""


class _KeyedLock:
    """One asyncio lock per key, kept only while someone holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class BatchWriter:
    """Commits the updates of many rooms together (group commit).

    :meth:`submit` queues an update and a callback, called with the logged update (or
    the error) once it is committed (or failed). What the rooms submit during one turn of
    the event loop is written at the start of the next, in batches of up to
    ``max_batch``: with ``log.append_now`` where the log has it and can commit without
    waiting (a SQLite file: a write to its journal, right there on the event loop), else
    by a worker task that awaits ``log.append_many`` for each batch until the queue is
    empty. Callbacks are called in order. When a write fails, every update of the batch
    gets the exception (nothing of it was committed), except that a batch refused for a
    missing project is retried update by update so that the other projects' updates
    still go through.
    """

    def __init__(self, log: RoomLog, *, max_batch: int = 256) -> None:
        self._log = log
        self._append_now: AppendNow | None = getattr(log, "append_now", None)
        self._max_batch = max_batch
        self._queue: list[_Queued] = []
        self._flushing = False
        self._worker: asyncio.Task[None] | None = None

    async def append(self, project_id: str, data: bytes, author_id: str | None) -> Any:
        """Store ``data`` as the project's next update; returns it once committed.

        Raises:
            Exception: The update log failed (the update was not stored).
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.submit(project_id, data, author_id, partial(_settle, future))
        return await future

    def submit(self, project_id: str, data: bytes, author_id: str | None, done: Committed) -> None:
        """Queue ``data`` as the project's next update; ``done(update, None)`` is called once
        it is committed, ``done(None, error)`` if it failed (never before this returns)."""
        self._queue.append((project_id, data, author_id, done))
        self._schedule()

    def _schedule(self) -> None:
        # A flush at the next turn of the loop, unless one is due or the worker is writing.
        if not self._flushing and (self._worker is None or self._worker.done()):
            self._flushing = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flushing = False
        if self._worker is not None and not self._worker.done():
            return  # it takes what is queued
        if self._append_now is not None:
            batch = self._queue[: self._max_batch]
            try:
                entries = self._append_now([item[:3] for item in batch])
            except Exception:  # the worker tries again and sorts out who gets the error
                entries = None
            if entries is not None:
                del self._queue[: len(batch)]
                # What the callbacks submit (each room's next update) goes in the next turn.
                _resolve(batch, entries)
                if self._queue:
                    self._schedule()
                return
        if self._queue:
            self._worker = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            await asyncio.sleep(0)  # let writers that are ready queue theirs too
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                await self._write(batch)
            except BaseException as exc:  # cancelled: no update may wait forever
                _fail(batch, exc)
                raise

    async def _write(self, batch: list[_Queued]) -> None:
        try:
            entries = list(await self._log.append_many([item[:3] for item in batch]))
        except Exception as exc:
            if len(batch) > 1 and getattr(exc, "code", None) == "not_found":
                # Refused before anything was written: one project is gone. The others'
                # updates should not fail with it.
                for item in batch:
                    await self._write([item])
                return
            _fail(batch, exc)
            return
        _resolve(batch, entries)


_Queued = tuple[str, bytes, str | None, Committed]


def _resolve(batch: list[_Queued], entries: Sequence[Any]) -> None:
    for (*_, done), entry in zip(batch, entries, strict=True):
        _call(done, entry, None)


def _fail(batch: list[_Queued], error: BaseException) -> None:
    for *_, done in batch:
        _call(done, None, error)


def _call(done: Committed, entry: Any, error: BaseException | None) -> None:
    try:
        done(entry, error)
    except Exception:  # one room's bug must not keep the others' updates waiting
        log.exception("a committed update's callback failed")


def _settle(future: asyncio.Future[Any], entry: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(entry)


class Rooms:
    """The room manager.

    Args:
        log: Where updates and snapshots are stored (``studio.updates``).
        limits: Limits for rooms and connections; may be replaced before the first join.
    """

    def __init__(self, log: RoomLog, *, limits: SyncLimits | None = None) -> None:
        self.log = log
        self.limits = limits or SyncLimits()
        self._rooms: dict[str, Room] = {}
        self._locks = _KeyedLock()
        self._closers: dict[str, asyncio.Task[None]] = {}
        self.writer = BatchWriter(log)

    def get(self, project_id: str) -> Room | None:
        """The open room of ``project_id``, if any."""
        return self._rooms.get(project_id)

    def new_member(self, user_id: str, *, can_edit: bool, acks: bool = False) -> Member:
        """A member for one connection, with this manager's limits."""
        return Member(user_id, can_edit=can_edit, limits=self.limits, acks=acks)

    async def join(self, project_id: str, member: Member, *, seed: Seed | None = None) -> Room:
        """Add ``member`` to the project's room, loading the room first if it is closed.

        Args:
            project_id: The project.
            member: The connection.
            seed: Makes the first update when the project's log is empty.

        Raises:
            RoomLoadError: The stored updates do not make a document.
            Exception: The update log failed.
        """
        async with self._locks.hold(project_id):
            closer = self._closers.pop(project_id, None)
            if closer is not None:
                closer.cancel()
            room = self._rooms.get(project_id)
            if room is None:
                room = await Room.load(
                    project_id, self.log, limits=self.limits, seed=seed, append=self.writer.submit
                )
                self._rooms[project_id] = room
            room.add(member)
            return room

    def leave(self, room: Room, member: Member) -> None:
        """Remove ``member``; the room closes after the grace period if it is left empty."""
        room.remove(member)
        pid = room.project_id
        if not room.members and self._rooms.get(pid) is room and pid not in self._closers:
            self._closers[pid] = asyncio.create_task(self._close_later(room))

    async def _close_later(self, room: Room) -> None:
        pid = room.project_id
        await asyncio.sleep(self.limits.close_grace_s)
        async with self._locks.hold(pid):
            if self._closers.get(pid) is asyncio.current_task():
                del self._closers[pid]
            if room.members or self._rooms.get(pid) is not room:
                return
            del self._rooms[pid]
            await room.flush()

    def remove_user(self, project_id: str, user_id: str) -> None:
        """Close every connection of ``user_id`` to ``project_id`` (4403): they lost access."""
        room = self._rooms.get(project_id)
        for member in list(room.members if room else ()):
            if member.user_id == user_id:
                member.close(CloseCode.FORBIDDEN, f"removed from project {project_id}", notice=True)

    def set_can_edit(self, project_id: str, user_id: str, can_edit: bool) -> None:
        """Grant or withdraw edit rights of ``user_id``'s open connections, at once."""
        room = self._rooms.get(project_id)
        for member in room.members if room else ():
            if member.user_id == user_id:
                member.can_edit = can_edit

    async def close_all(self) -> None:
        """Close every connection (1001) and room, writing pending snapshots (shutdown)."""
        for task in self._closers.values():
            task.cancel()
        self._closers.clear()
        for pid in list(self._rooms):
            async with self._locks.hold(pid):
                room = self._rooms.pop(pid, None)
                if room is None:
                    continue
                for member in room.members:
                    member.close(CloseCode.GOING_AWAY, "server shutting down")
                await room.flush()
