"""Tests for the song document: Song <-> Yjs document, and the checks on what clients write."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from bandmate.errors import BandmateError
from bandmate.music import (
    ChordEvent,
    Instrument,
    Key,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
    parse_chord,
)
from bandmate.sync import DocumentError, doc_to_json, doc_to_song, song_to_doc
from bandmate.sync.document import check_structure, root_map
from bandmate.sync.schema import ID_ALPHABET, ID_LENGTH, MAX_SAFE_INTEGER, SCHEMA_VERSION, new_id

SONG = Song(
    title="Tiny — été",
    ppq=96,
    tempos=(TempoChange(0, 90.0), TempoChange(384, 123.456789)),
    meters=(MeterChange(0, 6, 8), MeterChange(576, 4, 4)),
    key=Key("Eb", "minor"),
    tracks=(
        Track("Lead", Instrument(81), (Note(72, 0, 96, 1), Note(74, 96, 48, 127)), 127, -64),
        Track("Kit", Instrument(25, drums=True), (Note(36, 0, 24),), 0, 63, mute=True, solo=True),
        Track("Empty"),
    ),
    chords=(
        ChordEvent(0, 192, parse_chord("Ebm(maj7)")),
        ChordEvent(0, 96, parse_chord("Bb7(#9)/D")),  # same tick, given second: stays second
    ),
    sections=(Section(0, "A"), Section(384, "B"), Section(384, "")),
)


def _doc(song: Song = SONG, *, seed: int = 1) -> Doc[Any]:
    return song_to_doc(song, rng=random.Random(seed))


def _first(doc: Doc[Any], lane: str) -> Map[Any]:
    root = root_map(doc, lane)
    key = sorted(root.keys())[0]
    entry: Map[Any] = root[key]
    return entry


def _first_note(doc: Doc[Any]) -> Map[Any]:
    tracks = root_map(doc, "tracks")
    for key in sorted(tracks.keys()):
        notes: Map[Any] = tracks[key]["notes"]
        if len(notes) > 0:
            note: Map[Any] = notes[sorted(notes.keys())[0]]
            return note
    raise AssertionError("no track has notes")


@pytest.mark.parametrize(
    "song",
    [
        Song(),
        SONG,
        Song(title="", ppq=1, tracks=(Track("x", notes=(Note(0, MAX_SAFE_INTEGER, 1),)),)),
    ],
)
def test_song_round_trips(song: Song) -> None:
    assert doc_to_song(_doc(song)) == song


def test_round_trip_survives_the_wire() -> None:
    copy: Doc[Any] = Doc()
    copy.apply_update(_doc().get_update())
    assert doc_to_song(copy) == SONG


def test_numbers_are_stored_as_doubles_and_read_back_as_ints() -> None:
    data = doc_to_json(_doc())
    assert data["meta"] == {
        "schema": SCHEMA_VERSION,
        "title": "Tiny — été",
        "ppq": 96,
        "key": "Eb minor",
    }
    note = _first_note(_doc())
    assert all(type(note[k]) is float for k in ("pitch", "start", "duration", "velocity"))


def test_track_entry_holds_every_field() -> None:
    track = _first(_doc(), "tracks").to_py()
    assert track is not None
    assert set(track) == {
        "name", "program", "drums", "volume", "pan", "mute", "solo", "order", "position", "notes",
    }  # fmt: skip
    assert track["position"] == [0.0, 0.0, 0.0]


def test_ids_come_from_the_injected_rng() -> None:
    assert doc_to_json(_doc(seed=7)) == doc_to_json(_doc(seed=7))
    assert doc_to_json(_doc(seed=7)) != doc_to_json(_doc(seed=8))
    ids = list(doc_to_json(_doc())["tracks"])
    assert all(len(i) == ID_LENGTH and set(i) <= set(ID_ALPHABET) for i in ids)
    assert new_id(random.Random(3)) == new_id(random.Random(3))
    assert len({new_id() for _ in range(1000)}) == 1000


def test_song_to_doc_replaces_what_the_doc_held() -> None:
    doc = _doc()
    song_to_doc(Song(title="Other"), doc=doc, rng=random.Random(2))
    assert doc_to_song(doc) == Song(title="Other")


def test_song_to_doc_writes_into_a_given_doc() -> None:
    doc: Doc[Any] = Doc(client_id=77)
    assert song_to_doc(SONG, doc=doc) is doc
    assert doc.client_id == 77
    assert doc_to_song(doc) == SONG


@pytest.mark.parametrize(
    ("song", "message"),
    [
        (
            Song(tracks=(Track("x", notes=(Note(60, 2**53, 1),)),)),
            "start=9007199254740992 must be at most",
        ),
        (Song(sections=(Section(2**60, "far"),)), "section tick=1152921504606846976"),
        (Song(title="bad \udc80"), "title='bad \\\\udc80' must be valid Unicode"),
        (Song(tracks=(Track("\ud800"),)), "track name="),
    ],
)
def test_song_to_doc_refuses_what_a_document_cannot_hold(song: Song, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        song_to_doc(song)


def test_document_error_is_a_bandmate_error() -> None:
    assert issubclass(DocumentError, BandmateError)


# ------------------------------------------------------------------ checks on client documents

Mutation = Callable[[Doc[Any]], None]


def _set_note(field: str, value: object) -> Mutation:
    return lambda doc: _first_note(doc).__setitem__(field, value)


def _del_note(field: str) -> Mutation:
    return lambda doc: _first_note(doc).__delitem__(field)


def _set(lane: str, field: str, value: object) -> Mutation:
    return lambda doc: _first(doc, lane).__setitem__(field, value)


def _set_meta(field: str, value: object) -> Mutation:
    return lambda doc: root_map(doc, "meta").__setitem__(field, value)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set_note("pitch", 200.0), r"tracks/\w+/notes/\w+: pitch=200 must be in 0\.\.127"),
        (_set_note("pitch", 60.5), r"tracks/\w+/notes/\w+/pitch=60\.5 must be an integer$"),
        (_set_note("pitch", "60"), r"/pitch='60' must be an integer, not a string"),
        (_set_note("pitch", True), r"/pitch=true must be an integer, not a boolean"),
        (_set_note("pitch", None), r"/pitch=null must be an integer, not null"),
        (_set_note("pitch", float("nan")), r"/pitch=null must be an integer, not null"),
        (_set_note("start", 2.0**60), r"/start=1152921504606846976 must be at most 2\*\*53 - 1"),
        (_set_note("start", -1.0), r"start=-1 must be >= 0"),
        (_set_note("duration", 0.0), r"duration=0 must be >= 1"),
        (_set_note("velocity", 0.0), r"velocity=0 must be in 1\.\.127"),
        (_del_note("velocity"), r"tracks/\w+/notes/\w+/velocity is missing"),
        (_set("tracks", "volume", 128.0), r"tracks/\w+: volume=128 must be in 0\.\.127"),
        (_set("tracks", "pan", -65.0), r"pan=-65 must be in -64\.\.63"),
        (_set("tracks", "program", 128.0), r"program=128 must be in 0\.\.127"),
        (_set("tracks", "mute", 1.0), r"tracks/\w+/mute=1 must be a boolean, not a number"),
        (_set("tracks", "name", 5.0), r"tracks/\w+/name=5 must be a string, not a number"),
        (_set("tracks", "order", "first"), r"tracks/\w+/order='first' must be a number"),
        (
            _set("tracks", "position", [1.0, 2.0]),
            r"tracks/\w+/position=\[\.\.\.\] must be an array",
        ),
        (
            _set("tracks", "position", [1.0, "2", 3.0]),
            r"tracks/\w+/position/1='2' must be a number",
        ),
        (_set("tracks", "notes", {"a": 1}), r"tracks/\w+/notes must be a Y\.Map, not dict"),
        (_set("tracks", "notes", Map()), r"^$"),  # an empty notes map is fine (see below)
        (_set("chords", "symbol", "H7"), r"chords/\w+/symbol: chord symbol 'H7': root must be"),
        (_set("chords", "duration", 0.0), r"chords/\w+: chord duration=0 must be >= 1"),
        (_set("tempos", "bpm", 0.5), r"tempos/\w+: bpm=0\.5 must be in 1\.\.1000"),
        (_set("tempos", "bpm", float("inf")), r"tempos/\w+/bpm=null must be a number"),
        (_set("meters", "denominator", 3.0), r"meters/\w+: denominator=3 must be a power of two"),
        (
            _set("sections", "name", ["A"]),
            r"sections/\w+/name=\[\.\.\.\] must be a string, not an array",
        ),
        (_set_meta("ppq", 0.0), r"meta: ppq=0 must be in 1\.\.32767"),
        (_set_meta("title", Text("A")), r"^$"),  # a Y.Text title reads as its string
        (_set_meta("key", "H major"), r"meta/key: key 'H major': tonic must be"),
        (_set_meta("key", 3.0), r"meta/key=3 must be a string, not a number"),
        (_set_meta("key", None), r"^$"),  # null is no key, as absent
        (_set_meta("schema", SCHEMA_VERSION + 1.0), r"meta/schema=2 is newer than this Bandmate"),
        (_set_meta("schema", 0.0), r"meta/schema=0 must be >= 1"),
        (lambda doc: root_map(doc, "meta").__delitem__("schema"), r"meta/schema is missing"),
        (lambda doc: root_map(doc, "meta").__delitem__("title"), r"meta/title is missing"),
        (
            lambda doc: root_map(doc, "tracks").__setitem__("t", 3.0),
            r"tracks/t must be a Y\.Map, not float",
        ),
        (
            lambda doc: root_map(doc, "chords").__setitem__("c", Array([1.0])),
            r"chords/c must be a Y\.Map",
        ),
        (
            lambda doc: _first(doc, "tracks")["notes"].__setitem__("n", "x"),
            r"tracks/\w+/notes/n must be",
        ),
    ],
)
def test_doc_to_song_names_path_value_and_rule(mutate: Mutation, message: str) -> None:
    doc = _doc()
    mutate(doc)
    if message == "^$":
        doc_to_song(doc)
        return
    with pytest.raises(DocumentError, match=message):
        doc_to_song(doc)


def test_a_plain_object_entry_is_refused_even_though_it_reads_the_same() -> None:
    doc = _doc()
    tempo = _first(doc, "tempos").to_py()
    root_map(doc, "tempos")["plain"] = tempo
    with pytest.raises(DocumentError, match=r"tempos/plain must be a Y\.Map, not dict"):
        check_structure(doc)


def test_an_empty_document_has_no_schema_version() -> None:
    with pytest.raises(DocumentError, match="meta/schema is missing"):
        doc_to_song(Doc())


def test_unknown_fields_are_ignored() -> None:
    doc = _doc()
    _first_note(doc)["lyric"] = "la"
    root_map(doc, "meta")["genre"] = "folk"
    assert doc_to_song(doc) == SONG


# ------------------------------------------------------------------ merges no one made


def _tempo_doc(entries: dict[str, tuple[float, float]]) -> Doc[Any]:
    doc = _doc(Song())
    tempos = root_map(doc, "tempos")
    tempos.clear()
    for key, (tick, bpm) in entries.items():
        tempos[key] = Map({"tick": tick, "bpm": bpm})
    return doc


def test_two_tempos_at_one_tick_resolve_to_the_smaller_id() -> None:
    doc = _tempo_doc({"b": (0.0, 100.0), "a": (0.0, 90.0), "c": (480.0, 70.0)})
    assert doc_to_song(doc).tempos == (TempoChange(0, 90.0), TempoChange(480, 70.0))


@pytest.mark.parametrize(
    ("entries", "tempos"),
    [
        ({}, (TempoChange(0, 120.0),)),
        ({"a": (480.0, 70.0)}, (TempoChange(0, 120.0), TempoChange(480, 70.0))),
    ],
)
def test_a_missing_tempo_at_tick_0_is_the_default(
    entries: dict[str, tuple[float, float]], tempos: tuple[TempoChange, ...]
) -> None:
    assert doc_to_song(_tempo_doc(entries)).tempos == tempos


def test_tracks_with_equal_order_sort_by_id() -> None:
    doc = _doc()
    for key in list(root_map(doc, "tracks").keys()):
        root_map(doc, "tracks")[key]["order"] = 1.0
    by_id = sorted(doc_to_json(doc)["tracks"].items())
    names = [t["name"] for _, t in by_id if isinstance(t, dict)]
    assert [t.name for t in doc_to_song(doc).tracks] == names


def test_messages_keep_long_strings_short() -> None:
    doc = _doc()
    _first(doc, "tracks")["mute"] = "x" * 100
    with pytest.raises(DocumentError) as info:
        doc_to_song(doc)
    assert re.search(r"mute='x{29}\.\.\.' must be a boolean, not a string", str(info.value))
