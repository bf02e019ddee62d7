"""One open song document shared by the connections to its project, and its update log.

A :class:`Room` holds the document in memory. An update from a connection is applied to
it at once: if it fails to decode or integrate, or turns out to be refused, the document
is rolled back to what the log holds (rebuilt from the state at the last snapshot and the
updates logged since, which the room keeps) and the connection is refused. An update
that changes nothing (no new items, no new deletions, nothing left pending: what a stock
client sends back in sync step 2 when it is up to date) is acknowledged without being
logged, from viewers too. Any other update is appended to the log with its author (only
editors may), committed, and only then broadcast to the other members and acknowledged
to the sender (:class:`~bandmate.sync.protocol.Ack`, if it asked for acknowledgements).
Writes take turns, and whatever reads the document for others (a sync step 2, the
committed state) waits for the write in progress: no one sees an update before it is
committed, and a snapshot of the document every ``compact_every`` updates holds exactly
the log up to :attr:`Room.seq`. An update that builds on changes the server lacks (a
client's update sent before the sync step 2 that carries its offline edits) is held back
until they arrive, then logged with them: the document never holds changes that wait for
others, which Yrs would show differently on different replicas.

The whole document is not checked against the song schema per update: between two
updates of one author a document may legitimately lack a field (see
``docs/song-document.md``), so only structure, size, rights and integration are checked.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from pycrdt import Doc, Snapshot, get_update, merge_updates

from bandmate.sync.errors import DocumentError
from bandmate.sync.limits import EditDeniedError, RoomLoadError, SyncLimits
from bandmate.sync.member import Member
from bandmate.sync.protocol import (
    Ack,
    AwarenessEntry,
    AwarenessUpdate,
    Message,
    MessageTooLargeError,
    PermissionDenied,
    ProtocolError,
    QueryAwareness,
    Reader,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_awareness,
    decode_message,
    encode_awareness,
    encode_message,
)
from bandmate.sync.update import apply_update, encode_diff, encode_state, encode_state_vector

log = logging.getLogger(__name__)

Seed = Callable[[], Awaitable[bytes | None]]
"""Makes the first update of a project whose log is empty (``None``: start empty)."""

Append = Callable[[str, bytes, str | None], asyncio.Future[Any]]
"""Submits ``(project_id, data, author_id)`` as the project's next update: a future of the
logged update, done once committed (``bandmate.sync.rooms.BatchWriter.submit`` is one)."""


class LoggedUpdate(Protocol):
    """An update as the log hands it back (``bandmate.store.Update`` is one)."""

    @property
    def seq(self) -> int: ...

    @property
    def data(self) -> bytes: ...


class LoggedSnapshot(Protocol):
    """A snapshot as the log hands it back (``bandmate.store.Snapshot`` is one)."""

    @property
    def upto_seq(self) -> int: ...

    @property
    def state(self) -> bytes: ...


class RoomLog(Protocol):
    """The part of ``bandmate.store.UpdateLog`` a room uses (the sync layer's port)."""

    async def append(self, project_id: str, data: bytes, *, author_id: str | None) -> Any: ...

    async def append_many(
        self, items: Sequence[tuple[str, bytes, str | None]]
    ) -> Sequence[Any]: ...

    async def read_since(self, project_id: str, seq: int = 0) -> Sequence[LoggedUpdate]: ...

    async def snapshot(self, project_id: str, state: bytes, *, upto_seq: int) -> Any: ...

    async def latest_snapshot(self, project_id: str) -> LoggedSnapshot | None: ...


def _fingerprint(doc: Doc[Any]) -> bytes:
    # State vector and delete set: equal before and after an update that added nothing.
    return Snapshot.from_doc(doc).encode()


def _merge(first: bytes, second: bytes) -> bytes:
    try:
        return merge_updates(first, second)
    except ValueError as exc:
        raise DocumentError(f"update ({len(second)} bytes) could not be decoded: {exc}") from exc


_NOTHING_NEW = b"\x00\x00"
"""An update v1 with no struct group and an empty delete set."""


def _within(update: bytes, state_vector: bytes) -> bool:
    """Whether ``update`` holds no item and deletes no item beyond ``state_vector``.

    Such an update cannot leave anything pending in a document with that state vector,
    so comparing fingerprints before and after tells whether it changed anything.
    """
    try:
        diff = get_update(update, state_vector)  # new items, then the whole delete set
    except ValueError as exc:
        raise DocumentError(f"update ({len(update)} bytes) could not be decoded: {exc}") from exc
    if diff == _NOTHING_NEW:  # the common answer, without reading the state vector
        return True
    reader = Reader(diff)  # update v1: struct groups, then (client, ranges of clock, length)
    if reader.var_uint("struct groups") != 0:
        return False
    sv = Reader(state_vector)
    clocks = {sv.var_uint("client"): sv.var_uint("clock") for _ in range(sv.var_uint("size"))}
    for _ in range(reader.var_uint("delete set size")):
        client = reader.var_uint("delete set client")
        for _ in range(reader.var_uint("delete ranges")):
            end = reader.var_uint("delete clock") + reader.var_uint("delete length")
            if end > clocks.get(client, 0):
                return False
    return True


class _Turns:
    """A first-come, first-served lock for a room's writes.

    Taken once or twice per update on a busy server, so taking it when it is free costs
    two attribute reads and no coroutine (``asyncio.Lock`` costs several calls):
    ``if not turns.take_now(): await turns.take()``, then ``turns.give()`` in a ``finally``.
    """

    __slots__ = ("_busy", "_waiters")

    def __init__(self) -> None:
        self._busy = False
        self._waiters: deque[asyncio.Future[None]] = deque()

    def take_now(self) -> bool:
        """Take the lock if it is free and no one waits for it; whether it did."""
        if self._busy or self._waiters:
            return False
        self._busy = True
        return True

    async def take(self) -> None:
        """Wait for the lock, in turn, and take it."""
        if self.take_now():
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.give()  # handed the lock as this waiter was cancelled: pass it on
            else:
                self._waiters.remove(turn)
            raise

    def give(self) -> None:
        """Let the lock go: to the first waiter, if any."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # the lock stays taken, by that waiter now
                return
        self._busy = False


class Room:
    """The live document of one project and the members connected to it.

    Made by :meth:`load`; members come and go through :meth:`add` and :meth:`remove`
    (``bandmate.sync.rooms.Rooms`` does both), and each member's frames go to
    :meth:`receive`. Updates are committed through ``append`` when given (a shared
    batching writer), else through ``log.append``.
    """

    def __init__(
        self,
        project_id: str,
        doc: Doc[Any],
        *,
        seq: int,
        log: RoomLog,
        limits: SyncLimits,
        append: Append | None = None,
    ) -> None:
        self.project_id = project_id
        self.doc = doc
        self.seq = seq
        self.members: list[Member] = []
        self._log = log
        self._append = append or self._append_alone
        self._limits = limits
        # What the log holds, to roll the document back to: its state at load or at the
        # last snapshot, and the updates committed since.
        self._base = encode_state(doc)
        self._tail: list[bytes] = []
        self._fingerprint: bytes | None = None  # of the document, when known
        self._unsnapshotted = 0  # updates logged since the last snapshot
        self._presence: dict[int, tuple[AwarenessEntry, Member]] = {}
        self._turns = _Turns()

    def _append_alone(
        self, project_id: str, data: bytes, author_id: str | None
    ) -> asyncio.Future[Any]:
        return asyncio.ensure_future(self._log.append(project_id, data, author_id=author_id))

    @classmethod
    async def load(
        cls,
        project_id: str,
        log: RoomLog,
        *,
        limits: SyncLimits,
        seed: Seed | None = None,
        append: Append | None = None,
    ) -> Room:
        """Rebuild a project's document from its latest snapshot and the updates after it.

        When the log is empty and ``seed`` gives an update, that update is logged first
        (author ``None``: the system).

        Raises:
            RoomLoadError: A stored snapshot or update does not apply.
        """
        doc: Doc[Any] = Doc()
        seq = 0
        snapshot = await log.latest_snapshot(project_id)
        try:
            if snapshot is not None:
                apply_update(doc, snapshot.state)
                seq = snapshot.upto_seq
            tail = await log.read_since(project_id, seq)
            for item in tail:
                apply_update(doc, item.data)
                seq = item.seq
        except DocumentError as exc:
            raise RoomLoadError(f"project {project_id!r} after seq {seq}: {exc}") from exc
        unsnapshotted = len(tail)
        if seq == 0 and seed is not None and (first := await seed()) is not None:
            apply_update(doc, first)
            seq = (await log.append(project_id, first, author_id=None)).seq
            unsnapshotted = 1
        room = cls(project_id, doc, seq=seq, log=log, limits=limits, append=append)
        room._unsnapshotted = unsnapshotted
        return room

    # members ------------------------------------------------------------------------------

    def add(self, member: Member) -> None:
        """Let ``member`` in: it gets the room's state vector (sync step 1) and presences."""
        self.members.append(member)
        member.send(SyncStep1(encode_state_vector(self.doc)))
        if self._presence:
            member.send(AwarenessUpdate(self._awareness_of_all()))

    def remove(self, member: Member) -> None:
        """Let ``member`` out and tell the others its awareness clients left."""
        if member in self.members:
            self.members.remove(member)
        gone = []
        for client_id in sorted(member.client_ids):
            entry, owner = self._presence.pop(client_id, (None, None))
            if entry is not None and owner is member:
                gone.append(AwarenessEntry(client_id, entry.clock + 1, "null"))
        member.client_ids.clear()
        if gone:
            self._broadcast(AwarenessUpdate(encode_awareness(gone)), skip=member)

    def _broadcast(self, message: Message, *, skip: Member | None) -> None:
        data = encode_message(message)
        for member in list(self.members):
            if member is not skip:
                member.send_bytes(data)

    # frames -------------------------------------------------------------------------------

    async def receive(self, member: Member, data: bytes) -> None:
        """Handle one binary frame from ``member``.

        Raises:
            MessageTooLargeError: The frame is over the size cap.
            FloodError: ``member`` sends too fast.
            ProtocolError: The frame is malformed (or a server-only message).
            DocumentError: Its update or state vector does not decode or apply.
            EditDeniedError: ``member`` may not edit and the update would change the song.
            Exception: The update log failed (the update was not stored).
        """
        if len(data) > self._limits.max_message_bytes:
            raise MessageTooLargeError(
                f"message of {len(data)} bytes exceeds {self._limits.max_message_bytes} bytes"
            )
        member.gate.admit(len(data))
        message = decode_message(data)
        match message:
            case SyncStep1(state_vector):
                if not self._turns.take_now():  # not before the update in progress commits
                    await self._turns.take()
                try:
                    member.send(SyncStep2(encode_diff(self.doc, state_vector)))
                finally:
                    self._turns.give()
            case SyncStep2(update) | SyncUpdate(update):
                member.updates_received += 1
                await self._write(member, member.updates_received, update)
            case AwarenessUpdate(update):
                if len(data) > self._limits.max_awareness_bytes:
                    raise MessageTooLargeError(
                        f"awareness message of {len(data)} bytes exceeds "
                        f"{self._limits.max_awareness_bytes} bytes"
                    )
                self._relay_awareness(member, update)
            case QueryAwareness():
                member.send(AwarenessUpdate(self._awareness_of_all()))
            case PermissionDenied() | Ack():
                raise ProtocolError(f"{type(message).__name__} messages are sent by servers only")

    async def committed_state(self) -> bytes:
        """The whole document as one update, once the update being written (if any) is
        committed or refused."""
        await self._turns.take()
        try:
            return encode_state(self.doc)
        finally:
            self._turns.give()

    async def _write(self, member: Member, index: int, update: bytes) -> None:
        if not self._turns.take_now():
            await self._turns.take()
        try:
            if member.held:
                update, member.held = _merge(member.held, update), b""
            # An update with new items changes the document (or waits for missing ones);
            # only one without them (a sync step 2 of a peer that is up to date, or pure
            # deletions) needs the fingerprints to tell whether it changes anything.
            within = _within(update, encode_state_vector(self.doc))
            before = self._fingerprint_now() if within else None
            try:
                apply_update(self.doc, update)
            except DocumentError:
                self._roll_back()
                raise
            self._fingerprint = None
            if within and self._fingerprint_now() == before:
                member.ack(index, self.seq)
                return
            if not member.can_edit:
                self._roll_back()
                raise EditDeniedError(
                    f"user {member.user_id!r} is a viewer of {self.project_id!r} and cannot edit"
                )
            if not within and not _within(update, encode_state_vector(self.doc)):
                self._roll_back()
                self._hold(member, update)
                return
            cancelled = False
            committing = self._append(self.project_id, update, member.user_id)
            while True:
                try:
                    entry = await asyncio.shield(committing)
                    break
                except asyncio.CancelledError:
                    # The connection is being torn down while its update commits: once
                    # committed it must still reach the others, so finish first.
                    cancelled = True
                    if not committing.done():
                        continue
                    if committing.cancelled() or committing.exception() is not None:
                        self._roll_back()
                        raise
                    entry = committing.result()
                    break
                except BaseException:
                    self._roll_back()
                    raise
            self.seq = entry.seq
            self._tail.append(update)
            self._unsnapshotted += 1
            self._broadcast(SyncUpdate(update), skip=member)
            member.ack(index, entry.seq)
            if cancelled:
                raise asyncio.CancelledError
            if self._unsnapshotted >= self._limits.compact_every:
                await self._snapshot()
        finally:
            self._turns.give()

    def _fingerprint_now(self) -> bytes:
        # Computed when first needed after a change, not per update.
        if self._fingerprint is None:
            self._fingerprint = _fingerprint(self.doc)
        return self._fingerprint

    def _hold(self, member: Member, update: bytes) -> None:
        # The update builds on changes the server lacks: a client's own offline edits, which
        # its sync step 2 will carry. Logged as it is, it would stay pending (and differently
        # visible on different replicas) forever if that client never came back; held back
        # (as yjs does), it is logged together with them, and acknowledged then.
        if len(update) > self._limits.max_message_bytes:
            raise MessageTooLargeError(
                f"updates waiting for missing changes exceed {self._limits.max_message_bytes} bytes"
            )
        member.held = update

    def _roll_back(self) -> None:
        # Back to what the log holds: the update just applied was refused or not stored.
        doc: Doc[Any] = Doc()
        apply_update(doc, self._base)
        for update in self._tail:
            apply_update(doc, update)
        self.doc = doc
        self._fingerprint = None

    # awareness ----------------------------------------------------------------------------

    def _awareness_of_all(self) -> bytes:
        return encode_awareness([entry for entry, _ in self._presence.values()])

    def _relay_awareness(self, member: Member, update: bytes) -> None:
        entries = decode_awareness(update)
        leaving = any(e.gone for e in entries)
        if not leaving and not member.gate.admit_awareness():
            return  # over the awareness rate: drop; the next frame carries the newest state
        accepted = []
        for entry in entries:
            current, owner = self._presence.get(entry.client_id, (None, None))
            if owner is not None and owner is not member:
                continue  # another connection's client id: no one may speak for it
            if current is not None and (
                entry.clock < current.clock or (entry.clock == current.clock and not entry.gone)
            ):
                continue  # stale
            if entry.gone:
                if current is None:
                    continue
                del self._presence[entry.client_id]
                member.client_ids.discard(entry.client_id)
            else:
                self._presence[entry.client_id] = (entry, member)
                member.client_ids.add(entry.client_id)
            accepted.append(entry)
        if accepted:
            # Back to the sender too, as y-websocket's server does: a stock provider alone in
            # a room reconnects after 30 s without any message, and its own awareness
            # renewal (every 15 s) is what it would hear.
            self._broadcast(AwarenessUpdate(encode_awareness(accepted)), skip=None)

    # snapshots ----------------------------------------------------------------------------

    async def _snapshot(self) -> None:
        state = encode_state(self.doc)
        try:
            await self._log.snapshot(self.project_id, state, upto_seq=self.seq)
        except Exception:
            log.exception("snapshot of %s at seq %d failed", self.project_id, self.seq)
            return
        self._base, self._tail = state, []
        self._unsnapshotted = 0

    async def flush(self) -> None:
        """Write a snapshot if updates were logged since the last one."""
        await self._turns.take()
        try:
            if self._unsnapshotted:
                await self._snapshot()
        finally:
            self._turns.give()
