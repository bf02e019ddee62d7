"""The y-protocols wire format: golden bytes, pycrdt's own helpers as a peer, hostile bytes.

Golden vectors are built by hand from lib0's encoding rules and checked against
pycrdt's ``_sync`` helpers (``create_sync_message``, ``handle_sync_message``,
``Awareness``), which speak the same format as y-websocket.
"""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any

import pycrdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Awareness, Doc, Map

from bandmate.music import Note, Song, Track
from bandmate.sync import add_notes, apply_update, doc_to_song, song_to_doc, track_ids
from bandmate.sync.protocol import (
    MAX_VAR_UINT,
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
    encode_var_string,
    encode_var_uint,
)
from bandmate.sync.update import encode_diff, encode_state, encode_state_vector

VAR_UINTS = [
    (0, b"\x00"),
    (1, b"\x01"),
    (127, b"\x7f"),
    (128, b"\x80\x01"),
    (300, b"\xac\x02"),
    (16384, b"\x80\x80\x01"),
    (2**32 - 1, b"\xff\xff\xff\xff\x0f"),
    (MAX_VAR_UINT, b"\xff\xff\xff\xff\xff\xff\xff\x0f"),
]


@pytest.mark.parametrize(("value", "encoded"), VAR_UINTS)
def test_var_uint_golden_bytes(value: int, encoded: bytes) -> None:
    assert encode_var_uint(value) == encoded
    assert pycrdt.write_var_uint(value) == encoded
    reader = Reader(encoded)
    assert reader.var_uint("n") == value
    reader.done("n")


@pytest.mark.parametrize("value", [-1, MAX_VAR_UINT + 1])
def test_var_uint_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(ProtocolError, match=rf"varuint={value} must be in 0\.\.{MAX_VAR_UINT}"):
        encode_var_uint(value)


def test_var_string_counts_utf8_bytes_not_characters() -> None:
    assert encode_var_string("é♯") == b"\x05" + "é♯".encode()
    assert Reader(b"\x05" + "é♯".encode()).var_string("s") == "é♯"


GOLDEN: list[tuple[Message, bytes]] = [
    (SyncStep1(b"\x00"), b"\x00\x00\x01\x00"),
    (SyncStep2(b"\x00\x00"), b"\x00\x01\x02\x00\x00"),
    (SyncUpdate(b"\x01\x02\x03"), b"\x00\x02\x03\x01\x02\x03"),
    (AwarenessUpdate(b"\x00"), b"\x01\x01\x00"),
    (PermissionDenied("no"), b"\x02\x00\x02no"),
    (QueryAwareness(), b"\x03"),
    (Ack(300, 5), b"\x64\xac\x02\x05"),
]


@pytest.mark.parametrize(("message", "encoded"), GOLDEN)
def test_message_golden_bytes(message: Message, encoded: bytes) -> None:
    assert encode_message(message) == encoded
    assert decode_message(encoded) == message


def test_sync_messages_match_pycrdt() -> None:
    payload = bytes(range(200))
    sync, step1, step2 = pycrdt.YMessageType.SYNC, pycrdt.YSyncMessageType.SYNC_STEP1, 1
    framed = pycrdt.write_message(payload)
    assert encode_message(SyncStep1(payload)) == bytes((sync, step1)) + framed
    assert encode_message(SyncStep2(payload)) == bytes((sync, step2)) + framed
    assert encode_message(SyncUpdate(payload)) == pycrdt.create_update_message(payload)
    assert encode_message(AwarenessUpdate(payload)) == pycrdt.create_awareness_message(payload)
    doc: Doc[Any] = Doc()
    doc.get("meta", type=Map)["title"] = "x"
    assert encode_message(SyncStep1(doc.get_state())) == pycrdt.create_sync_message(doc)


SONG = Song(title="Wire", tracks=(Track("Keys", notes=(Note(60, 0, 480), Note(64, 480, 480))),))


def _clocks(state_vector: bytes) -> dict[int, int]:
    # A state vector is lib0 too: a count, then (client id, clock) pairs in any order.
    reader = Reader(state_vector)
    pairs = [
        (reader.var_uint("client"), reader.var_uint("clock")) for _ in range(reader.var_uint("n"))
    ]
    reader.done("state vector")
    return dict(pairs)


def test_a_sync_handshake_with_pycrdt_converges() -> None:
    ours = song_to_doc(SONG, rng=random.Random(1))
    theirs: Doc[Any] = Doc()
    theirs.get("scratch", type=Map)["x"] = 1.0
    # They open with step 1 (pycrdt's helper); we answer with step 2.
    asked = decode_message(pycrdt.create_sync_message(theirs))
    assert isinstance(asked, SyncStep1)
    reply = encode_message(SyncStep2(encode_diff(ours, asked.state_vector)))
    assert pycrdt.handle_sync_message(reply[1:], theirs) is None
    # We open with step 1; pycrdt answers with step 2, which we decode and apply.
    answer = pycrdt.handle_sync_message(
        encode_message(SyncStep1(encode_state_vector(ours)))[1:], theirs
    )
    assert answer is not None
    step2 = decode_message(answer)
    assert isinstance(step2, SyncStep2)
    apply_update(ours, step2.update)
    assert _clocks(encode_state_vector(ours)) == _clocks(encode_state_vector(theirs))
    assert doc_to_song(theirs) == SONG


def test_updates_travel_in_update_messages() -> None:
    a = song_to_doc(SONG, rng=random.Random(2))
    b: Doc[Any] = Doc()
    apply_update(b, encode_state(a))
    before = encode_state_vector(a)
    add_notes(a, track_ids(a)[0], [Note(67, 960, 240)], rng=random.Random(3))
    frame = pycrdt.create_update_message(encode_diff(a, before))
    message = decode_message(frame)
    assert isinstance(message, SyncUpdate)
    apply_update(b, message.update)
    assert doc_to_song(b) == doc_to_song(a)


