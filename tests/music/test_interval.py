"""Tests for intervals between spelled pitches."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.interval import (
    Interval,
    add_interval,
    interval_between,
    interval_from_parts,
    parse_interval,
    subtract_interval,
)
from bandmate.music.pitch import LETTERS, Pitch, parse_pitch


@st.composite
def intervals(draw: st.DrawFn, max_number: int = 15) -> Interval:
    number = draw(st.integers(1, max_number))
    perfect = (number - 1) % 7 in (0, 3, 4)
    qualities = ["d", "P", "A"] if perfect else ["d", "m", "M", "A"]
    return Interval(draw(st.sampled_from(qualities)), number)


pitch_classes = st.builds(Pitch, st.sampled_from(LETTERS), st.integers(-1, 1))
pitches = st.builds(Pitch, st.sampled_from(LETTERS), st.integers(-1, 1), st.integers(1, 6))


@pytest.mark.parametrize(
    ("name", "semitones"),
    [
        ("P1", 0),
        ("A1", 1),
        ("m2", 1),
        ("M2", 2),
        ("A2", 3),
        ("m3", 3),
        ("M3", 4),
        ("P4", 5),
        ("A4", 6),
        ("d5", 6),
        ("P5", 7),
        ("m6", 8),
        ("M6", 9),
        ("d7", 9),
        ("m7", 10),
        ("M7", 11),
        ("P8", 12),
        ("m9", 13),
        ("M9", 14),
        ("A9", 15),
        ("P11", 17),
        ("A11", 18),
        ("m13", 20),
        ("M13", 21),
        ("P15", 24),
        ("dd5", 5),
        ("AA4", 7),
    ],
)
def test_semitones(name: str, semitones: int) -> None:
    interval = parse_interval(name)
    assert interval.semitones == semitones
    assert str(interval) == name


@pytest.mark.parametrize(
    ("low", "interval", "high"),
    [
        ("C", "M3", "E"),
        ("E", "M3", "G#"),
        ("Db", "A4", "G"),
        ("C", "d5", "Gb"),
        ("B", "m2", "C"),
        ("F", "A4", "B"),
        ("Bb", "P5", "F"),
        ("G#", "M3", "B#"),
        ("Ab", "m3", "Cb"),
        ("C", "d7", "Bbb"),
        ("D", "M7", "C#"),
        ("F#", "m7", "E"),
        ("B3", "m2", "C4"),
        ("E4", "M9", "F#5"),
        ("C4", "P8", "C5"),
        ("A3", "M6", "F#4"),
    ],
)
def test_add_and_subtract_interval(low: str, interval: str, high: str) -> None:
    assert add_interval(parse_pitch(low), parse_interval(interval)) == parse_pitch(high)
    assert subtract_interval(parse_pitch(high), parse_interval(interval)) == parse_pitch(low)


@pytest.mark.parametrize(
    ("low", "high", "interval"),
    [
        ("C", "E", "M3"),
        ("E", "C", "m6"),
        ("C", "F#", "A4"),
        ("C", "Gb", "d5"),
        ("F#", "C", "d5"),
        ("B", "C", "m2"),
        ("C", "C", "P1"),
        ("C#", "Db", "d2"),
        ("C4", "E5", "M10"),
        ("B3", "C4", "m2"),
        ("C4", "C5", "P8"),
        ("G3", "F4", "m7"),
    ],
)
def test_interval_between(low: str, high: str, interval: str) -> None:
    assert str(interval_between(parse_pitch(low), parse_pitch(high))) == interval


@pytest.mark.parametrize(
    ("interval", "inverted"),
    [("M3", "m6"), ("P4", "P5"), ("A4", "d5"), ("m2", "M7"), ("P1", "P8"), ("AA1", "dd8")],
)
def test_invert(interval: str, inverted: str) -> None:
    assert str(parse_interval(interval).invert()) == inverted
    assert str(parse_interval(inverted).invert()) == interval


@pytest.mark.parametrize(
    ("interval", "simple"), [("M9", "M2"), ("P11", "P4"), ("P8", "P8"), ("m3", "m3")]
)
def test_simple(interval: str, simple: str) -> None:
    assert str(parse_interval(interval).simple) == simple


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("X3", "must be a quality"),
        ("", "must be a quality"),
        ("P3", "quality='P' for number=3"),
        ("M5", "quality='M' for number=5"),
        ("M0", "number=0 must be in 1..99"),
    ],
)
def test_parse_interval_rejects(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_interval(text)


def test_impossible_intervals_raise() -> None:
    with pytest.raises(MusicError, match="no interval spans 3 letters and 9 semitones"):
        interval_from_parts(2, 9)
    with pytest.raises(MusicError, match="must not be below"):
        interval_between(parse_pitch("C5"), parse_pitch("C4"))
    with pytest.raises(MusicError, match="only simple intervals"):
        parse_interval("M9").invert()
    with pytest.raises(MusicError, match="accidental"):
        add_interval(parse_pitch("B###"), parse_interval("AA4"))


@given(pitches, intervals())
def test_add_then_subtract_is_identity(pitch: Pitch, interval: Interval) -> None:
    try:
        higher = add_interval(pitch, interval)
    except MusicError:
        assume(False)
        raise
    assert subtract_interval(higher, interval) == pitch
    assert higher.midi - pitch.midi == interval.semitones
    assert interval_between(pitch, higher) == interval


@given(pitch_classes, intervals(max_number=7))
def test_simple_interval_between_pitch_classes(pitch: Pitch, interval: Interval) -> None:
    higher = add_interval(pitch, interval)
    assert (higher.pc - pitch.pc) % 12 == interval.semitones % 12
    assert interval_between(pitch, higher) == interval


@given(intervals(max_number=8))
def test_inversions_fill_an_octave(interval: Interval) -> None:
    assert interval.semitones + interval.invert().semitones == 12
    assert interval.invert().invert() == interval
