"""One open song document shared by the connections to its project, and its update log.

A :class:`Room` holds the document in memory and a *shadow* copy of it. An update from
a connection is first applied to the shadow: if it fails to decode or integrate, only
the shadow is damaged (and rebuilt) and the connection is refused. An update that changes
nothing (no new items, no new deletions, nothing left pending: what a stock client sends
back in sync step 2 when it is up to date) is acknowledged without being logged, from
viewers too; the shadow, unchanged, stays equal to the document. Any other
update is appended to the log with its author (only editors may), committed, and only
then applied to the document, broadcast to the other members and acknowledged to the
sender (:class:`~bandmate.sync.protocol.Ack`, if it asked for acknowledgements). Writes
take turns, so the document always holds exactly the log up to :attr:`Room.seq`, and a
snapshot of it every ``compact_every`` updates is exact. An update that builds on changes
the server lacks (a client's update sent before the sync step 2 that carries its offline
edits) is held back until they arrive, then logged with them: the document never holds
changes that wait for others, which Yrs would show differently on different replicas.

The whole document is not checked against the song schema per update: between two
updates of one author a document may legitimately lack a field (see
``docs/song-document.md``), so only structure, size, rights and integration are checked.
"""

from __future__ import annotations

import asyncio
import logging
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


def _copy(doc: Doc[Any]) -> Doc[Any]:
    copy: Doc[Any] = Doc()
    apply_update(copy, encode_state(doc))
    return copy


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
        self._shadow = _copy(doc)
        self._fingerprint: bytes | None = None  # of the shadow, when known
        self._since_snapshot = 0
        self._presence: dict[int, tuple[AwarenessEntry, Member]] = {}
        self._write_lock = asyncio.Lock()

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
        room._since_snapshot = unsnapshotted
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
                member.send(SyncStep2(encode_diff(self.doc, state_vector)))
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

    async def _write(self, member: Member, index: int, update: bytes) -> None:
        async with self._write_lock:
            if member.held:
                update, member.held = _merge(member.held, update), b""
            # An update with new items changes the document (or waits for missing ones);
            # only one without them (a sync step 2 of a peer that is up to date, or pure
            # deletions) needs the fingerprints to tell whether it changes anything.
            within = _within(update, encode_state_vector(self.doc))
            before = self._fingerprint_of_shadow() if within else None
            try:
                apply_update(self._shadow, update)
            except DocumentError:
                self._rebuild_shadow()
                raise
            after = _fingerprint(self._shadow) if within else None
            if within and after == before:
                member.ack(index, self.seq)
                return
            if not member.can_edit:
                self._rebuild_shadow()
                raise EditDeniedError(
                    f"user {member.user_id!r} is a viewer of {self.project_id!r} and cannot edit"
                )
            if not within and not _within(update, encode_state_vector(self._shadow)):
                self._rebuild_shadow()
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
                    # committed it must still reach the document, so finish first.
                    cancelled = True
                    if not committing.done():
                        continue
                    if committing.cancelled() or committing.exception() is not None:
                        self._rebuild_shadow()
                        raise
                    entry = committing.result()
                    break
                except BaseException:
                    self._rebuild_shadow()
                    raise
            try:
                apply_update(self.doc, update)
            except DocumentError:  # cannot happen: the shadow held the same state
                log.exception("update %d of %s failed after commit", entry.seq, self.project_id)
                self.doc = _copy(self._shadow)
            self.seq = entry.seq
            self._fingerprint = after
            self._since_snapshot += 1
            self._broadcast(SyncUpdate(update), skip=member)
            member.ack(index, entry.seq)
            if cancelled:
                raise asyncio.CancelledError
            if self._since_snapshot >= self._limits.compact_every:
                await self._snapshot()

    def _fingerprint_of_shadow(self) -> bytes:
        # Computed when first needed after a change, not per update.
        if self._fingerprint is None:
            self._fingerprint = _fingerprint(self._shadow)
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

    def _rebuild_shadow(self) -> None:
        self._shadow = _copy(self.doc)
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
        try:
            await self._log.snapshot(self.project_id, encode_state(self.doc), upto_seq=self.seq)
        except Exception:
            log.exception("snapshot of %s at seq %d failed", self.project_id, self.seq)
            return
        self._since_snapshot = 0

    async def flush(self) -> None:
        """Write a snapshot if updates were logged since the last one."""
        async with self._write_lock:
            if self._since_snapshot:
                await self._snapshot()