def test_awareness_matches_pycrdt_awareness() -> None:
    awareness = Awareness(Doc(client_id=42))
    awareness.set_local_state({"user": {"name": "Ana", "color": "#f80"}, "cursor": None})
    entries = decode_awareness(awareness.encode_awareness_update([42]))
    assert len(entries) == 1
    assert (entries[0].client_id, entries[0].clock) == (42, awareness.meta[42]["clock"])
    assert json.loads(entries[0].state) == awareness.get_local_state()
    peer = Awareness(Doc(client_id=7))
    peer.apply_awareness_update(encode_awareness(entries), "test")
    assert peer.states[42] == awareness.get_local_state()


def test_awareness_removal_is_a_null_state() -> None:
    gone = AwarenessEntry(9, 4, "null")
    assert gone.gone
    assert decode_awareness(encode_awareness([gone])) == [gone]
    assert encode_awareness([gone]) == b"\x01\x09\x04\x04null"


HOSTILE = [
    (b"", "message type: varuint at byte 0 is truncated"),
    (b"\x80", "message type: varuint at byte 0 is truncated"),
    (b"\x00", "sync step: varuint at byte 1 is truncated"),
    (b"\x00\x00", "state vector length: varuint at byte 2 is truncated"),
    (b"\x00\x01\x05abc", "update length=5 exceeds the 3 bytes left"),
    (b"\x00\x02\x01ab", "message has 1 trailing bytes after byte 4"),
    (b"\x00\x03\x00", "sync step=3 must be 0"),
    (b"\x04", "message type=4 must be one of 0, 1, 2, 3 or 100"),
    (b"\x02\x01\x00", "auth type=1 must be 0"),
    (b"\x02\x00\x02\xff\xfe", "reason is not valid UTF-8"),
    (b"\x64\x01", "ack seq: varuint at byte 2 is truncated"),
    (b"\x00\x00" + b"\xff" * 8 + b"\x01", "must take at most 8 bytes"),
    (b"\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f", f"must be at most {MAX_VAR_UINT}"),
    (b"\x03\x00", "message has 1 trailing bytes"),
]


@pytest.mark.parametrize(("data", "rule"), HOSTILE)
def test_hostile_frames_name_the_broken_rule(data: bytes, rule: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_message(data)
    assert rule in str(info.value)


def test_oversized_frames_are_refused_before_decoding() -> None:
    frame = encode_message(SyncUpdate(b"\x00" * 100))
    assert decode_message(frame, max_bytes=len(frame)) == SyncUpdate(b"\x00" * 100)
    with pytest.raises(MessageTooLargeError, match=rf"message of {len(frame)} bytes exceeds 50"):
        decode_message(frame, max_bytes=50)


@pytest.mark.parametrize(
    ("update", "rule"),
    [
        (b"\x01\x01\x01\x03{x}", "awareness[0] state='{x}' is not JSON"),
        (b"\x01\x01\x01\x03NaN", "awareness[0] state='NaN' is not JSON"),
        (b"\x02\x01\x01\x02{}", "awareness[1] client id: varuint at byte 6 is truncated"),
        (b"\x00\x00", "awareness update has 1 trailing bytes"),
        (b"\xe9\x07", "awareness count=1001 must be at most 1000"),
        (b"\x01\x01\x01\x01" + b"[" * 5000, "is not JSON"),
    ],
)
def test_hostile_awareness_updates_name_the_broken_rule(update: bytes, rule: str) -> None:
    with pytest.raises(ProtocolError, match="awareness") as info:
        decode_awareness(update)
    assert rule in str(info.value)


_payload = st.binary(max_size=300)
MESSAGES = st.one_of(
    st.builds(SyncStep1, _payload),
    st.builds(SyncStep2, _payload),
    st.builds(SyncUpdate, _payload),
    st.builds(AwarenessUpdate, _payload),
    st.builds(PermissionDenied, st.text(max_size=50)),
    st.just(QueryAwareness()),
    st.builds(Ack, st.integers(0, MAX_VAR_UINT), st.integers(0, MAX_VAR_UINT)),
)


@given(message=MESSAGES)
def test_messages_round_trip(message: Message) -> None:
    assert decode_message(encode_message(message)) == message


_entries = st.lists(
    st.builds(
        AwarenessEntry,
        st.integers(0, 2**32 - 1),
        st.integers(0, MAX_VAR_UINT),
        st.one_of(
            st.just("null"),
            st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8)).map(
                json.dumps
            ),
        ),
    ),
    max_size=10,
)


@given(entries=_entries)
def test_awareness_round_trips(entries: list[AwarenessEntry]) -> None:
    assert decode_awareness(encode_awareness(entries)) == entries


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(encode_message(draw(MESSAGES)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "drop", "insert", "cut"]))
        if action == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "drop" and data:
            del data[position]
        elif action == "cut":
            del data[position:]
        else:
            data.insert(position, draw(st.integers(0, 255)))
    return bytes(data)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(_mutated(), st.binary(max_size=40)))
def test_fuzzed_frames_raise_only_protocol_error(data: bytes) -> None:
    try:
        message = decode_message(data, max_bytes=256)
    except ProtocolError:
        return
    assert encode_message(message) == data  # whatever decodes is exactly one message
    if isinstance(message, AwarenessUpdate):
        with contextlib.suppress(ProtocolError):
            decode_awareness(message.update)


def test_a_varuint_longer_than_needed_is_refused() -> None:
    with pytest.raises(ProtocolError, match="message type: varuint at byte 0 is not minimally"):
        decode_message(b"\x83\x00")
