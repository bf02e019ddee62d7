"""RFC 6455 frames as bytes in, bytes out: the server side of a WebSocket, no I/O.

:class:`FrameReader` takes what a client sent, in pieces of any size, and gives back
whole messages (fragments joined, text decoded) and control frames; anything a client
must not send raises :class:`FrameError` with the close code that says why (1002 a
protocol error, 1007 text that is not UTF-8, 1009 a message over the size cap).
:func:`encode_frame` and :func:`encode_close` make the (unmasked) frames a server sends.
No extension is negotiated, so every reserved bit must be 0.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Final

CONTINUATION: Final = 0x0
TEXT: Final = 0x1
BINARY: Final = 0x2
CLOSE: Final = 0x8
PING: Final = 0x9
PONG: Final = 0xA

PROTOCOL_ERROR: Final = 1002
INVALID_DATA: Final = 1007
TOO_BIG: Final = 1009

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_KNOWN_OPCODES = frozenset((CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG))
# Codes a peer may send in a close frame (RFC 6455 7.4 and the IANA registry); 1005,
# 1006 and 1015 only ever describe a close, they are never sent.
_SENDABLE_CLOSE = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015)))


class FrameError(Exception):
    """A client frame breaks RFC 6455 (or the size cap); close with :attr:`code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answer to a client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def valid_key(key: str) -> bool:
    """Whether ``key`` is a ``Sec-WebSocket-Key``: base64 of 16 bytes."""
    try:
        return len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
    except (ValueError, UnicodeEncodeError):
        return False


def unmask(payload: bytes, mask: bytes) -> bytes:
    """``payload`` XOR the repeated 4-byte ``mask`` (one big-integer XOR: no byte loop)."""
    n = len(payload)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame (as a server sends it)."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", 0x80 | opcode, 126, n) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, n) + payload


def encode_close(code: int, reason: str = "") -> bytes:
    """A close frame with ``code`` and ``reason`` (cut to the 123 bytes a frame holds)."""
    data = reason.encode()[:123].decode("utf-8", "ignore").encode()
    return encode_frame(CLOSE, struct.pack("!H", code) + data)


def parse_close(payload: bytes) -> tuple[int, str]:
    """The code and reason of a client's close frame (1005 when it gave none).

    Raises:
        FrameError: A one-byte payload, a code no peer may send, or a reason not UTF-8.
    """
    if not payload:
        return 1005, ""
    if len(payload) == 1:
        raise FrameError(PROTOCOL_ERROR, "close frame payload of 1 byte")
    (code,) = struct.unpack_from("!H", payload)
    if code not in _SENDABLE_CLOSE and not 3000 <= code <= 4999:
        raise FrameError(PROTOCOL_ERROR, f"close code={code} may not be sent")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError(INVALID_DATA, "close reason is not UTF-8") from exc
    return code, reason


class FrameReader:
    """Client frames in, messages out.

    Args:
        max_size: The largest message (after joining fragments) accepted, in bytes.
    """

    __slots__ = ("_buffer", "_fragments", "_fragments_size", "_message_opcode", "max_size")

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = b""
        self._message_opcode = 0  # of the fragmented message being joined, else 0
        self._fragments: list[bytes] = []
        self._fragments_size = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes | str]]:
        """Read ``data``; the complete messages and control frames, in order.

        Each is ``(opcode, payload)``: ``TEXT`` with a ``str``, ``BINARY``, ``CLOSE``,
        ``PING`` or ``PONG`` with ``bytes`` (a close payload is checked by
        :func:`parse_close`). What is left of an unfinished frame waits for more data.

        Raises:
            FrameError: The client broke the protocol; nothing after it should be read.
        """
        buffer = self._buffer + data if self._buffer else data
        out: list[tuple[int, bytes | str]] = []
        pos = 0
        end = len(buffer)
        while end - pos >= 2:
            b0, b1 = buffer[pos], buffer[pos + 1]
            opcode = b0 & 0x0F
            if b0 & 0x70:
                raise FrameError(PROTOCOL_ERROR, "reserved bits set: no extension was agreed")
            if opcode not in _KNOWN_OPCODES:
                raise FrameError(PROTOCOL_ERROR, f"opcode={opcode:#x} is not defined")
            if not b1 & 0x80:
                raise FrameError(PROTOCOL_ERROR, "client frames must be masked")
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                (length,) = struct.unpack_from("!H", buffer, pos + 2)
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buffer, pos + 2)
                head = 10
            fin = bool(b0 & 0x80)
            if opcode >= CLOSE:
                if not fin:
                    raise FrameError(PROTOCOL_ERROR, "control frames must not be fragmented")
                if length > 125:
                    raise FrameError(PROTOCOL_ERROR, f"control frame of {length} bytes > 125")
            elif length + self._fragments_size > self.max_size:
                raise FrameError(TOO_BIG, f"message over {self.max_size} bytes")
            if end - pos < head + 4 + length:
                break
            mask = buffer[pos + head : pos + head + 4]
            start = pos + head + 4
            payload = unmask(buffer[start : start + length], mask)
            pos = start + length
            if opcode >= CLOSE:
                out.append((opcode, payload))
                continue
            message = self._join(opcode, fin, payload)
            if message is not None:
                out.append(message)
        self._buffer = buffer[pos:] if pos < end else b""
        return out

    def _join(self, opcode: int, fin: bool, payload: bytes) -> tuple[int, bytes | str] | None:
        if opcode == CONTINUATION:
            if not self._message_opcode:
                raise FrameError(PROTOCOL_ERROR, "continuation frame without a message to continue")
            self._fragments.append(payload)
            self._fragments_size += len(payload)
            if not fin:
                return None
            opcode, payload = self._message_opcode, b"".join(self._fragments)
            self._message_opcode, self._fragments, self._fragments_size = 0, [], 0
        elif self._message_opcode:
            raise FrameError(PROTOCOL_ERROR, "new message before the fragmented one ended")
        elif not fin:
            self._message_opcode = opcode
            self._fragments = [payload]
            self._fragments_size = len(payload)
            return None
        if opcode == TEXT:
            try:
                return TEXT, payload.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FrameError(INVALID_DATA, "text message is not UTF-8") from exc
        return BINARY, payload
