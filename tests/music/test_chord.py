"""Tests for chord symbols, chord tones, transposition and voicings."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.chord import (
    ADDED_TONES,
    ALTERATIONS,
    QUALITIES,
    Chord,
    VoicingStyle,
    parse_chord,
    transpose_chord,
    voice_chord,
    voice_lead,
)
from bandmate.music.key import Key
from bandmate.music.pitch import LETTERS, Pitch

names = st.builds(Pitch, st.sampled_from(LETTERS), st.integers(-2, 2)).map(lambda p: p.name)
chords = st.builds(
    Chord,
    names,
    st.sampled_from(QUALITIES),
    st.lists(st.sampled_from(ADDED_TONES), max_size=3).map(tuple),
    st.lists(st.sampled_from(ALTERATIONS), max_size=3).map(tuple),
    st.none() | names,
)
STYLES: tuple[VoicingStyle, ...] = ("close", "open", "drop2", "spread")


@pytest.mark.parametrize(
    ("symbol", "canonical", "tones"),
    [
        ("C", "C", "C E G"),
        ("Cm", "Cm", "C Eb G"),
        ("Am7", "Am7", "A C E G"),
        ("F#m7b5/E", "F#m7b5/E", "F# A C E"),
        ("G7(b9)", "G7(b9)", "G B D F Ab"),
        ("G7b9", "G7(b9)", "G B D F Ab"),
        ("Bbmaj9#11", "Bbmaj9(#11)", "Bb D F A C E"),
        ("Csus4", "Csus4", "C F G"),
        ("Csus", "Csus4", "C F G"),
        ("Csus2", "Csus2", "C D G"),
        ("C7sus4", "C7sus4", "C F G Bb"),
        ("D/F#", "D/F#", "D F# A"),
        ("Cdim", "Cdim", "C Eb Gb"),
        ("Cdim7", "Cdim7", "C Eb Gb Bbb"),
        ("C°7", "Cdim7", "C Eb Gb Bbb"),
        ("Co7", "Cdim7", "C Eb Gb Bbb"),
        ("Caug", "Caug", "C E G#"),
        ("C+", "Caug", "C E G#"),
        ("C+7", "C7(#5)", "C E G# Bb"),
        ("C6", "C6", "C E G A"),
        ("Cm6", "Cm6", "C Eb G A"),
        ("C69", "C6/9", "C E G A D"),
        ("C6/9", "C6/9", "C E G A D"),
        ("Cadd9", "Cadd9", "C E G D"),
        ("Cm(add9)", "Cmadd9", "C Eb G D"),
        ("C9", "C9", "C E G Bb D"),
        ("C11", "C11", "C E G Bb D F"),
        ("C13", "C13", "C E G Bb D A"),
        ("CmMaj7", "CmMaj7", "C Eb G B"),
        ("Cm(maj7)", "CmMaj7", "C Eb G B"),
        ("Cø7", "Cm7b5", "C Eb Gb Bb"),
        ("Cø", "Cm7b5", "C Eb Gb Bb"),
        ("C5", "C5", "C G"),
        ("Emaj7", "Emaj7", "E G# B D#"),
        ("EM7", "Emaj7", "E G# B D#"),
        ("EΔ7", "Emaj7", "E G# B D#"),
        ("Ebm9", "Ebm9", "Eb Gb Bb Db F"),
        ("E-7", "Em7", "E G B D"),
        ("E7#9", "E7(#9)", "E G# B D F##"),
        ("Bb13b9", "Bb13(b9)", "Bb D F Ab Cb G"),
        ("G7(b9,#11)", "G7(b9,#11)", "G B D F Ab C#"),
        ("G7(#11 b9)", "G7(b9,#11)", "G B D F Ab C#"),
        ("C7(9,13)", "C7add9add13", "C E G Bb D A"),
        ("C(b5)", "C(b5)", "C E Gb"),
        ("Cb5", "Cb5", "Cb Gb"),
        ("Cbbm", "Cbbm", "Cbb Ebbb Gbb"),
        ("C6/9/E", "C6/9/E", "C E G A D"),
        ("F♯m", "F#m", "F# A C#"),
        ("  Dm7  ", "Dm7", "D F A C"),
        ("C/C", "C", "C E G"),
    ],
)
def test_parse_and_print(symbol: str, canonical: str, tones: str) -> None:
    chord = parse_chord(symbol)
    assert str(chord) == canonical
    assert chord.tones == tuple(tones.split())
    assert parse_chord(canonical) == chord


@pytest.mark.parametrize(
    ("symbol", "root_pc", "bass_pc", "pitch_classes"),
    [
        ("C", 0, 0, (0, 4, 7)),
        ("D/F#", 2, 6, (6, 2, 9)),
        ("F#m7b5/E", 6, 4, (4, 6, 9, 0)),
        ("C/Bb", 0, 10, (10, 0, 4, 7)),
        ("C7(#5,b13)", 0, 0, (0, 4, 8, 10)),
        ("Cbb", 10, 10, (10, 2, 5)),
    ],
)
def test_pitch_classes(
    symbol: str, root_pc: int, bass_pc: int, pitch_classes: tuple[int, ...]
) -> None:
    chord = parse_chord(symbol)
    assert chord.root_pc == root_pc
    assert chord.bass_pc == bass_pc
    assert chord.pitch_classes == pitch_classes


def test_fields_are_normalized() -> None:
    chord = Chord("f♯", "7", ("13", "9"), ("#11", "b9", "b9"), "e")
    assert chord == Chord("F#", "7", ("9", "13"), ("b9", "#11"), "E")
    assert Chord("C", bass="C").bass is None


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        ("H7", "chord symbol 'H7': root must be one of A..G"),
        ("", "chord symbol '': must not be empty"),
        ("   ", "must not be empty"),
        ("C" * 10000, "(10000 chars): must be at most 64 characters"),
        ("cm7", "root must be one of A..G"),
        ("Cxyz", "'xyz' must be a quality"),
        ("C/H", "bass after '/' must be a note A..G"),
        ("C/", "bass after '/' must be a note A..G"),
        ("C7(b7)", "(b7) must be an alteration or added tone"),
        ("C7b11", "alteration 'b11' must be one of"),
        ("C7(b9", "'(b9' must be a quality"),
        ("Cadd8", "'add8' must be a quality"),
    ],
)
def test_parse_chord_rejects(symbol: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)) as caught:
        parse_chord(symbol)
    assert len(str(caught.value)) < 200


def test_bad_fields_raise() -> None:
    with pytest.raises(MusicError, match="chord root='Am7'"):
        Chord("Am7")
    with pytest.raises(MusicError, match="chord quality='maj'"):
        Chord("C", "maj")  # type: ignore[arg-type]
    with pytest.raises(MusicError, match="added value='6'"):
        Chord("C", added=("6",))  # type: ignore[arg-type]
    with pytest.raises(MusicError, match="alterations value='b7'"):
        Chord("C", alterations=("b7",))  # type: ignore[arg-type]
    with pytest.raises(MusicError, match="at most two sharps or flats"):
        Chord("C###")
    with pytest.raises(MusicError, match="chord bass='X'"):
        Chord("C", bass="X")


@pytest.mark.parametrize(
    ("symbol", "semitones", "key", "expected"),
    [
        ("C", 2, None, "D"),
        ("C", 1, None, "Db"),
        ("E", 2, None, "F#"),
        ("D/F#", 1, None, "Eb/G"),
        ("Bb7", 1, None, "B7"),
        ("F#m7b5/E", -1, None, "Fm7b5/Eb"),
        ("Am7", 12, None, "Am7"),
        ("D/F#", 2, Key("E"), "E/G#"),
        ("C", 1, Key("F#"), "C#"),
        ("Ab", 3, Key("B", "minor"), "B"),
        ("Bb", 1, Key("C", "minor"), "B"),
        ("G7(b9)", 5, Key("C"), "C7(b9)"),
    ],
)
def test_transpose_chord(symbol: str, semitones: int, key: Key | None, expected: str) -> None:
    assert str(transpose_chord(parse_chord(symbol), semitones, key=key)) == expected


@pytest.mark.parametrize(
    ("symbol", "kwargs", "pitches"),
    [
        ("C", {}, (48, 52, 55)),
        ("Am7", {}, (57, 60, 64, 67)),
        ("D/F#", {}, (54, 62, 69)),
        ("C/E", {}, (52, 60, 67)),
        ("C", {"inversion": 1}, (52, 55, 60)),
        ("C", {"inversion": 2}, (55, 60, 64)),
        ("G7", {"inversion": 3}, (53, 55, 59, 62)),
        ("C", {"style": "open", "low": 36, "high": 84}, (36, 43, 52)),
        ("Cmaj7", {"style": "open", "low": 36, "high": 84}, (36, 43, 52, 59)),
        ("Cmaj7", {"style": "drop2", "low": 48, "high": 84}, (55, 60, 64, 71)),
        ("Cmaj7", {"style": "spread", "low": 36, "high": 84}, (36, 52, 55, 59)),
        ("Bbmaj9#11", {}, (58, 60, 62, 64, 65, 69)),
        ("C", {"low": 60, "high": 72}, (60, 64, 67)),
    ],
)
def test_voice_chord(symbol: str, kwargs: dict[str, int | str], pitches: tuple[int, ...]) -> None:
    chord = parse_chord(symbol)
    low = int(kwargs.get("low", 48))
    high = int(kwargs.get("high", 72))
    inversion = int(kwargs.get("inversion", 0))
    style = next(s for s in STYLES if s == kwargs.get("style", "close"))
    result = voice_chord(chord, low=low, high=high, inversion=inversion, style=style)
    assert result == pitches


def test_voice_chord_rejects() -> None:
    with pytest.raises(MusicError, match=r"does not fit in low=60\.\.high=64"):
        voice_chord(parse_chord("C"), low=60, high=64)
    with pytest.raises(MusicError, match=r"inversion=3 must be in 0\.\.2"):
        voice_chord(parse_chord("C"), inversion=3)
    with pytest.raises(MusicError, match="low=72, high=48"):
        voice_chord(parse_chord("C"), low=72, high=48)
    with pytest.raises(MusicError, match="no voicing"):
        voice_lead([60, 64], parse_chord("C13"), low=60, high=64)


@pytest.mark.parametrize(
    ("previous", "symbol", "expected"),
    [
        ((48, 52, 55), "F", (48, 53, 57)),
        ((48, 52, 55), "Am/C", (48, 52, 57)),
        ((48, 52, 55), "G", (47, 50, 55)),
        ((60, 64, 67, 71), "Dm7", (62, 65, 69, 72)),
        ((60, 64, 67, 71), "Fmaj7", (60, 64, 65, 69)),
        ((), "C", (48, 52, 55)),
    ],
)
def test_voice_lead(previous: tuple[int, ...], symbol: str, expected: tuple[int, ...]) -> None:
    assert voice_lead(previous, parse_chord(symbol), low=40, high=80) == expected


@given(chords)
def test_print_parse_round_trip(chord: Chord) -> None:
    assert parse_chord(str(chord)) == chord


@given(st.text(max_size=20))
def test_parse_chord_fuzz(text: str) -> None:
    try:
        chord = parse_chord(text)
    except ParseError:
        return
    assert parse_chord(str(chord)) == chord


@given(chords)
def test_tones_match_pitch_classes(chord: Chord) -> None:
    tones = {Pitch(t[0], t.count("#") - t.count("b")).pc for t in chord.tones}
    assert set(chord.pitch_classes) == tones | {chord.bass_pc}
    assert chord.pitch_classes[0] == chord.bass_pc
    assert chord.tones[0] == chord.root


@given(chords, st.integers(-12, 12), st.none() | st.sampled_from([Key("C"), Key("Eb"), Key("E")]))
def test_transpose_moves_every_pitch_class(chord: Chord, semitones: int, key: Key | None) -> None:
    moved = transpose_chord(chord, semitones, key=key)
    assert moved.pitch_classes == tuple((pc + semitones) % 12 for pc in chord.pitch_classes)
    assert (moved.quality, moved.added, moved.alterations) == (
        chord.quality,
        chord.added,
        chord.alterations,
    )


@given(chords, st.sampled_from(STYLES), st.data())
def test_voicings_sound_the_chord(chord: Chord, style: VoicingStyle, data: st.DataObject) -> None:
    inversion = data.draw(st.integers(0, 2))
    try:
        pitches = voice_chord(chord, low=24, high=96, inversion=inversion, style=style)
    except MusicError:
        return  # an inversion beyond the chord's tones
    assert list(pitches) == sorted(pitches)
    assert pitches[0] >= 24
    assert pitches[-1] <= 96
    assert {p % 12 for p in pitches} == set(chord.pitch_classes)
    assert pitches[0] % 12 == chord.bass_pc or chord.bass is None


@given(chords, st.lists(st.integers(40, 80), min_size=1, max_size=5))
def test_voice_lead_is_no_worse_than_the_plain_voicing(chord: Chord, previous: list[int]) -> None:
    led = voice_lead(previous, chord, low=36, high=84)
    plain = voice_chord(chord, low=36, high=84)
    assert {p % 12 for p in led} == set(chord.pitch_classes)

    def motion(pitches: tuple[int, ...]) -> int:
        old = sorted(previous)
        if len(old) == len(pitches):
            return sum(abs(a - b) for a, b in zip(old, pitches, strict=True))
        there = sum(min(abs(p - q) for q in pitches) for p in old)
        return there + sum(min(abs(p - q) for q in old) for p in pitches)

    assert motion(led) <= motion(plain)
