"""Tests for roman numeral analysis in both directions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.chord import ADDED_TONES, ALTERATIONS, QUALITIES, Chord, parse_chord
from bandmate.music.key import MODES, Key
from bandmate.music.pitch import LETTERS, Pitch
from bandmate.music.roman import chord_to_roman, roman_to_chord

C_MAJOR = Key("C")
C_MINOR = Key("C", "minor")


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


keys = st.sampled_from(_valid_keys())
major_minor_keys = st.sampled_from([k for k in _valid_keys() if k.mode in ("major", "minor")])
names = st.builds(Pitch, st.sampled_from(LETTERS), st.integers(-2, 2)).map(lambda p: p.name)
chords = st.builds(
    Chord,
    names,
    st.sampled_from(QUALITIES),
    st.lists(st.sampled_from(ADDED_TONES), max_size=2).map(tuple),
    st.lists(st.sampled_from(ALTERATIONS), max_size=2).map(tuple),
    st.none() | names,
)

# (numeral, chord in C major); every numeral is the canonical one for its chord.
MAJOR_GRID = [
    ("I", "C"),
    ("ii", "Dm"),
    ("iii", "Em"),
    ("IV", "F"),
    ("V", "G"),
    ("vi", "Am"),
    ("vii°", "Bdim"),
    ("Imaj7", "Cmaj7"),
    ("ii7", "Dm7"),
    ("iii7", "Em7"),
    ("IVmaj7", "Fmaj7"),
    ("V7", "G7"),
    ("vi7", "Am7"),
    ("viiø7", "Bm7b5"),
    ("vii°7", "Bdim7"),
    ("I6", "C/E"),
    ("I64", "C/G"),
    ("V65", "G7/B"),
    ("V43", "G7/D"),
    ("V42", "G7/F"),
    ("ii65", "Dm7/F"),
    ("Imaj65", "Cmaj7/E"),
    ("vii°6", "Bdim/D"),
    ("V/V", "D"),
    ("V7/V", "D7"),
    ("V7/ii", "A7"),
    ("V7/vi", "E7"),
    ("V7/IV", "C7"),
    ("V7/iii", "B7"),
    ("V65/V", "D7/F#"),
    ("vii°7/V", "F#dim7"),
    ("vii°7/ii", "C#dim7"),
    ("viiø7/V", "F#m7b5"),
    ("vii°/vi", "G#dim"),
    ("bVI", "Ab"),
    ("bVII", "Bb"),
    ("bIII", "Eb"),
    ("iv", "Fm"),
    ("iv6", "Fm/Ab"),
    ("bII", "Db"),
    ("bII6", "Db/F"),
    ("bVImaj7", "Abmaj7"),
    ("i", "Cm"),
    ("V9", "G9"),
    ("V13", "G13"),
    ("V7(b9)", "G7(b9)"),
    ("Isus4", "Csus4"),
    ("V7sus4", "G7sus4"),
    ("Iadd9", "Cadd9"),
    ("Iadd6", "C6"),
    ("I69", "C6/9"),
    ("ii9", "Dm9"),
    ("Imaj9", "Cmaj9"),
    ("I/D", "C/D"),
    ("III+", "Eaug"),
    ("#IV", "F#"),
]

MINOR_GRID = [
    ("i", "Cm"),
    ("ii°", "Ddim"),
    ("III", "Eb"),
    ("iv", "Fm"),
    ("v", "Gm"),
    ("V", "G"),
    ("VI", "Ab"),
    ("VII", "Bb"),
    ("vii°", "Bdim"),
    ("i7", "Cm7"),
    ("iimaj7", "DmMaj7"),
    ("iiø7", "Dm7b5"),
    ("IIImaj7", "Ebmaj7"),
    ("V7", "G7"),
    ("vii°7", "Bdim7"),
    ("imaj7", "CmMaj7"),
    ("i6", "Cm/Eb"),
    ("V65", "G7/B"),
    ("vii°42", "Bdim7/Ab"),
    ("#VII", "B"),
    ("bvii", "Bbm"),
    ("vi°", "Adim"),
    ("bII", "Db"),
    ("bII6", "Db/F"),
    ("IV", "F"),
    ("I", "C"),
    ("V/V", "D"),
    ("V7/iv", "C7"),
    ("V7/VI", "Eb7"),
    ("vii°7/V", "F#dim7"),
    ("#III", "E"),
]


@pytest.mark.parametrize(("numeral", "symbol"), MAJOR_GRID)
def test_major_key_numerals(numeral: str, symbol: str) -> None:
    chord = parse_chord(symbol)
    assert roman_to_chord(numeral, C_MAJOR) == chord
    assert chord_to_roman(chord, C_MAJOR) == numeral


@pytest.mark.parametrize(("numeral", "symbol"), MINOR_GRID)
def test_minor_key_numerals(numeral: str, symbol: str) -> None:
    chord = parse_chord(symbol)
    assert roman_to_chord(numeral, C_MINOR) == chord
    assert chord_to_roman(chord, C_MINOR) == numeral


@pytest.mark.parametrize(
    ("numeral", "key", "symbol"),
    [
        ("bVII", C_MINOR, "Bb"),
        ("#vii°", C_MINOR, "Bdim"),
        ("N6", C_MAJOR, "Db/F"),
        ("N", C_MINOR, "Db"),
        ("V2", C_MAJOR, "G7/F"),
        ("viio7", C_MAJOR, "Bdim7"),
        ("viiø", C_MAJOR, "Bm7b5"),
        ("IM7", C_MAJOR, "Cmaj7"),
        ("V/V/V", C_MAJOR, "A"),
        ("V7/bVI", C_MAJOR, "Eb7"),
        ("isus4", C_MAJOR, "Csus4"),
        ("V/V", Key("G"), "A"),
        ("bVI", Key("Eb"), "Cb"),
        ("V7", Key("F#", "minor"), "C#7"),
        ("vii°7", Key("F#", "minor"), "E#dim7"),
        ("vii°7", Key("G#", "minor"), "F##dim7"),
        ("III", Key("A", "minor"), "C"),
        ("IV", Key("D", "dorian"), "G"),
        ("bVII", Key("D", "mixolydian"), "C"),
        ("VII", Key("D", "mixolydian"), "C#"),
        ("bIII", Key("D", "dorian"), "F"),
        ("v", Key("D", "dorian"), "Am"),
        ("bII", Key("E", "phrygian"), "F"),
        ("#iv°", Key("F", "lydian"), "Bdim"),
        (" V7 ", C_MAJOR, "G7"),
    ],
)
def test_other_spellings_and_keys(numeral: str, key: Key, symbol: str) -> None:
    assert roman_to_chord(numeral, key) == parse_chord(symbol)


@pytest.mark.parametrize(
    ("numeral", "message"),
    [
        ("VIII", "roman numeral 'VIII': numeral must be one of I..VII"),
        ("", "must not be empty"),
        ("IIII", "numeral must be one of I..VII"),
        ("Vi", "numeral must be one of I..VII"),
        ("X", "numeral must be one of I..VII"),
        ("V7x", "'7x' after 'V' must be a marker"),
        ("I°", "names no chord on an upper-case numeral"),
        ("viiø6", "names no chord on a lower-case numeral"),
        ("V/vii°", "target 'vii°' must be a plain major or minor numeral"),
        ("V6/B", "use a figure or a bass, not both"),
        ("V7(b7)", "(b7) must be an alteration"),
        ("I" * 1000, "must be at most 64 characters"),
    ],
)
def test_roman_to_chord_rejects(numeral: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)) as caught:
        roman_to_chord(numeral, C_MAJOR)
    assert len(str(caught.value)) < 200


@given(major_minor_keys, st.integers(1, 7), st.sampled_from(["", "7", "6", "64", "65", "43"]))
def test_diatonic_numerals_round_trip(key: Key, degree: int, figure: str) -> None:
    chord = _diatonic_chord(key, degree, seventh=figure not in ("", "6", "64"))
    numeral = chord_to_roman(chord, key)
    assert roman_to_chord(numeral, key) == chord
    assert "/" not in numeral
    assert not numeral.startswith(("b", "#"))


def _diatonic_chord(key: Key, degree: int, *, seventh: bool) -> Chord:
    """The chord stacked in thirds from ``degree`` of the key's scale."""
    notes = key.notes
    tones = [notes[(degree - 1 + i) % 7] for i in (0, 2, 4, 6)]
    root = tones[0]
    for quality in ("7", "maj7", "m7", "m7b5") if seventh else ("", "m", "dim"):
        candidate = Chord(root, quality)
        if list(candidate.tones) == tones[: len(candidate.tones)]:
            return candidate
    raise AssertionError(f"no diatonic chord on {root}")


