"""The RFC 6455 framer of the lean sockets, bytes in and out (no sockets)."""

from __future__ import annotations

import base64
import random
import struct

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from bandmate.server import wsframes
from bandmate.server.wsframes import FrameError, FrameReader

MASK = b"\x37\xfa\x21\x3d"


def client_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    mask: bytes | None = MASK,
    rsv: int = 0,
    length: int | None = None,
) -> bytes:
    """A frame as a client sends it (masked unless ``mask`` is None)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    mask_bit = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes((b0, mask_bit | n))
    elif n < 1 << 16:
        head = struct.pack("!BBH", b0, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mask_bit | 127, n)
    if mask is None:
        return head + payload
    return head + mask + wsframes.unmask(payload, mask)


def test_unmask_is_the_xor_of_the_repeated_key() -> None:
    rng = random.Random(7)
    for n in (0, 1, 3, 4, 5, 125, 1000):
        data = rng.randbytes(n)
        expected = bytes(b ^ MASK[i % 4] for i, b in enumerate(data))
        assert wsframes.unmask(data, MASK) == expected


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_server_frames_read_back_with_the_websockets_library(size: int) -> None:
    payload = random.Random(size).randbytes(size)
    reader = StreamReader()
    reader.feed_data(wsframes.encode_frame(wsframes.BINARY, payload))
    parse = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parse)
    except StopIteration as stop:
        frame = stop.value
    assert frame.opcode is Opcode.BINARY
    assert frame.fin
    assert frame.data == payload


def test_client_frames_come_out_whole_however_they_are_cut() -> None:
    rng = random.Random(3)
    messages: list[bytes | str] = [rng.randbytes(rng.randrange(0, 300)) for _ in range(20)]
    messages += ["hé ♪", "", "x" * 70_000]
    stream = b"".join(
        client_frame(wsframes.TEXT if isinstance(m, str) else wsframes.BINARY, _raw(m))
        for m in messages
    )
    reader = FrameReader(1 << 20)
    out: list[tuple[int, bytes | str]] = []
    pos = 0
    while pos < len(stream):
        step = rng.randrange(1, 400)
        out += reader.feed(stream[pos : pos + step])
        pos += step
    assert [payload for _, payload in out] == messages


def _raw(message: bytes | str) -> bytes:
    return message.encode() if isinstance(message, str) else message


def test_fragments_are_joined_and_control_frames_pass_between_them() -> None:
    reader = FrameReader(1 << 10)
    stream = (
        client_frame(wsframes.TEXT, "h\xc3".encode("latin-1"), fin=False)
        + client_frame(wsframes.PING, b"are you there")
        + client_frame(wsframes.CONTINUATION, "\xa9llo".encode("latin-1"))
    )
    assert reader.feed(stream) == [(wsframes.PING, b"are you there"), (wsframes.TEXT, "héllo")]


def test_a_close_frame_names_its_code_and_reason() -> None:
    payload = struct.pack("!H", 4000) + "bye ♪".encode()
    assert wsframes.parse_close(payload) == (4000, "bye ♪")
    assert wsframes.parse_close(b"") == (1005, "")
    frame = wsframes.encode_close(1000, "é" * 100)  # cut to 123 bytes, whole characters
    assert len(frame) <= 2 + 125
    assert frame[4:].decode() == "é" * 61


@pytest.mark.parametrize(
    ("stream", "code", "rule"),
    [
        (client_frame(wsframes.BINARY, b"hi", mask=None), 1002, "must be masked"),
        (client_frame(0x3, b"hi"), 1002, "opcode=0x3 is not defined"),
        (client_frame(0xB, b""), 1002, "opcode=0xb is not defined"),
        (client_frame(wsframes.BINARY, b"hi", rsv=4), 1002, "reserved bits"),
        (client_frame(wsframes.PING, b"x", fin=False), 1002, "must not be fragmented"),
        (client_frame(wsframes.PING, b"x" * 126), 1002, "control frame of 126 bytes"),
        (client_frame(wsframes.CONTINUATION, b"x"), 1002, "without a message"),
        (
            client_frame(wsframes.TEXT, b"a", fin=False) + client_frame(wsframes.BINARY, b"b"),
            1002,
            "before the fragmented one ended",
        ),
        (client_frame(wsframes.TEXT, b"\xff\xfe"), 1007, "not UTF-8"),
        (client_frame(wsframes.BINARY, b"x" * 1025), 1009, "over 1024 bytes"),
        (
            client_frame(wsframes.BINARY, b"x" * 600, fin=False)
            + client_frame(wsframes.CONTINUATION, b"x" * 600),
            1009,
            "over 1024 bytes",
        ),
    ],
)
def test_hostile_frames_are_refused_with_the_code_that_says_why(
    stream: bytes, code: int, rule: str
) -> None:
    with pytest.raises(FrameError, match=rule) as info:
        FrameReader(1024).feed(stream)
    assert info.value.code == code


def test_an_oversized_length_is_refused_before_its_payload_arrives() -> None:
    head = client_frame(wsframes.BINARY, b"", length=(1 << 63) - 1)[:10]
    with pytest.raises(FrameError) as info:
        FrameReader(1 << 20).feed(head)
    assert info.value.code == 1009


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x03", 1002),
        (struct.pack("!H", 1005), 1002),
        (struct.pack("!H", 1006), 1002),
        (struct.pack("!H", 999), 1002),
        (struct.pack("!H", 2000), 1002),
        (struct.pack("!H", 5000), 1002),
        (struct.pack("!H", 1000) + b"\xc3", 1007),
    ],
)
def test_bad_close_frames_are_protocol_errors(payload: bytes, code: int) -> None:
    with pytest.raises(FrameError) as info:
        wsframes.parse_close(payload)
    assert info.value.code == code


def test_an_unfinished_frame_waits_for_the_rest() -> None:
    reader = FrameReader(1 << 10)
    frame = client_frame(wsframes.BINARY, b"abcdef")
    assert reader.feed(frame[:1]) == []
    assert reader.feed(frame[1:7]) == []
    assert reader.feed(frame[7:]) == [(wsframes.BINARY, b"abcdef")]


def test_the_accept_key_is_rfc_6455s_example() -> None:
    assert wsframes.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert wsframes.valid_key("dGhlIHNhbXBsZSBub25jZQ==")
    assert not wsframes.valid_key(base64.b64encode(b"short").decode())
    assert not wsframes.valid_key("not base64 at all!")
    assert not wsframes.valid_key("é")


def test_random_bytes_never_escape_as_anything_but_frame_errors() -> None:
    rng = random.Random(11)
    codes: set[int] = set()
    for i in range(2000):
        reader = FrameReader(4096)
        data = rng.randbytes(rng.randrange(1, 64))
        if i % 2:  # half of them with the mask bit set, to get past the first check
            data = data[:1] + bytes((data[1] | 0x80,)) + data[2:] if len(data) > 1 else data
        try:
            events = reader.feed(data)
        except FrameError as exc:
            codes.add(exc.code)
            continue
        for opcode, payload in events:
            assert opcode in (1, 2, 8, 9, 10)
            assert isinstance(payload, str if opcode == 1 else bytes)
    assert codes <= {1002, 1007, 1009}
    assert 1002 in codes
