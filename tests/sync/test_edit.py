"""Tests for the incremental edits: each writes what it is asked to, checked, and merges."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pycrdt import Doc, Map

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
from bandmate.sync import (
    DocumentError,
    add_chords,
    add_notes,
    add_sections,
    add_track,
    doc_to_json,
    doc_to_song,
    notes_of,
    remove_chords,
    remove_notes,
    remove_sections,
    remove_track,
    set_meta,
    set_note,
    set_track,
    song_to_doc,
    track_ids,
)
from bandmate.sync.document import root_map

BASE = Song(title="Base", tracks=(Track("Piano", notes=(Note(60, 0, 480),)),))


@pytest.fixture
def rng() -> random.Random:
    return random.Random(5)


@pytest.fixture
def doc(rng: random.Random) -> Doc[Any]:
    return song_to_doc(BASE, rng=rng)


def _sync(a: Doc[Any], b: Doc[Any]) -> None:
    a_state, b_state = a.get_state(), b.get_state()
    a.apply_update(b.get_update(a_state))
    b.apply_update(a.get_update(b_state))


def _fork(doc: Doc[Any], client_id: int) -> Doc[Any]:
    copy: Doc[Any] = Doc(client_id=client_id)
    copy.apply_update(doc.get_update())
    return copy


def _position(doc: Doc[Any], track_id: str) -> object:
    track = doc_to_json(doc)["tracks"][track_id]
    assert isinstance(track, dict)
    return track["position"]


def test_add_track_appends_with_its_notes(doc: Doc[Any], rng: random.Random) -> None:
    bass = Track("Bass", Instrument(33), (Note(36, 0, 960), Note(38, 960, 960)), volume=90)
    track_id = add_track(doc, bass, position=(1.0, 0.0, -2.5), rng=rng)
    assert doc_to_song(doc).tracks == (*BASE.tracks, bass)
    assert track_ids(doc)[-1] == track_id
    assert _position(doc, track_id) == [1, 0, -2.5]


def test_add_track_at_an_order(doc: Doc[Any], rng: random.Random) -> None:
    add_track(doc, Track("Intro pad"), order=-0.5, rng=rng)
    assert [t.name for t in doc_to_song(doc).tracks] == ["Intro pad", "Piano"]


def test_add_track_refuses_a_non_finite_order_or_position(doc: Doc[Any]) -> None:
    with pytest.raises(DocumentError, match=r"tracks/\w+/order=nan must be finite"):
        add_track(doc, Track("x"), order=float("nan"))
    with pytest.raises(DocumentError, match=r"tracks/\w+/position/2=-inf must be finite"):
        add_track(doc, Track("x"), position=(0.0, 0.0, float("-inf")))
    assert doc_to_song(doc) == BASE


def test_remove_track(doc: Doc[Any]) -> None:
    (track_id,) = track_ids(doc)
    assert remove_track(doc, track_id)
    assert not remove_track(doc, track_id)
    assert doc_to_song(doc).tracks == ()


def test_set_track_writes_only_the_fields_given(doc: Doc[Any]) -> None:
    (track_id,) = track_ids(doc)
    set_track(doc, track_id, volume=64, pan=-10, instrument=Instrument(0, drums=True), solo=True)
    (track,) = doc_to_song(doc).tracks
    assert (track.volume, track.pan, track.instrument, track.solo) == (
        64,
        -10,
        Instrument(0, True),
        True,
    )
    assert (track.name, track.mute, track.notes) == ("Piano", False, BASE.tracks[0].notes)
    set_track(doc, track_id, name="Kit", mute=True, order=3.0, position=(0.0, 1.0, 0.0))
    assert _position(doc, track_id) == [0, 1, 0]
    assert doc_to_song(doc).tracks[0].name == "Kit"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"volume": 128}, r"tracks/\w+: volume=128 must be in 0\.\.127"),
        ({"pan": 64}, r"pan=64 must be in -64\.\.63"),
        ({"name": "\udc00"}, r"track name='\\udc00' must be valid Unicode"),
        ({"position": (0.0, float("inf"), 0.0)}, r"position/1=inf must be finite"),
    ],
)
def test_set_track_checks_before_writing(
    doc: Doc[Any], changes: dict[str, Any], message: str
) -> None:
    (track_id,) = track_ids(doc)
    before = doc.get_update()
    with pytest.raises(DocumentError, match=message):
        set_track(doc, track_id, **changes)
    assert doc.get_update() == before


def test_edits_on_a_missing_track_say_so(doc: Doc[Any]) -> None:
    with pytest.raises(DocumentError, match="tracks/nope does not exist"):
        add_notes(doc, "nope", [Note(60, 0, 1)])
    with pytest.raises(DocumentError, match="tracks/nope does not exist"):
        set_track(doc, "nope", volume=1)
    with pytest.raises(DocumentError, match="tracks/nope does not exist"):
        remove_notes(doc, "nope", ["x"])


def test_add_and_remove_notes(doc: Doc[Any], rng: random.Random) -> None:
    (track_id,) = track_ids(doc)
    new = [Note(64, 0, 480), Note(67, 0, 480, 80)]
    ids = add_notes(doc, track_id, new, rng=rng)
    assert len(ids) == 2
    assert [notes_of(doc, track_id)[i] for i in ids] == new
    assert doc_to_song(doc).tracks[0].notes == (Note(60, 0, 480), *new)
    assert remove_notes(doc, track_id, [ids[0], ids[0], "gone"]) == 1
    assert doc_to_song(doc).tracks[0].notes == (Note(60, 0, 480), new[1])


def test_set_note_moves_a_note_and_returns_it(doc: Doc[Any]) -> None:
    (track_id,) = track_ids(doc)
    (note_id,) = notes_of(doc, track_id)
    assert set_note(doc, track_id, note_id, start=960, pitch=62) == Note(62, 960, 480)
    assert notes_of(doc, track_id) == {note_id: Note(62, 960, 480)}


def test_set_note_checks_and_names_the_note(doc: Doc[Any]) -> None:
    (track_id,) = track_ids(doc)
    (note_id,) = notes_of(doc, track_id)
    with pytest.raises(DocumentError, match=rf"tracks/{track_id}/notes/{note_id}: pitch=128"):
        set_note(doc, track_id, note_id, pitch=128)
    with pytest.raises(DocumentError, match=rf"tracks/{track_id}/notes/zz does not exist"):
        set_note(doc, track_id, "zz", pitch=1)
    assert doc_to_song(doc) == BASE


def test_concurrent_moves_of_one_note_merge_field_by_field(doc: Doc[Any]) -> None:
    (track_id,) = track_ids(doc)
    (note_id,) = notes_of(doc, track_id)
    other = _fork(doc, client_id=doc.client_id + 1)
    set_note(doc, track_id, note_id, start=960)
    set_note(other, track_id, note_id, pitch=67)
    _sync(doc, other)
    assert notes_of(doc, track_id) == notes_of(other, track_id) == {note_id: Note(67, 960, 480)}


def test_set_meta_title_and_key(doc: Doc[Any]) -> None:
    set_meta(doc, title="New", key=Key("A", "dorian"))
    assert (doc_to_song(doc).title, doc_to_song(doc).key) == ("New", Key("A", "dorian"))
    set_meta(doc, title="Newer")
    assert doc_to_song(doc).key == Key("A", "dorian")
    set_meta(doc, key=None)
    assert doc_to_song(doc).key is None
    set_meta(doc, key=None)
    assert "key" not in doc_to_json(doc)["meta"]


def test_set_meta_tempos_reuses_entries_at_the_same_tick(doc: Doc[Any], rng: random.Random) -> None:
    (first_id,) = doc_to_json(doc)["tempos"]
    tempos = (TempoChange(0, 100.0), TempoChange(960, 80.0))
    meters = (MeterChange(0, 3, 4),)
    set_meta(doc, tempos=tempos, meters=meters, rng=rng)
    assert (doc_to_song(doc).tempos, doc_to_song(doc).meters) == (tempos, meters)
    assert first_id in doc_to_json(doc)["tempos"]
    set_meta(doc, tempos=(TempoChange(0, 100.0),), rng=rng)
    assert list(doc_to_json(doc)["tempos"]) == [first_id]


def test_concurrent_tempo_maps_merge_into_a_valid_song(doc: Doc[Any], rng: random.Random) -> None:
    other = _fork(doc, client_id=doc.client_id + 1)
    set_meta(doc, tempos=(TempoChange(0, 100.0), TempoChange(960, 80.0)), rng=rng)
    set_meta(other, tempos=(TempoChange(0, 90.0), TempoChange(960, 70.0)), rng=random.Random(9))
    _sync(doc, other)
    song = doc_to_song(doc)
    assert song == doc_to_song(other)
    assert [t.tick for t in song.tempos] == [0, 960]
    assert len(doc_to_json(doc)["tempos"]) == 3  # both added an entry at 960; a reader picks one
    set_meta(doc, tempos=song.tempos, rng=rng)  # writing the map back heals the duplicate
    assert len(doc_to_json(doc)["tempos"]) == 2
    assert doc_to_song(doc) == song


def test_set_meta_tempos_drops_broken_entries(doc: Doc[Any], rng: random.Random) -> None:
    root_map(doc, "tempos")["bad"] = "not a map"
    root_map(doc, "tempos")["worse"] = Map({"tick": "zero"})
    set_meta(doc, tempos=(TempoChange(0, 100.0),), rng=rng)
    assert doc_to_song(doc).tempos == (TempoChange(0, 100.0),)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tempos": ()}, "tempos must start with a change at tick 0"),
        ({"meters": (MeterChange(0, 4, 4), MeterChange(0, 3, 4))}, r"meters ticks=\[0, 0\]"),
    ],
)
def test_set_meta_refuses_a_broken_map(
    doc: Doc[Any], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(DocumentError, match=message):
        set_meta(doc, **options)
    assert doc_to_song(doc) == BASE


def test_chords_and_sections_append_after_those_at_the_same_tick(
    doc: Doc[Any], rng: random.Random
) -> None:
    first = ChordEvent(0, 480, parse_chord("C"))
    second = ChordEvent(0, 240, parse_chord("G/B"))
    chord_ids = add_chords(doc, [first, second], rng=rng)
    section_ids = add_sections(doc, [Section(0, "B"), Section(0, "A")], rng=rng)
    song = doc_to_song(doc)
    assert song.chords == (first, second)
    assert song.sections == (Section(0, "B"), Section(0, "A"))
    assert remove_chords(doc, [chord_ids[0], "gone"]) == 1
    assert remove_sections(doc, section_ids) == 2
    assert (doc_to_song(doc).chords, doc_to_song(doc).sections) == ((second,), ())


def test_edits_share_the_callers_transaction(doc: Doc[Any], rng: random.Random) -> None:
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        track_id = add_track(doc, Track("Strings"), rng=rng)
        add_notes(doc, track_id, [Note(48, 0, 1920)], rng=rng)
        set_meta(doc, title="One step")
    doc.unobserve(subscription)
    assert len(updates) == 1
