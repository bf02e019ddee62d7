"""Symbolic analysis: key, chords, density, range and mood from a song's notes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bandmate.listen import ListenError
from bandmate.listen.symbolic import analyze_song
from bandmate.music import Song
from bandmate.music.demo import demo_song
from bandmate.music.song import Instrument, Note, TempoChange, Track


def test_demo_song_key_chords_and_range() -> None:
    song = demo_song()
    result = analyze_song(song)
    assert result.key == "C major"
    assert result.key_runner_up != result.key
    assert [c.symbol for c in result.chords[:4]] == [str(e.chord) for e in song.chords[:4]]
    assert all(c.stated for c in result.chords)
    assert result.notes == sum(len(t.notes) for t in song.tracks if not t.instrument.drums)
    assert result.lowest is not None
    assert result.highest is not None
    assert json.loads(result.to_json())["key"] == "C major"


def test_chords_are_estimated_when_the_lane_is_empty() -> None:
    song = demo_song()
    result = analyze_song(dataclasses.replace(song, chords=()))
    stated = [str(e.chord) for e in song.chords[:4]]
    assert [c.symbol for c in result.chords[:4]] == stated
    assert not any(c.stated for c in result.chords)


def test_minor_triads_make_a_minor_key_and_a_sadder_mood() -> None:
    ppq = 480
    minor = [(57, 60, 64), (50, 53, 57), (52, 56, 59), (57, 60, 64)]  # Am Dm E Am
    major = [(48, 52, 55), (53, 57, 60), (55, 59, 62), (48, 52, 55)]  # C F G C

    def song(chords: list[tuple[int, int, int]]) -> Song:
        notes = [Note(p, i * 4 * ppq, 4 * ppq, 80) for i, c in enumerate(chords * 2) for p in c]
        return Song(
            tempos=(TempoChange(0, 80.0),), tracks=(Track("Pad", Instrument(0), tuple(notes)),)
        )

    sad, happy = analyze_song(song(minor)), analyze_song(song(major))
    assert sad.key == "A minor"
    assert happy.key == "C major"
    assert sad.mood.valence < happy.mood.valence


def test_an_empty_song_is_an_error() -> None:
    with pytest.raises(ListenError, match="no notes and no chords"):
        analyze_song(Song(title="Empty"))