@given(major_minor_keys, st.integers(2, 7), st.sampled_from(["V", "V7", "vii°", "vii°7", "V65"]))
def test_secondary_chords_round_trip(key: Key, degree: int, function: str) -> None:
    target = chord_to_roman(_diatonic_chord(key, degree, seventh=False), key)
    if "°" in target:
        return  # a diminished triad is never tonicized
    chord = roman_to_chord(f"{function}/{target}", key)
    assert roman_to_chord(chord_to_roman(chord, key), key) == chord


@given(major_minor_keys, st.sampled_from(["bIII", "bVI", "bVII", "iv", "bII6", "N6", "ii°"]))
def test_borrowed_chords_round_trip(key: Key, numeral: str) -> None:
    chord = roman_to_chord(numeral, key)
    assert roman_to_chord(chord_to_roman(chord, key), key) == chord


@given(chords, keys)
def test_every_chord_round_trips_in_every_key(chord: Chord, key: Key) -> None:
    assert roman_to_chord(chord_to_roman(chord, key), key) == chord


@given(st.text(max_size=12), major_minor_keys)
def test_roman_to_chord_fuzz(text: str, key: Key) -> None:
    try:
        chord = roman_to_chord(text, key)
    except ParseError:
        return
    assert roman_to_chord(chord_to_roman(chord, key), key) == chord
