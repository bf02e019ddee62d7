"""Takes become tracks: pairing, sustain, count-in cuts, ticks from quarters."""

from __future__ import annotations

import pytest

from bandmate.jam.errors import TakeError
from bandmate.jam.protocol import NoteEvent
from bandmate.jam.take import Recorded, Take, take_to_track
from bandmate.music.song import Instrument, Note


def make_take(events: list[tuple[float, NoteEvent]], end: float | None = 8.0) -> Take:
    take = Take("p1", "u1", "alice", Instrument(0), "Piano", 0.0)
    take.events = [Recorded(q, e) for q, e in events]
    take.end_quarter = end
    return take


def on(pitch: int, velocity: int = 100) -> NoteEvent:
    return NoteEvent("on", 0.0, pitch, velocity)


def off(pitch: int) -> NoteEvent:
    return NoteEvent("off", 0.0, pitch, 0)


def test_keys_become_notes_in_ticks() -> None:
    track = take_to_track(
        make_take([(0.0, on(60, 90)), (1.0, off(60)), (1.5, on(64)), (2.25, off(64))]), ppq=480
    )
    assert track.name == "alice – Piano"
    assert track.notes == (Note(60, 0, 480, 90), Note(64, 720, 360, 100))


def test_sustain_holds_released_keys_until_the_pedal_lifts() -> None:
    events = [
        (0.0, NoteEvent("sustain", 0.0, 0, 127)),
        (0.0, on(60)),
        (0.5, off(60)),
        (1.0, on(62)),
        (1.5, off(62)),
        (3.0, NoteEvent("sustain", 0.0, 0, 0)),
        (3.5, on(64)),
        (4.0, off(64)),
    ]
    track = take_to_track(make_take(events), ppq=100)
    assert track.notes == (Note(60, 0, 300), Note(62, 100, 200), Note(64, 350, 50))


def test_count_in_notes_are_cut_and_held_keys_end_with_the_take() -> None:
    events = [(-3.0, on(48)), (-2.0, off(48)), (-1.0, on(50)), (1.0, off(50)), (6.0, on(52))]
    track = take_to_track(make_take(events, end=8.0), ppq=480)
    assert track.notes == (Note(50, 0, 480), Note(52, 2880, 960))


def test_a_restruck_key_ends_the_sounding_note_and_program_sets_the_instrument() -> None:
    events = [
        (0.0, on(60)),
        (1.0, on(60, 50)),
        (2.0, off(60)),
        (2.0, NoteEvent("program", 0.0, 0, 33)),
        (2.0, NoteEvent("bend", 0.0, 0, 4000)),
    ]
    track = take_to_track(make_take(events), ppq=480)
    assert track.notes == (Note(60, 0, 480), Note(60, 480, 480, 50))
    assert track.instrument == Instrument(33)


def test_empty_or_unfinished_takes_are_refused() -> None:
    with pytest.raises(TakeError, match="holds no note after bar 0"):
        take_to_track(make_take([(-2.0, on(60)), (-1.0, off(60))]), ppq=480)
    with pytest.raises(TakeError, match="has not ended"):
        take_to_track(make_take([(0.0, on(60))], end=None), ppq=480)
