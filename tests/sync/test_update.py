"""Tests for the update codec: state, state vectors, diffs, and what bad bytes do."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc

from bandmate.music import Note, Song, Track
from bandmate.sync import (
    DocumentError,
    add_notes,
    apply_update,
    doc_to_song,
    encode_diff,
    encode_state,
    encode_state_vector,
    set_meta,
    song_to_doc,
    track_ids,
)

SONG = Song(
    title="Codec",
    tracks=(Track("Lead", notes=tuple(Note(60 + i, 120 * i, 120) for i in range(8))),),
)
BASE_DOC = song_to_doc(SONG, rng=random.Random(0))
BASE = encode_state(BASE_DOC)


def _replica(client_id: int) -> Doc[Any]:
    doc: Doc[Any] = Doc(client_id=client_id)
    apply_update(doc, BASE)
    return doc


def test_a_full_state_rebuilds_the_song() -> None:
    assert doc_to_song(_replica(1)) == SONG


def test_a_diff_carries_only_what_the_peer_lacks() -> None:
    ahead, behind = _replica(1), _replica(2)
    vector = encode_state_vector(behind)
    set_meta(ahead, title="Ahead")
    diff = encode_diff(ahead, vector)
    assert len(diff) < len(encode_state(ahead)) // 4
    apply_update(behind, diff)
    assert doc_to_song(behind).title == "Ahead"


def test_applying_an_update_twice_changes_nothing() -> None:
    doc = _replica(1)
    before = encode_state(doc)
    apply_update(doc, BASE)
    assert encode_state(doc) == before


def _two_steps(first: Any, second: Any) -> tuple[Doc[Any], bytes, bytes]:
    """An author makes two edits; return it and the two diffs."""
    author = _replica(1)
    start = encode_state_vector(author)
    first(author)
    first_diff = encode_diff(author, start)
    middle = encode_state_vector(author)
    second(author)
    return author, first_diff, encode_diff(author, middle)


def test_an_update_ahead_of_its_causes_is_caught_up_by_a_sync() -> None:
    # yjs holds `second` back until `first` arrives; Yrs shows it at once, but its state
    # vector still lacks `first`, so a sync step asks for exactly what is missing.
    track_id = track_ids(BASE_DOC)[0]
    author, _, second = _two_steps(
        lambda doc: add_notes(doc, track_id, [Note(90, 0, 10)]),
        lambda doc: add_notes(doc, track_id, [Note(91, 0, 10)]),
    )
    late = _replica(2)
    apply_update(late, second)
    apply_update(late, encode_diff(author, encode_state_vector(late)))
    assert doc_to_song(late) == doc_to_song(author)
    assert encode_state_vector(late) == encode_state_vector(author)


def test_a_delete_can_arrive_before_the_value_that_replaces_it() -> None:
    # Every update carries the author's whole delete set: `second` deletes the old title,
    # while the new title waits in `first`. A reader in between sees no title at all.
    track_id = track_ids(BASE_DOC)[0]
    author, first, second = _two_steps(
        lambda doc: set_meta(doc, title="Renamed"),
        lambda doc: add_notes(doc, track_id, [Note(91, 0, 10)]),
    )
    late = _replica(2)
    apply_update(late, second)
    with pytest.raises(DocumentError, match="meta/title is missing"):
        doc_to_song(late)
    apply_update(late, first)
    assert doc_to_song(late) == doc_to_song(author)


@pytest.mark.parametrize("update", [b"", b"\x00", b"\x01\x02garbage", b"\xff" * 16, BASE[:-3]])
def test_bad_bytes_raise_document_error(update: bytes) -> None:
    doc = _replica(1)
    with pytest.raises(
        DocumentError, match=rf"update \({len(update)} bytes\) could not be applied"
    ):
        apply_update(doc, update)
    assert doc_to_song(doc) == SONG


def test_the_pycrdt_error_is_chained() -> None:
    with pytest.raises(DocumentError) as info:
        apply_update(Doc(), b"\x01\x02")
    assert isinstance(info.value.__cause__, ValueError)


def test_an_update_must_be_bytes() -> None:
    with pytest.raises(DocumentError, match="update must be bytes, not str"):
        apply_update(Doc(), "AAA=")  # type: ignore[arg-type]


def test_a_bad_state_vector_raises_document_error() -> None:
    with pytest.raises(DocumentError, match=r"state vector \(4 bytes\) is invalid"):
        encode_diff(_replica(1), b"\xff\xff\xff\xff")


@st.composite
def _mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(BASE)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "drop":
            del data[position]
        else:
            data.insert(position, draw(st.integers(0, 255)))
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(update=st.one_of(_mutations(), st.binary(max_size=64)))
def test_fuzzed_updates_raise_only_document_error(update: bytes) -> None:
    doc: Doc[Any] = Doc()
    try:
        apply_update(doc, update)
        doc_to_song(doc)
    except DocumentError:
        pass
