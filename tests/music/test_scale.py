"""Tests for scales and modes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.pitch import LETTERS, Pitch
from bandmate.music.scale import SCALE_NAMES, Scale, ScaleName, parse_scale

HEPTATONIC: tuple[ScaleName, ...] = tuple(n for n in SCALE_NAMES if len(Scale("C", n)) == 7)
tonics = st.builds(Pitch, st.sampled_from(LETTERS), st.integers(-1, 1)).map(lambda p: p.name)
scales = st.builds(Scale, tonics, st.sampled_from(SCALE_NAMES))


@pytest.mark.parametrize(
    ("tonic", "name", "notes"),
    [
        ("C", "major", "C D E F G A B"),
        ("D", "major", "D E F# G A B C#"),
        ("F", "major", "F G A Bb C D E"),
        ("Db", "major", "Db Eb F Gb Ab Bb C"),
        ("C#", "major", "C# D# E# F# G# A# B#"),
        ("A", "minor", "A B C D E F G"),
        ("C", "minor", "C D Eb F G Ab Bb"),
        ("A", "harmonic_minor", "A B C D E F G#"),
        ("G#", "harmonic_minor", "G# A# B C# D# E F##"),
        ("A", "melodic_minor", "A B C D E F# G#"),
        ("C", "ionian", "C D E F G A B"),
        ("D", "dorian", "D E F G A B C"),
        ("E", "phrygian", "E F G A B C D"),
        ("F", "lydian", "F G A B C D E"),
        ("G", "mixolydian", "G A B C D E F"),
        ("A", "aeolian", "A B C D E F G"),
        ("B", "locrian", "B C D E F G A"),
        ("Bb", "dorian", "Bb C Db Eb F G Ab"),
        ("C", "major_pentatonic", "C D E G A"),
        ("A", "minor_pentatonic", "A C D E G"),
        ("C", "blues", "C Eb F Gb G Bb"),
        ("E", "blues", "E G A Bb B D"),
        ("C", "chromatic", "C C# D Eb E F F# G Ab A Bb B"),
    ],
)
def test_scale_notes_are_spelled(tonic: str, name: ScaleName, notes: str) -> None:
    assert Scale(tonic, name).notes == tuple(notes.split())


def test_pitch_classes_membership_and_degrees() -> None:
    scale = Scale("G")
    assert scale.pitch_classes == (7, 9, 11, 0, 2, 4, 6)
    assert scale.tonic_pc == 7
    assert 66 in scale
    assert 65 not in scale
    assert "F#" not in scale  # only MIDI numbers and pitch classes are members
    assert scale.contains(6)
    assert scale.degree_of(66) == 7
    assert scale.degree_of(67) == 1
    assert scale.degree_of(65) is None
    assert scale.note(5) == "D"
    assert scale.note(8) == "G"
    assert scale.note(10) == "B"


@pytest.mark.parametrize(
    ("tonic", "name", "degree", "octave", "midi"),
    [
        ("C", "major", 1, 4, 60),
        ("C", "major", 9, 4, 74),
        ("A", "minor", 1, 3, 57),
        ("A", "minor", 3, 3, 60),
        ("B", "major", 1, 3, 59),
        ("C", "major_pentatonic", 6, 4, 72),
    ],
)
def test_degree_to_midi(tonic: str, name: ScaleName, degree: int, octave: int, midi: int) -> None:
    assert Scale(tonic, name).degree_to_midi(degree, octave=octave) == midi


@pytest.mark.parametrize(
    ("pitch", "located"), [(60, (1, 4, 0)), (61, (1, 4, 1)), (59, (7, 3, 0)), (70, (6, 4, 1))]
)
def test_locate_in_c_major(pitch: int, located: tuple[int, int, int]) -> None:
    assert Scale("C").locate(pitch) == located


@pytest.mark.parametrize(
    ("name", "pitch", "steps", "moved"),
    [
        ("major", 60, 1, 62),
        ("major", 60, 2, 64),
        ("major", 64, 1, 65),
        ("major", 60, 7, 72),
        ("major", 60, -1, 59),
        ("major", 61, 1, 63),  # C# keeps its semitone above C: D#
        ("major", 71, 1, 72),
        ("major_pentatonic", 64, 1, 67),
        ("major_pentatonic", 60, 5, 72),
        ("minor", 60, 2, 63),
    ],
)
def test_shift_midi(name: ScaleName, pitch: int, steps: int, moved: int) -> None:
    assert Scale("C", name).shift_midi(pitch, steps) == moved


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("D dorian", Scale("D", "dorian")),
        ("A harmonic minor", Scale("A", "harmonic_minor")),
        ("a natural minor", Scale("A", "minor")),
        ("Bb", Scale("Bb")),
        ("F# minor-pentatonic", Scale("F#", "minor_pentatonic")),
    ],
)
def test_parse_scale(text: str, scale: Scale) -> None:
    assert parse_scale(text) == scale


@pytest.mark.parametrize(
    ("text", "message"),
    [("C bebop", "name must be one of"), ("H major", "tonic pitch name 'H'"), ("", "tonic")],
)
def test_parse_scale_rejects(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_scale(text)


def test_bad_scales_raise() -> None:
    with pytest.raises(MusicError, match="scale tonic='H'"):
        Scale("H")
    with pytest.raises(MusicError, match="scale name='bebop'"):
        Scale("C", "bebop")  # type: ignore[arg-type]
    with pytest.raises(MusicError, match="degree=0"):
        Scale("C").note(0)


def test_tonic_is_normalized() -> None:
    assert Scale("f♯", "dorian").tonic == "F#"


@given(tonics, st.sampled_from(HEPTATONIC))
def test_heptatonic_scales_use_each_letter_once(tonic: str, name: ScaleName) -> None:
    letters = [note[0] for note in Scale(tonic, name).notes]
    assert sorted(letters) == sorted(LETTERS)


@given(tonics)
def test_modes_share_the_major_scale(tonic: str) -> None:
    major = Scale(tonic)
    modes: tuple[ScaleName, ...] = ("ionian", "dorian", "phrygian", "lydian", "mixolydian")
    for degree, mode in enumerate(modes, start=1):
        assert set(Scale(major.note(degree), mode).notes) == set(major.notes)
    assert set(Scale(major.note(6), "aeolian").notes) == set(major.notes)
    assert set(Scale(major.note(7), "locrian").notes) == set(major.notes)


@given(scales, st.integers(0, 127))
def test_locate_places_every_pitch(scale: Scale, pitch: int) -> None:
    degree, octave, offset = scale.locate(pitch)
    assert scale.degree_to_midi(degree, octave=octave) + offset == pitch
    assert 0 <= offset < 12
    assert (offset == 0) == (pitch in scale)
    assert scale.shift_midi(pitch, 0) == pitch


@given(scales, st.integers(24, 100), st.integers(-10, 10))
def test_shifting_scale_notes_there_and_back(scale: Scale, pitch: int, steps: int) -> None:
    degree, octave, _ = scale.locate(pitch)
    on_scale = scale.degree_to_midi(degree, octave=octave)
    moved = scale.shift_midi(on_scale, steps)
    assert moved in scale
    assert scale.shift_midi(moved, -steps) == on_scale
    assert (moved > on_scale) == (steps > 0) or steps == 0
