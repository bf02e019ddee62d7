"""Tests for the chord API: valid, deterministic suggestions in the song's key and meter."""

from __future__ import annotations

import math

import pytest

from bandmate.assist import AssistError, suggest_next_chords, suggest_progression
from bandmate.assist.chords.predictor import MODEL_NAMES, ModelName
from bandmate.errors import BandmateError
from bandmate.music import (
    ChordEvent,
    Key,
    MeterChange,
    Note,
    Song,
    TempoMap,
    Track,
    parse_chord,
    roman_to_chord,
)
from bandmate.music.key import parse_key

from .conftest import lane


def _check_events(events: list[ChordEvent], song: Song, first_bar: int, bars: int) -> None:
    tempo_map = TempoMap.from_song(song)
    assert len(events) == bars
    for bar, event in zip(range(first_bar, first_bar + bars), events, strict=True):
        assert event.tick == tempo_map.bar_start_tick(bar)
        assert event.duration == tempo_map.bar_length(bar)
        assert parse_chord(str(event.chord)) == event.chord


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_next_chords_are_valid_distinct_and_ranked(c_major_song: Song, model: ModelName) -> None:
    suggestions = suggest_next_chords(c_major_song, k=8, model=model)
    assert len(suggestions) == 8
    assert len({s.roman for s in suggestions}) == 8
    probabilities = [s.probability for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 < p <= 1.0 for p in probabilities)
    assert sum(probabilities) <= 1.0 + 1e-9
    for s in suggestions:
        assert parse_chord(str(s.chord)) == s.chord
        assert roman_to_chord(s.roman, parse_key("C")).pitch_classes == s.chord.pitch_classes


def test_a_dominant_seventh_resolves_to_the_tonic(c_major_song: Song) -> None:
    best = suggest_next_chords(c_major_song, k=1)[0]
    assert str(best.chord) == "C"
    assert best.roman == "I"


def test_the_sounding_chord_is_never_suggested_next(c_major_song: Song) -> None:
    suggestions = suggest_next_chords(c_major_song, k=50)
    assert all(str(s.chord) != "G7" for s in suggestions)


def test_position_changes_the_context(c_major_song: Song) -> None:
    after_f = suggest_next_chords(c_major_song, bar=4, k=5)  # context C Am F
    after_g7 = suggest_next_chords(c_major_song, k=5)
    assert [s.roman for s in after_f] != [s.roman for s in after_g7]
    assert suggest_next_chords(c_major_song, at_tick=3 * 1920, k=5) == after_f


def test_seeded_sampling_is_deterministic_and_seeds_differ(c_major_song: Song) -> None:
    first = suggest_next_chords(c_major_song, k=5, seed=11, temperature=1.5)
    assert suggest_next_chords(c_major_song, k=5, seed=11, temperature=1.5) == first
    others = {
        tuple(s.roman for s in suggest_next_chords(c_major_song, k=5, seed=seed, temperature=1.5))
        for seed in range(6)
    }
    assert len(others) > 1


def test_temperature_sharpens_and_flattens(c_major_song: Song) -> None:
    cold = suggest_next_chords(c_major_song, k=1, temperature=0.5)[0].probability
    warm = suggest_next_chords(c_major_song, k=1, temperature=2.0)[0].probability
    assert cold > suggest_next_chords(c_major_song, k=1)[0].probability > warm


def test_f_sharp_minor_is_spelled_with_sharps() -> None:
    song = Song(key=parse_key("F# minor"), chords=lane("F#m", "Bm", "C#7"))
    suggestions = suggest_next_chords(song, k=10)
    assert str(suggestions[0].chord) == "F#m"
    for s in suggestions:
        assert "b" not in s.chord.root
    events = suggest_progression(song, bars=8, seed=4)
    assert all("b" not in e.chord.root for e in events)


