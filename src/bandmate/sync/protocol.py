"""The y-protocols wire format (what y-websocket speaks), as bytes-in/bytes-out functions.

Every WebSocket frame holds one message, encoded with lib0 (varuints of 7 bits per byte,
least significant group first; byte strings and UTF-8 strings prefixed by their length)::

    sync       0  step (varuint) payload (varbytes)   step 0: state vector; 1, 2: update v1
    awareness  1  update (varbytes): count, then per client: id, clock, JSON state (varstring)
    auth       2  0 (permission denied), reason (varstring)              server to client
    query      3  (nothing): "send me every awareness state"              client to server
    ack      100  index (varuint), seq (varuint)                         server to client

Types 0 to 3 are y-protocols' (``y-protocols/sync.js``, ``awareness.js``, ``auth.js`` and
y-websocket's message numbers). Type 100 is Bandmate's: y-protocols has no
acknowledgement, so on a connection that asks for them (the server's choice of how: a
query parameter) the server confirms update-bearing messages (sync step 2 or update) with
an :class:`Ack` whose ``index`` counts those messages on the connection from 1 and whose
``seq`` is the project's update-log sequence number that makes them durable (the last
committed one when they brought nothing new). Acks are cumulative and in order: an update
that builds on changes the server has not received yet waits for them and is confirmed
by the ack of the message that completes it. Stock y-websocket providers would log an
unknown type as an error, hence the opt-in.

Decoding is strict: a truncated varuint, a length past the end, a varuint beyond 2**53 - 1
or longer than it needs to be (lib0 never writes one), invalid UTF-8, trailing bytes, an
unknown type or a message over the size cap raise :class:`ProtocolError`, and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, TypeAlias

from bandmate.sync.errors import DocumentError

MESSAGE_SYNC: Final = 0
MESSAGE_AWARENESS: Final = 1
MESSAGE_AUTH: Final = 2
MESSAGE_QUERY_AWARENESS: Final = 3
MESSAGE_ACK: Final = 100
SYNC_STEP1: Final = 0
SYNC_STEP2: Final = 1
SYNC_UPDATE: Final = 2
AUTH_PERMISSION_DENIED: Final = 0

MAX_VAR_UINT: Final = 2**53 - 1
"""The largest varuint lib0 reads (``Number.MAX_SAFE_INTEGER``); 8 bytes encode it."""
_MAX_VAR_UINT_BYTES: Final = 8


class ProtocolError(DocumentError):
    """A frame that is not a well-formed message; the message names the field and rule."""


class MessageTooLargeError(ProtocolError):
    """A frame larger than the configured cap."""


@dataclass(frozen=True, slots=True)
class SyncStep1:
    """ "Here is my state vector; send me what I lack"."""

    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    """The answer to :class:`SyncStep1`: an update with what the asker lacks."""

    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    """An update (v1) made since the peers last synced."""

    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessUpdate:
    """Presence (cursors, names) of some clients, as an encoded awareness update."""

    update: bytes


@dataclass(frozen=True, slots=True)
class PermissionDenied:
    """The server refused something (y-protocols' auth message)."""

    reason: str


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    """A request for every awareness state the peer knows."""


@dataclass(frozen=True, slots=True)
class Ack:
    """Bandmate's acknowledgement: update-bearing messages up to the ``index``-th are durable.

    Attributes:
        index: Counts the update-bearing messages (step 2 or update) the client sent on
            this connection, from 1; acks are cumulative.
        seq: The update log's sequence number holding the update (or, when it brought
            nothing new, the last committed one).
    """

    index: int
    seq: int


Message: TypeAlias = (
    SyncStep1 | SyncStep2 | SyncUpdate | AwarenessUpdate | PermissionDenied | QueryAwareness | Ack
)


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    """One client's presence in an awareness update.

    Attributes:
        client_id: The client's Yjs client id.
        clock: Increases with every change of this client's state.
        state: The state as JSON text; ``"null"`` means the client left.
    """

    client_id: int
    clock: int
    state: str

    @property
    def gone(self) -> bool:
        """Whether this entry removes the client."""
        return self.state == "null"


# lib0 encoding ----------------------------------------------------------------------------


def encode_var_uint(value: int) -> bytes:
    """``value`` as a lib0 varuint.

    Raises:
        ProtocolError: When ``value`` is outside 0..2**53 - 1.
    """
    if not 0 <= value <= MAX_VAR_UINT:
        raise ProtocolError(f"varuint={value} must be in 0..{MAX_VAR_UINT}")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_var_bytes(data: bytes) -> bytes:
    """``data`` prefixed by its length (lib0 ``writeVarUint8Array``)."""
    return encode_var_uint(len(data)) + data


def encode_var_string(text: str) -> bytes:
    """``text`` as UTF-8 prefixed by its length in bytes (lib0 ``writeVarString``)."""
    try:
        return encode_var_bytes(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise ProtocolError(f"string {text[:40]!r} cannot be encoded as UTF-8: {exc}") from exc


class Reader:
    """Reads lib0 values from ``data``, refusing anything out of bounds.

    Every read raises :class:`ProtocolError` naming ``what`` was read and the offset.
    """

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.offset = 0

    def var_uint(self, what: str) -> int:
        """Read a varuint (at most 8 bytes, at most 2**53 - 1)."""
        start, value, shift = self.offset, 0, 0
        while True:
            if self.offset >= len(self.data):
                raise ProtocolError(f"{what}: varuint at byte {start} is truncated")
            if self.offset - start >= _MAX_VAR_UINT_BYTES:
                raise ProtocolError(
                    f"{what}: varuint at byte {start} must take at most {_MAX_VAR_UINT_BYTES} bytes"
                )
            byte = self.data[self.offset]
            self.offset += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if byte == 0 and self.offset - start > 1:
            raise ProtocolError(f"{what}: varuint at byte {start} is not minimally encoded")
        if value > MAX_VAR_UINT:
            raise ProtocolError(f"{what}={value} at byte {start} must be at most {MAX_VAR_UINT}")
        return value

    def var_bytes(self, what: str) -> bytes:
        """Read a length-prefixed byte string."""
        length = self.var_uint(f"{what} length")
        left = len(self.data) - self.offset
        if length > left:
            raise ProtocolError(f"{what} length={length} exceeds the {left} bytes left")
        chunk = self.data[self.offset : self.offset + length]
        self.offset += length
        return chunk

    def var_string(self, what: str) -> str:
        """Read a length-prefixed UTF-8 string."""
        raw = self.var_bytes(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"{what} is not valid UTF-8: {exc.reason}") from exc

    def done(self, what: str) -> None:
        """Check that nothing is left."""
        if self.offset != len(self.data):
            raise ProtocolError(
                f"{what} has {len(self.data) - self.offset} trailing bytes after byte {self.offset}"
            )


# messages ---------------------------------------------------------------------------------


def encode_message(message: Message) -> bytes:
    """One frame's bytes for ``message``."""
    match message:
        case SyncStep1(state_vector):
            return bytes((MESSAGE_SYNC, SYNC_STEP1)) + encode_var_bytes(state_vector)
        case SyncStep2(update):
            return bytes((MESSAGE_SYNC, SYNC_STEP2)) + encode_var_bytes(update)
        case SyncUpdate(update):
            return bytes((MESSAGE_SYNC, SYNC_UPDATE)) + encode_var_bytes(update)
        case AwarenessUpdate(update):
            return bytes((MESSAGE_AWARENESS,)) + encode_var_bytes(update)
        case PermissionDenied(reason):
            return bytes((MESSAGE_AUTH, AUTH_PERMISSION_DENIED)) + encode_var_string(reason)
        case QueryAwareness():
            return bytes((MESSAGE_QUERY_AWARENESS,))
        case Ack(index, seq):
            return bytes((MESSAGE_ACK,)) + encode_var_uint(index) + encode_var_uint(seq)
    raise ProtocolError(f"message={message!r} is not a y-protocols message")


def decode_message(data: bytes, *, max_bytes: int | None = None) -> Message:
    """The message in one frame.

    Args:
        data: The frame's bytes.
        max_bytes: Refuse frames longer than this.

    Raises:
        MessageTooLargeError: ``data`` is longer than ``max_bytes``.
        ProtocolError: ``data`` is not exactly one well-formed message.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise MessageTooLargeError(f"message of {len(data)} bytes exceeds {max_bytes} bytes")
    reader = Reader(data)
    kind = reader.var_uint("message type")
    message: Message
    if kind == MESSAGE_SYNC:
        step = reader.var_uint("sync step")
        if step == SYNC_STEP1:
            message = SyncStep1(reader.var_bytes("state vector"))
        elif step == SYNC_STEP2:
            message = SyncStep2(reader.var_bytes("update"))
        elif step == SYNC_UPDATE:
            message = SyncUpdate(reader.var_bytes("update"))
        else:
            raise ProtocolError(f"sync step={step} must be 0 (step 1), 1 (step 2) or 2 (update)")
    elif kind == MESSAGE_AWARENESS:
        message = AwarenessUpdate(reader.var_bytes("awareness update"))
    elif kind == MESSAGE_AUTH:
        sub = reader.var_uint("auth type")
        if sub != AUTH_PERMISSION_DENIED:
            raise ProtocolError(f"auth type={sub} must be 0 (permission denied)")
        message = PermissionDenied(reader.var_string("reason"))
    elif kind == MESSAGE_QUERY_AWARENESS:
        message = QueryAwareness()
    elif kind == MESSAGE_ACK:
        message = Ack(reader.var_uint("ack index"), reader.var_uint("ack seq"))
    else:
        raise ProtocolError(f"message type={kind} must be one of 0, 1, 2, 3 or 100")
    reader.done("message")
    return message


# awareness --------------------------------------------------------------------------------


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    """An awareness update (y-protocols ``encodeAwarenessUpdate``) holding ``entries``."""
    parts = [encode_var_uint(len(entries))]
    for entry in entries:
        parts += (
            encode_var_uint(entry.client_id),
            encode_var_uint(entry.clock),
            encode_var_string(entry.state),
        )
    return b"".join(parts)


def decode_awareness(update: bytes, *, max_entries: int = 1000) -> list[AwarenessEntry]:
    """The entries of an awareness update; every state must be JSON (as ``JSON.parse`` reads).

    Raises:
        ProtocolError: The update is malformed, holds more than ``max_entries``
            entries, or a state is not JSON.
    """
    reader = Reader(update)
    count = reader.var_uint("awareness count")
    if count > max_entries:
        raise ProtocolError(f"awareness count={count} must be at most {max_entries}")
    entries = []
    for i in range(count):
        client_id = reader.var_uint(f"awareness[{i}] client id")
        clock = reader.var_uint(f"awareness[{i}] clock")
        state = reader.var_string(f"awareness[{i}] state")
        try:
            json.loads(state, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"awareness[{i}] state={state[:40]!r} is not JSON") from exc
        entries.append(AwarenessEntry(client_id, clock, state))
    reader.done("awareness update")
    return entries
