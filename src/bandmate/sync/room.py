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
import enum
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
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

Committed = Callable[[Any, BaseException | None], None]
"""Called with the logged update once it is committed, or with ``None`` and the error."""

Append = Callable[[str, bytes, str | None, Committed], None]
"""Submits ``(project_id, data, author_id)`` as the project's next update, and what to call
once it is committed (later, from the event loop; ``bandmate.sync.rooms.BatchWriter.submit``
is one)."""


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


def _has_items(update: bytes) -> bool:
    # An update v1 starts with its number of struct groups (a varuint: 0 is one zero byte).
    return update[:1] not in (b"", b"\x00")


class _Outcome(enum.Enum):
    """What applying an update did: nothing new, a change, or it waits for missing ones."""

    NOTHING = enum.auto()
    CHANGE = enum.auto()
    WAITS = enum.auto()


_STEP1, _UPDATE, _READ, _FLUSH = range(4)


@dataclass(slots=True)
class _Job:
    """What waits for the room's write in progress: a member's sync step 1 or update, or a
    read of the committed state, or a flush. ``done`` gets its outcome."""

    kind: int
    member: Member | None
    payload: bytes = b""
    index: int = 0
    done: asyncio.Future[Any] | None = None


class Room:
    """The live document of one project and the members connected to it.

    Made by :meth:`load`; members come and go through :meth:`add` and :meth:`remove`
    (``bandmate.sync.rooms.Rooms`` does both), and each member's frames go to
    :meth:`receive` (or :meth:`feed`, from a transport's callback). While an update commits,
    the sync steps 1 and updates of every member wait in a queue, in order, and are handled
    in the commit's callback; the flood gate bounds how much one connection can queue.
    Updates are committed through ``append`` when given (a shared batching writer), else
    through ``log.append``.
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
        self._state: bytes | None = None  # its state vector, when known
        self._unsnapshotted = 0  # updates logged since the last snapshot
        self._presence: dict[int, tuple[AwarenessEntry, Member]] = {}
        # Updates are handled in turn: while one commits (or a snapshot is written), what
        # reads or writes the document waits here, in order.
        self._busy = False
        self._queue: deque[_Job] = deque()

    def _append_alone(
        self, project_id: str, data: bytes, author_id: str | None, done: Committed
    ) -> None:
        def report(appending: asyncio.Future[Any]) -> None:
            if appending.cancelled():
                done(None, asyncio.CancelledError())
            elif (error := appending.exception()) is not None:
                done(None, error)
            else:
                done(appending.result(), None)

        appending = asyncio.ensure_future(self._log.append(project_id, data, author_id=author_id))
        appending.add_done_callback(report)

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
        member.send(SyncStep1(self._state_vector()))
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
        """Handle one binary frame from ``member``; return once it is handled (an update:
        committed and broadcast, or refused). Cancelled while its update commits, it
        still waits for the commit, then raises ``CancelledError``.

        Raises:
            MessageTooLargeError: The frame is over the size cap.
            FloodError: ``member`` sends too fast.
            ProtocolError: The frame is malformed (or a server-only message).
            DocumentError: Its update or state vector does not decode or apply.
            EditDeniedError: ``member`` may not edit and the update would change the song.
            Exception: The update log failed (the update was not stored).
        """
        done = self.feed(member, data)
        if done is not None:
            await _outlast(done)

    def feed(self, member: Member, data: bytes) -> asyncio.Future[Any] | None:
        """Handle one binary frame from ``member`` now, as far as it can be.

        Returns ``None`` when it was handled at once, else a future done once it is: an
        update being committed, or anything that reads or writes the document while another
        update commits (it waits its turn). The future holds the errors :meth:`receive`
        raises; errors found at once are raised here. For a member with a ``failed`` hook
        it returns ``None`` either way, and the errors found later go to the hook.
        """
        if len(data) > self._limits.max_message_bytes:
            raise MessageTooLargeError(
                f"message of {len(data)} bytes exceeds {self._limits.max_message_bytes} bytes"
            )
        member.gate.admit(len(data))
        message = decode_message(data)
        match message:
            case SyncStep1(state_vector):
                return self._submit(_Job(_STEP1, member, state_vector))
            case SyncStep2(update) | SyncUpdate(update):
                member.updates_received += 1
                return self._submit(_Job(_UPDATE, member, update, member.updates_received))
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
        return None

    async def committed_state(self) -> bytes:
        """The whole document as one update, once the update being written (if any) is
        committed or refused."""
        done = self._submit(_Job(_READ, None))
        assert done is not None
        state: bytes = await done
        return state

    # the queue ----------------------------------------------------------------------------

    def _submit(self, job: _Job) -> asyncio.Future[Any] | None:
        # Handled now when nothing is in progress (errors raised to the caller), else queued.
        if self._busy or self._queue:
            if _awaited(job):
                job.done = asyncio.get_running_loop().create_future()
            self._queue.append(job)
            return job.done
        self._run(job)
        return job.done

    def _run(self, job: _Job) -> None:
        if job.kind == _UPDATE:
            self._write(job)
        elif job.kind == _STEP1:
            assert job.member is not None
            job.member.send(SyncStep2(encode_diff(self.doc, job.payload)))
            _settle(job.done, None)
        else:
            if job.done is None:
                job.done = asyncio.get_running_loop().create_future()
            if job.kind == _READ:
                job.done.set_result(encode_state(self.doc))
            elif self._unsnapshotted:  # _FLUSH
                self._start_snapshot(job.done)
            else:
                job.done.set_result(None)

    def _next(self) -> None:
        # The write in progress is over: handle what waited, until one writes again.
        while self._queue and not self._busy:
            job = self._queue.popleft()
            member = job.member
            if member is not None and (
                member.outbox.closing is not None or member not in self.members
            ):
                # Its connection left, or is being closed (refused, or removed from the
                # project): what it sent after that is dropped (a client sends it again).
                if job.done is not None:
                    job.done.cancel()
                continue
            try:
                self._run(job)
            except Exception as exc:
                _report(job, exc)

    def _write(self, job: _Job) -> None:
        member, index, update = job.member, job.index, job.payload
        assert member is not None
        if member.held:
            update, member.held = _merge(member.held, update), b""
        # An update with new items changes the document (or waits for missing ones);
        # only one without them (a sync step 2 of a peer that is up to date, or pure
        # deletions) needs the fingerprints to tell whether it changes anything.
        outcome = self._apply_items(update) if _has_items(update) else self._apply_checked(update)
        if outcome is _Outcome.NOTHING:
            member.ack(index, self.seq)
            _settle(job.done, None)
            return
        if not member.can_edit:
            self._roll_back()
            raise EditDeniedError(
                f"user {member.user_id!r} is a viewer of {self.project_id!r} and cannot edit"
            )
        if outcome is _Outcome.WAITS:
            self._roll_back()
            self._hold(member, update)
            _settle(job.done, None)
            return
        if job.done is None and _awaited(job):
            job.done = asyncio.get_running_loop().create_future()
        try:
            self._append(
                self.project_id, update, member.user_id, partial(self._committed, job, update)
            )
        except Exception:
            self._roll_back()
            raise
        self._busy = True

    def _apply_items(self, update: bytes) -> _Outcome:
        # An update with items: when the state vector moves, it integrated new ones (a
        # change), and it waits for others only if some of it is still beyond the new
        # state vector. When it does not move, nothing was new (or all of it waits):
        # rare, and told apart as for an update without items, from the document before.
        before = self._state_vector()
        self._apply(update)
        after = self._state_vector()
        if after != before:
            return _Outcome.CHANGE if _within(update, after) else _Outcome.WAITS
        self._roll_back()
        return self._apply_checked(update)

    def _apply_checked(self, update: bytes) -> _Outcome:
        # Only an update without new items (a sync step 2 of a peer that is up to date, or
        # pure deletions) needs the fingerprints to tell whether it changes anything.
        within = _within(update, self._state_vector())
        before = self._fingerprint_now() if within else None
        self._apply(update)
        if within and self._fingerprint_now() == before:
            return _Outcome.NOTHING
        if not within and not _within(update, self._state_vector()):
            return _Outcome.WAITS
        return _Outcome.CHANGE

    def _apply(self, update: bytes) -> None:
        try:
            apply_update(self.doc, update)
        except DocumentError:
            self._roll_back()
            raise
        self._fingerprint = None
        self._state = None

    def _state_vector(self) -> bytes:
        # Computed when first needed after a change, and kept for the next update.
        if self._state is None:
            self._state = encode_state_vector(self.doc)
        return self._state

    def _committed(self, job: _Job, update: bytes, entry: Any, error: BaseException | None) -> None:
        assert job.member is not None
        self._busy = False
        if error is not None:
            self._roll_back()
            _report(job, error)
        else:
            self.seq = entry.seq
            self._tail.append(update)
            self._unsnapshotted += 1
            self._broadcast(SyncUpdate(update), skip=job.member)
            job.member.ack(job.index, entry.seq)
            _settle(job.done, None)
            if self._unsnapshotted >= self._limits.compact_every:
                self._start_snapshot(None)
        self._next()

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
        self._state = None

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

    def _start_snapshot(self, done: asyncio.Future[Any] | None) -> None:
        # The document holds exactly the log up to seq: written while the room waits.
        self._busy = True
        state, seq = encode_state(self.doc), self.seq
        writing = asyncio.ensure_future(self._log.snapshot(self.project_id, state, upto_seq=seq))
        writing.add_done_callback(partial(self._snapshotted, state, seq, done))

    def _snapshotted(
        self, state: bytes, seq: int, done: asyncio.Future[Any] | None, writing: asyncio.Future[Any]
    ) -> None:
        self._busy = False
        if writing.cancelled() or writing.exception() is not None:
            error = writing.exception() if not writing.cancelled() else "cancelled"
            log.error("snapshot of %s at seq %d failed: %s", self.project_id, seq, error)
        else:
            self._base, self._tail = state, []
            self._unsnapshotted = 0
        _settle(done, None)
        self._next()

    async def flush(self) -> None:
        """Write a snapshot if updates were logged since the last one."""
        done = self._submit(_Job(_FLUSH, None))
        if done is not None:
            await done


def _awaited(job: _Job) -> bool:
    # Whether the outcome of a job handled later goes to a future (else to the member's
    # ``failed`` hook: the lean connection's, which only needs to hear of errors).
    return job.member is None or job.member.failed is None


def _report(job: _Job, error: BaseException) -> None:
    # The error of a job handled later, to its future or its member's hook.
    if job.done is not None:
        _settle(job.done, error)
    elif isinstance(error, Exception) and job.member is not None and job.member.failed:
        job.member.failed(error)


def _settle(done: asyncio.Future[Any] | None, outcome: BaseException | None) -> None:
    # A job's outcome to whoever waits for it (nobody, when it was handled at once).
    if done is None or done.done():
        return
    if outcome is None:
        done.set_result(None)
    elif isinstance(outcome, asyncio.CancelledError):
        done.cancel()
    else:
        done.set_exception(outcome)


async def _outlast(done: asyncio.Future[Any]) -> None:
    # Wait for ``done`` even when cancelled meanwhile (a connection torn down while its
    # update commits still waits for the commit); then raise its error, or the cancel.
    cancelled = False
    while True:
        try:
            await asyncio.shield(done)
            break
        except asyncio.CancelledError:
            if not done.done():
                cancelled = True
                continue
            if done.cancelled():
                raise
            break
    error = done.exception()
    if error is not None:
        raise error
    if cancelled:
        raise asyncio.CancelledError
