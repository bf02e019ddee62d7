"""Tests for keys: parsing, signatures, relatives and spelling."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.key import MODES, Key, KeyMode, parse_key
from bandmate.music.pitch import LETTERS, Pitch

MAJOR_KEYS = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"]
MINOR_KEYS = ["Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#"]


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


ALL_KEYS = _valid_keys()
keys = st.sampled_from(ALL_KEYS)
plain_keys = st.sampled_from([k for k in ALL_KEYS if abs(k.signature) <= 5])


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("F# minor", Key("F#", "minor")),
        ("F#m", Key("F#", "minor")),
        ("Bb", Key("Bb")),
        ("Bbm", Key("Bb", "minor")),
        ("D dorian", Key("D", "dorian")),
        ("Eb maj", Key("Eb")),
        ("c minor", Key("C", "minor")),
        ("A aeolian", Key("A", "minor")),
        ("C ionian", Key("C")),
        ("G Mixolydian", Key("G", "mixolydian")),
        ("  E   min ", Key("E", "minor")),
        ("CM", Key("C")),
        ("F♯ major", Key("F#")),
    ],
)
def test_parse_key(text: str, key: Key) -> None:
    assert parse_key(text) == key


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("X major", "key 'X major': tonic must be a note name A..G"),
        ("", "tonic must be a note name"),
        ("C blues", "mode 'blues' must be one of"),
        ("G# major", "signature=8 must be in -7..7"),
        ("Fb", "signature=-8"),
        ("C" * 10000, "mode"),
    ],
)
def test_parse_key_rejects(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_key(text)


def test_bad_keys_raise() -> None:
    with pytest.raises(MusicError, match="key tonic='H'"):
        Key("H")
    with pytest.raises(MusicError, match="key mode='blues'"):
        Key("C", "blues")  # type: ignore[arg-type]
    with pytest.raises(MusicError, match=r"sharps=8 must be in -7\.\.7"):
        Key.from_signature(8)


def test_str_and_normalization() -> None:
    assert str(Key("f♯", "minor")) == "F# minor"
    assert Key("bb").tonic == "Bb"
    assert str(Key("D", "dorian")) == "D dorian"


@pytest.mark.parametrize(("index", "tonic"), list(enumerate(MAJOR_KEYS)))
def test_major_signatures(index: int, tonic: str) -> None:
    key = Key(tonic)
    assert key.signature == index - 7
    assert Key.from_signature(index - 7) == key


@pytest.mark.parametrize(("index", "tonic"), list(enumerate(MINOR_KEYS)))
def test_minor_signatures(index: int, tonic: str) -> None:
    key = Key(tonic, "minor")
    assert key.signature == index - 7
    assert Key.from_signature(index - 7, minor=True) == key
    assert key.is_minor


@pytest.mark.parametrize(
    ("key", "signature"),
    [
        (Key("D", "dorian"), 0),
        (Key("E", "phrygian"), 0),
        (Key("F", "lydian"), 0),
        (Key("G", "mixolydian"), 0),
        (Key("B", "locrian"), 0),
        (Key("A", "dorian"), 1),
        (Key("Eb", "lydian"), -2),
    ],
)
def test_mode_signatures(key: Key, signature: int) -> None:
    assert key.signature == signature


@pytest.mark.parametrize(
    ("key", "relative", "parallel"),
    [
        (Key("C"), Key("A", "minor"), Key("C", "minor")),
        (Key("C", "minor"), Key("Eb"), Key("C")),
        (Key("F#"), Key("D#", "minor"), Key("F#", "minor")),
        (Key("Db"), Key("Bb", "minor"), Key("C#", "minor")),
        (Key("D", "dorian"), Key("C"), Key("D", "minor")),
    ],
)
def test_relative_and_parallel(key: Key, relative: Key, parallel: Key) -> None:
    assert key.relative() == relative
    assert key.parallel() == parallel


def test_circle_of_fifths() -> None:
    assert Key("C").neighbours() == (Key("F"), Key("G"))
    assert Key("A", "minor").neighbours() == (Key("D", "minor"), Key("E", "minor"))
    assert Key("C#").shift_fifths(1) == Key("Ab")
    assert Key("Cb").shift_fifths(-1) == Key("E")
    assert Key("C").shift_fifths(12) == Key("C")
    assert Key("D", "dorian").parallel("lydian") == Key("D", "lydian")


@pytest.mark.parametrize(
    ("key", "semitones", "result"),
    [
        (Key("C"), 2, Key("D")),
        (Key("C"), 1, Key("Db")),
        (Key("C"), 6, Key("F#")),
        (Key("F"), 1, Key("Gb")),
        (Key("E"), 2, Key("F#")),
        (Key("A", "minor"), 1, Key("Bb", "minor")),
        (Key("A", "minor"), 3, Key("C", "minor")),
        (Key("C#"), 12, Key("C#")),
        (Key("C"), -1, Key("B")),
    ],
)
def test_transpose_key(key: Key, semitones: int, result: Key) -> None:
    assert key.transpose(semitones) == result


@pytest.mark.parametrize(
    ("key", "midi", "spelled"),
    [
        (Key("D"), 66, "F#4"),
        (Key("Db"), 66, "Gb4"),
        (Key("C", "minor"), 63, "Eb4"),
        (Key("C", "minor"), 68, "Ab4"),
        (Key("C", "minor"), 70, "Bb4"),
        (Key("C", "minor"), 71, "B4"),
        (Key("C", "minor"), 69, "A4"),
        (Key("C", "minor"), 61, "Db4"),
        (Key("C", "minor"), 66, "F#4"),
        (Key("A", "minor"), 68, "G#4"),
        (Key("C"), 70, "Bb4"),
        (Key("C"), 66, "F#4"),
        (Key("C"), 61, "C#4"),
        (Key("C"), 63, "Eb4"),
        (Key("C"), 68, "Ab4"),
        (Key("F#"), 65, "E#4"),
        (Key("Gb"), 71, "Cb5"),
        (Key("G#", "minor"), 67, "F##4"),
        (Key("C#"), 60, "B#3"),
        (Key("Gb"), 62, "D4"),
        (Key("D", "dorian"), 61, "C#4"),
    ],
)
def test_spell(key: Key, midi: int, spelled: str) -> None:
    assert str(key.spell(midi)) == spelled
    assert key.spell_pc(midi % 12) == spelled.rstrip("0123456789")


@given(keys)
def test_diatonic_spelling_uses_each_letter_once(key: Key) -> None:
    spelled = [key.spell_pc(pc) for pc in key.pitch_classes]
    assert tuple(spelled) == key.notes
    assert sorted(name[0] for name in spelled) == sorted(LETTERS)
    assert spelled[0] == key.tonic
    assert key.scale.tonic == key.tonic


@given(keys, st.integers(0, 127))
def test_spell_keeps_the_pitch(key: Key, midi: int) -> None:
    pitch = key.spell(midi)
    assert pitch.midi == midi
    assert abs(pitch.accidental) <= 2


@given(keys)
def test_signature_round_trip(key: Key) -> None:
    if key.mode in ("major", "minor"):
        assert Key.from_signature(key.signature, key.is_minor) == key
    assert key.relative().signature == key.signature
    assert key.relative().relative() == key or key.mode not in ("major", "minor")
    subdominant, dominant = key.neighbours()
    assert (dominant.tonic_pc - key.tonic_pc) % 12 == 7
    assert (subdominant.tonic_pc - key.tonic_pc) % 12 == 5


@given(plain_keys, st.integers(-24, 24))
def test_transpose_there_and_back(key: Key, semitones: int) -> None:
    moved = key.transpose(semitones)
    assert moved.mode == key.mode
    assert (moved.tonic_pc - key.tonic_pc) % 12 == semitones % 12
    assert abs(moved.signature) <= 6
    assert moved.transpose(-semitones) == key


def test_modes_listed() -> None:
    expected: tuple[KeyMode, ...] = (
        "major",
        "minor",
        "dorian",
        "phrygian",
        "lydian",
        "mixolydian",
        "locrian",
    )
    assert expected == MODES
