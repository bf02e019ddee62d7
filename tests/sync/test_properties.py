"""Property tests: every song survives the document, and replicas that edit at random converge.

The convergence test follows yjs' ``applyRandomTests`` (tests/testHelper.js): N replicas
make random edits and exchange updates at random moments, then sync fully and must hold
the same document, which must read as a valid song at every step.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc

from bandmate.errors import MusicError
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
from bandmate.music.chord import ADDED_TONES, ALTERATIONS, QUALITIES, Chord
from bandmate.music.key import MODES
from bandmate.music.pitch import LETTERS, Pitch
from bandmate.music.song import MAX_PPQ
from bandmate.sync import (
    add_chords,
    add_notes,
    add_track,
    apply_update,
    doc_to_json,
    doc_to_song,
    encode_diff,
    encode_state,
    encode_state_vector,
    notes_of,
    remove_chords,
    remove_notes,
    remove_track,
    set_meta,
    set_note,
    set_track,
    song_to_doc,
    track_ids,
)
from bandmate.sync.schema import MAX_SAFE_INTEGER


def _valid_keys() -> list[Key]:
    keys = []
    for letter in LETTERS:
        for accidental in (-1, 0, 1):
            for mode in MODES:
                try:
                    keys.append(Key(Pitch(letter, accidental).name, mode))
                except MusicError:
                    continue
    return keys


KEYS = _valid_keys()
ticks = st.integers(0, 10_000) | st.integers(0, MAX_SAFE_INTEGER)
texts = st.text(max_size=12)
names = st.builds(Pitch, st.sampled_from(LETTERS), st.integers(-2, 2)).map(lambda p: p.name)
chords = st.builds(
    Chord,
    names,
    st.sampled_from(QUALITIES),
    st.lists(st.sampled_from(ADDED_TONES), max_size=3).map(tuple),
    st.lists(st.sampled_from(ALTERATIONS), max_size=3).map(tuple),
    st.none() | names,
)
notes = st.builds(
    Note,
    pitch=st.integers(0, 127),
    start=ticks,
    duration=st.integers(1, 4_000) | st.integers(1, MAX_SAFE_INTEGER),
    velocity=st.integers(1, 127),
)
tracks = st.builds(
    Track,
    name=texts,
    instrument=st.builds(Instrument, program=st.integers(0, 127), drums=st.booleans()),
    notes=st.lists(notes, max_size=6).map(tuple),
    volume=st.integers(0, 127),
    pan=st.integers(-64, 63),
    mute=st.booleans(),
    solo=st.booleans(),
)
bpms = st.floats(1.0, 1000.0) | st.integers(1, 1000).map(float)
tempo_maps = st.tuples(
    bpms, st.dictionaries(st.integers(1, MAX_SAFE_INTEGER), bpms, max_size=3)
).map(lambda t: (TempoChange(0, t[0]), *(TempoChange(k, v) for k, v in sorted(t[1].items()))))
meter_values = st.tuples(st.integers(1, 64), st.sampled_from([1, 2, 4, 8, 16, 32, 64]))
meter_maps = st.tuples(
    meter_values, st.dictionaries(st.integers(1, 100_000), meter_values, max_size=3)
).map(lambda t: (MeterChange(0, *t[0]), *(MeterChange(k, *v) for k, v in sorted(t[1].items()))))
songs = st.builds(
    Song,
    title=texts,
    ppq=st.integers(1, MAX_PPQ),
    tempos=tempo_maps,
    meters=meter_maps,
    key=st.none() | st.sampled_from(KEYS),
    tracks=st.lists(tracks, max_size=4).map(tuple),
    chords=st.lists(
        st.builds(
            ChordEvent, tick=st.integers(0, 2_000), duration=st.integers(1, 2_000), chord=chords
        ),
        max_size=5,
    ).map(tuple),
    sections=st.lists(st.builds(Section, tick=st.integers(0, 2_000), name=texts), max_size=4).map(
        tuple
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(song=songs, seed=st.integers(0, 2**32))
def test_every_song_round_trips_through_the_document_and_the_wire(song: Song, seed: int) -> None:
    doc = song_to_doc(song, rng=random.Random(seed))
    assert doc_to_song(doc) == song
    copy: Doc[Any] = Doc()
    apply_update(copy, encode_state(doc))
    assert doc_to_song(copy) == song
    assert doc_to_json(copy) == doc_to_json(doc)


# ------------------------------------------------------------------ random concurrent editing

BASE = Song(
    title="Jam",
    key=Key("D", "dorian"),
    tempos=(TempoChange(0, 100.0), TempoChange(1920, 110.0)),
    tracks=(
        Track("Bass", Instrument(33), (Note(38, 0, 480), Note(45, 480, 480))),
        Track("Keys", Instrument(4), (Note(62, 0, 960), Note(65, 0, 960), Note(69, 0, 960))),
    ),
    chords=(ChordEvent(0, 1920, parse_chord("Dm7")),),
)
SYMBOLS = ("Dm7", "G7", "Cmaj7", "A7(b9)", "F/A")
KINDS = (
    "add_note", "remove_note", "set_note", "add_track", "remove_track", "set_track",
    "set_meta", "set_tempos", "add_chord", "remove_chord", "sync", "sync",
)  # fmt: skip
Op = tuple[str, int, int, int, int]
ops = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 3),
    st.integers(0, 999),
    st.integers(0, 999),
    st.integers(0, 999),
)


def _pick(ids: list[str], index: int) -> str | None:
    return ids[index % len(ids)] if ids else None


def _edit(doc: Doc[Any], rng: random.Random, op: Op) -> None:
    kind, _, a, b, c = op
    track = _pick(track_ids(doc), a)
    note = _pick(sorted(notes_of(doc, track)), b) if track else None
    if kind == "add_note" and track:
        add_notes(doc, track, [Note(b % 128, c * 60, 1 + a % 960)], rng=rng)
    elif kind == "remove_note" and track and note:
        remove_notes(doc, track, [note])
    elif kind == "set_note" and track and note:
        field = ("pitch", "start", "duration", "velocity")[c % 4]
        set_note(doc, track, note, **{field: 1 + a % 127})
    elif kind == "add_track":
        add_track(doc, Track(f"Track {a}", Instrument(b % 128), (Note(60, 0, 1 + c),)), rng=rng)
    elif kind == "remove_track" and track:
        remove_track(doc, track)
    elif kind == "set_track" and track:
        set_track(doc, track, volume=b % 128, pan=c % 128 - 64, mute=a % 2 == 0)
    elif kind == "set_meta":
        key = None if b % 3 == 0 else KEYS[b % len(KEYS)]
        set_meta(doc, title=f"Take {a}", key=key)
    elif kind == "set_tempos":
        tempos = (TempoChange(0, 60.0 + a % 100), TempoChange(480 * (1 + b % 4), 80.0 + c % 50))
        set_meta(doc, tempos=tempos[: 1 + c % 2], rng=rng)
    elif kind == "add_chord":
        add_chords(doc, [ChordEvent(480 * (a % 8), 480, parse_chord(SYMBOLS[b % 5]))], rng=rng)
    elif kind == "remove_chord":
        chord = _pick(sorted(doc_to_json(doc)["chords"]), a)
        if chord:
            remove_chords(doc, [chord])


def _clocks(state_vector: bytes) -> dict[int, int]:
    """Decode a state vector (varuint count, then client and clock pairs); its order is free."""
    numbers: list[int] = []
    value = shift = 0
    for byte in state_vector:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            numbers.append(value)
            value = shift = 0
    count, pairs = numbers[0], numbers[1:]
    assert len(pairs) == 2 * count
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


def _send(source: Doc[Any], target: Doc[Any]) -> None:
    apply_update(target, encode_diff(source, encode_state_vector(target)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replica_count=st.integers(2, 4), script=st.lists(ops, max_size=40))
def test_random_concurrent_edits_converge_to_one_valid_song(
    replica_count: int, script: list[Op]
) -> None:
    base = encode_state(song_to_doc(BASE, rng=random.Random(0)))
    replicas: list[Doc[Any]] = []
    for client_id in range(1, replica_count + 1):
        replica: Doc[Any] = Doc(client_id=client_id)
        apply_update(replica, base)
        replicas.append(replica)
    rngs = [random.Random(i) for i in range(replica_count)]
    for op in script:
        kind, who, a, _, _ = op
        doc = replicas[who % replica_count]
        if kind == "sync":
            target = replicas[a % replica_count]
            _send(doc, target)
            doc_to_song(target)  # every state a sync leaves must read as a song
        else:
            _edit(doc, rngs[who % replica_count], op)
    hub = replicas[0]
    for replica in replicas[1:]:
        _send(replica, hub)
    for replica in replicas[1:]:
        _send(hub, replica)
    first = doc_to_json(hub)
    song = doc_to_song(hub)
    for replica in replicas[1:]:
        assert doc_to_json(replica) == first
        assert doc_to_song(replica) == song
        assert _clocks(encode_state_vector(replica)) == _clocks(encode_state_vector(hub))
