"""Tests for spelled pitches, MIDI numbers and frequencies."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.pitch import (
    LETTERS,
    Pitch,
    hz_to_midi,
    midi_to_hz,
    midi_to_name,
    name_to_midi,
    name_to_pc,
    parse_pitch,
    parse_pitch_class,
    pc_to_name,
    pitch_from_fifths,
    spell_midi,
    spell_pc,
)

pitches = st.builds(
    Pitch,
    st.sampled_from(LETTERS),
    st.integers(-2, 2),
    st.none() | st.integers(0, 8),
)


@pytest.mark.parametrize(
    ("text", "letter", "accidental", "octave"),
    [
        ("C", "C", 0, None),
        ("F#", "F", 1, None),
        ("Bb", "B", -1, None),
        ("Ebb", "E", -2, None),
        ("C##", "C", 2, None),
        ("Cx", "C", 2, None),
        ("B#3", "B", 1, 3),
        ("Gb-1", "G", -1, -1),
        ("a4", "A", 0, 4),
        ("bb2", "B", -1, 2),
        ("F♯5", "F", 1, 5),
        ("E♭", "E", -1, None),
        (" D4 ", "D", 0, 4),
    ],
)
def test_parse_pitch_reads_names(
    text: str, letter: str, accidental: int, octave: int | None
) -> None:
    assert parse_pitch(text) == Pitch(letter, accidental, octave)


@pytest.mark.parametrize(
    ("name", "midi"),
    [
        ("C4", 60),
        ("A4", 69),
        ("C-1", 0),
        ("G9", 127),
        ("B#3", 60),
        ("Cb4", 59),
        ("Gb-1", 6),
        ("E#4", 65),
        ("Fb4", 64),
        ("A0", 21),
        ("C8", 108),
        ("Bbb3", 57),
    ],
)
def test_name_to_midi_uses_scientific_octaves(name: str, midi: int) -> None:
    assert name_to_midi(name) == midi


@pytest.mark.parametrize(
    ("midi", "sharps", "flats"),
    [
        (60, "C4", "C4"),
        (61, "C#4", "Db4"),
        (63, "D#4", "Eb4"),
        (66, "F#4", "Gb4"),
        (70, "A#4", "Bb4"),
        (71, "B4", "B4"),
        (0, "C-1", "C-1"),
        (127, "G9", "G9"),
        (21, "A0", "A0"),
    ],
)
def test_midi_to_name_spells_with_sharps_or_flats(midi: int, sharps: str, flats: str) -> None:
    assert midi_to_name(midi) == sharps
    assert midi_to_name(midi, accidentals="flats") == flats


@pytest.mark.parametrize(
    ("pc", "sharps", "flats"), [(0, "C", "C"), (1, "C#", "Db"), (10, "A#", "Bb")]
)
def test_pc_to_name(pc: int, sharps: str, flats: str) -> None:
    assert pc_to_name(pc) == sharps
    assert pc_to_name(pc, accidentals="flats") == flats


@pytest.mark.parametrize(
    ("name", "pc"), [("C", 0), ("B#", 0), ("Dbb", 0), ("F#", 6), ("Gb", 6), ("Cb", 11), ("E#5", 5)]
)
def test_name_to_pc(name: str, pc: int) -> None:
    assert name_to_pc(name) == pc


@pytest.mark.parametrize(
    ("fifths", "name"),
    [
        (0, "C"),
        (1, "G"),
        (-1, "F"),
        (-2, "Bb"),
        (6, "F#"),
        (7, "C#"),
        (-7, "Cb"),
        (12, "B#"),
        (-10, "Ebb"),
        (-13, "Gbb"),
    ],
)
def test_line_of_fifths(fifths: int, name: str) -> None:
    assert pitch_from_fifths(fifths).name == name
    assert parse_pitch_class(name).fifths == fifths


@pytest.mark.parametrize(
    ("midi", "hz"),
    [(69, 440.0), (57, 220.0), (81, 880.0), (60, 261.6255653), (21, 27.5), (108, 4186.009045)],
)
def test_midi_to_hz_at_a440(midi: int, hz: float) -> None:
    assert midi_to_hz(midi) == pytest.approx(hz, rel=1e-9)
    assert hz_to_midi(hz) == pytest.approx(midi, abs=1e-9)


def test_tuning_moves_every_frequency() -> None:
    assert midi_to_hz(69, a4=432.0) == pytest.approx(432.0)
    assert midi_to_hz(60, a4=432.0) == pytest.approx(261.6255653 * 432 / 440)
    assert hz_to_midi(432.0, a4=432.0) == pytest.approx(69.0)
    assert hz_to_midi(440.0 * 2 ** (0.5 / 12)) == pytest.approx(69.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("H", "letter must be one of A..G"),
        ("", "letter must be one of A..G"),
        ("C#b", "must be a letter A..G"),
        ("C" + "#" * 5, "at most 4"),
        ("C11", "octave=11 must be in -2..10"),
        ("C" + "9" * 10000, "must be a letter A..G"),
        ("4C", "letter must be one of A..G"),
    ],
)
def test_parse_pitch_rejects_bad_names(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_pitch(text)


def test_bad_values_raise_music_errors() -> None:
    with pytest.raises(MusicError, match="letter='H'"):
        Pitch("H")
    with pytest.raises(MusicError, match="accidental=5"):
        Pitch("C", 5)
    with pytest.raises(MusicError, match="has no octave"):
        _ = Pitch("C").midi
    with pytest.raises(MusicError, match=r"must be in 0\.\.127"):
        _ = Pitch("G", 1, 9).midi
    with pytest.raises(MusicError, match="midi=128"):
        midi_to_name(128)
    with pytest.raises(MusicError, match="hz=0"):
        hz_to_midi(0.0)
    with pytest.raises(MusicError, match="a4=0"):
        midi_to_hz(60, a4=0.0)
    with pytest.raises(ParseError, match="octave is required"):
        name_to_midi("C#")
    with pytest.raises(ParseError, match="must not have an octave"):
        parse_pitch_class("C4")


@given(pitches)
def test_pitch_text_round_trip(pitch: Pitch) -> None:
    assert parse_pitch(str(pitch)) == pitch


@given(st.integers(0, 127), st.sampled_from(["sharps", "flats"]))
def test_midi_name_round_trip(midi: int, accidentals: str) -> None:
    name = midi_to_name(midi, accidentals="flats" if accidentals == "flats" else "sharps")
    assert name_to_midi(name) == midi
    assert len(parse_pitch(name).name) <= 2


@given(st.integers(0, 127), st.floats(-12.0, 14.0))
def test_spell_midi_keeps_the_pitch(midi: int, around: float) -> None:
    pitch = spell_midi(midi, around=around)
    assert pitch.midi == midi
    assert spell_pc(midi, around=around) == pitch.with_octave(None)


@given(st.floats(1.0, 20000.0), st.floats(400.0, 480.0))
def test_hz_midi_round_trip(hz: float, a4: float) -> None:
    assert midi_to_hz(hz_to_midi(hz, a4=a4), a4=a4) == pytest.approx(hz, rel=1e-9)
    assert math.isfinite(hz_to_midi(hz))