def test_progression_in_seven_eight_sits_on_bar_starts(seven_eight: Song) -> None:
    events = suggest_progression(seven_eight, bars=6, seed=2, style="bach")
    _check_events(events, seven_eight, 1, 6)
    assert {e.duration for e in events} == {7 * 240}
    assert suggest_progression(seven_eight, bars=6, seed=2, style="bach") == events


def test_progression_follows_meter_changes_and_resolution() -> None:
    song = Song(ppq=96, key=Key("Eb"), meters=(MeterChange(0, 3, 4), MeterChange(288 * 2, 5, 8)))
    events = suggest_progression(song, bars=5, seed=0, style="monteverdi")
    _check_events(events, song, 1, 5)
    assert [e.duration for e in events] == [288, 288, 240, 240, 240]


def test_progression_continues_after_the_last_chord(c_major_song: Song) -> None:
    events = suggest_progression(c_major_song, bars=4, seed=9)
    _check_events(events, c_major_song, 5, 4)
    assert events[0].chord != parse_chord("G7")
    again = suggest_progression(c_major_song, bars=2, start_bar=2, seed=9)
    _check_events(again, c_major_song, 2, 2)


def test_progression_from_a_key_alone() -> None:
    events = suggest_progression(Key("A", "minor"), bars=8, seed=1)
    _check_events(events, Song(key=Key("A", "minor")), 1, 8)


def test_an_empty_song_with_a_key_starts_from_scratch() -> None:
    suggestions = suggest_next_chords(Song(key=Key("G")), k=3)
    assert str(suggestions[0].chord) == "G"


def test_a_song_without_key_is_heard_in_the_key_of_its_notes() -> None:
    melody = [69, 71, 73, 74, 76, 78, 80, 81, 76, 73, 69]  # A major
    song = Song(
        tracks=(Track("Lead", notes=tuple(Note(p, i * 480, 480) for i, p in enumerate(melody))),)
    )
    suggestions = suggest_next_chords(song, k=3)
    assert str(suggestions[0].chord) == "A"


@pytest.mark.parametrize("song", [Song(), "drums"], ids=["empty", "drums-only"])
def test_nothing_pitched_and_no_key_is_a_clear_error(song: Song | str, drums_only: Song) -> None:
    target = drums_only if song == "drums" else song
    assert isinstance(target, Song)
    with pytest.raises(AssistError, match="no pitched notes or chords"):
        suggest_next_chords(target)
    with pytest.raises(AssistError, match="set the song's key"):
        suggest_progression(target)


def test_drums_only_with_a_key_is_fine(drums_only: Song) -> None:
    song = Song(key=Key("D"), tracks=drums_only.tracks)
    events = suggest_progression(song, bars=4, seed=3)
    _check_events(events, song, 1, 4)


def test_a_modal_song_keeps_its_tonic() -> None:
    song = Song(key=parse_key("D dorian"), chords=lane("Dm", "G", "Dm", "A7"))
    best = suggest_next_chords(song, k=1)[0].chord
    assert (best.root, best.quality) == ("D", "m")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k=0 must be in 1..50"),
        ({"temperature": 0.0}, "temperature=0.0 must be"),
        ({"temperature": math.nan}, "temperature=nan must be"),
        ({"style": "polka"}, "style='polka' must be one of bach, monteverdi, pop, rock, jazz"),
        ({"bar": 0}, "bar=0 must be >= 1"),
        ({"at_tick": -1}, "at_tick=-1 must be >= 0"),
        ({"at_tick": 0, "bar": 1}, "give one position"),
        ({"model": "gpt"}, "model='gpt' must be one of"),
    ],
)
def test_bad_requests_are_refused(
    c_major_song: Song, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(AssistError, match=message):
        suggest_next_chords(c_major_song, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("bars", "start_bar"), [(0, 1), (257, 1), (4, 0)])
def test_bad_progression_requests_are_refused(bars: int, start_bar: int) -> None:
    with pytest.raises(AssistError, match="must be"):
        suggest_progression(Key("C"), bars=bars, start_bar=start_bar)


def test_assist_errors_are_bandmate_errors() -> None:
    assert issubclass(AssistError, BandmateError)
