"""Tests for transposing songs chromatically, diatonically and into other keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandmate.errors import MusicError
from bandmate.music.chord import Chord, parse_chord
from bandmate.music.key import MODES, Key
from bandmate.music.pitch import LETTERS, Pitch
from bandmate.music.roman import roman_to_chord
from bandmate.music.song import ChordEvent, Instrument, Note, Song, Track
from bandmate.music.transpose import (
    transpose_chord_diatonic,
    transpose_key,
    transpose_song,
    transpose_song_diatonic,
)

C_MAJOR = Key("C")
DRUMS = Track("Drums", Instrument(0, drums=True), (Note(36, 0, 120), Note(42, 240, 120)))


def make_song(pitches: list[int], symbols: list[str], *, key: Key | None = C_MAJOR) -> Song:
    """A song with one piano track, a drum track and a chord lane, one item per beat."""
    notes = tuple(Note(pitch, 480 * i, 480) for i, pitch in enumerate(pitches))
    chords = tuple(ChordEvent(1920 * i, 1920, parse_chord(s)) for i, s in enumerate(symbols))
    return Song(key=key, tracks=(Track("Piano", notes=notes), DRUMS), chords=chords)


def pitches_of(song: Song) -> list[int]:
    return [note.pitch for note in song.tracks[0].notes]


def symbols_of(song: Song) -> list[str]:
    return [str(event.chord) for event in song.chords]


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


plain_keys = st.sampled_from([k for k in _valid_keys() if abs(k.signature) <= 5])
major_minor_keys = st.sampled_from([k for k in _valid_keys() if k.mode in ("major", "minor")])
NUMERALS = ["I", "ii", "iii", "IV", "V7", "vi", "vii°", "V/V", "V7/vi", "bVII", "iv", "I6", "V65"]


@pytest.mark.parametrize(
    ("semitones", "key", "pitches", "symbols"),
    [
        (2, Key("D"), [62, 66, 69, 74], ["D", "A7", "G#m7b5/F#", "C"]),
        (-3, Key("A"), [57, 61, 64, 69], ["A", "E7", "D#m7b5/C#", "G"]),
        (1, Key("Db"), [61, 65, 68, 73], ["Db", "Ab7", "Gm7b5/F", "Cb"]),
        (12, Key("C"), [72, 76, 79, 84], ["C", "G7", "F#m7b5/E", "Bb"]),
        (6, Key("F#"), [66, 70, 73, 78], ["F#", "C#7", "B#m7b5/A#", "E"]),
    ],
)
def test_transpose_song(semitones: int, key: Key, pitches: list[int], symbols: list[str]) -> None:
    song = make_song([60, 64, 67, 72], ["C", "G7", "F#m7b5/E", "Bb"])
    moved = transpose_song(song, semitones)
    assert moved.key == key
    assert pitches_of(moved) == pitches
    assert symbols_of(moved) == symbols
    assert moved.tracks[1] == DRUMS
    assert moved.title == song.title
    assert [e.tick for e in moved.chords] == [e.tick for e in song.chords]


def test_transpose_song_without_key_uses_chart_spelling() -> None:
    song = make_song([60], ["C", "D/F#", "Bbm7"], key=None)
    moved = transpose_song(song, 1)
    assert moved.key is None
    assert symbols_of(moved) == ["Db", "Eb/G", "Bm7"]


def test_transpose_song_refuses_to_leave_the_midi_range() -> None:
    song = make_song([60, 120], [])
    with pytest.raises(MusicError, match="track 'Piano': note pitch=120 at tick=480 would move"):
        transpose_song(song, 8)
    with pytest.raises(MusicError, match=r"move to -1; pitches must stay in 0\.\.127"):
        transpose_song(make_song([0], []), -1)
    assert pitches_of(transpose_song(song, 7)) == [67, 127]


@pytest.mark.parametrize(
    ("steps", "pitches", "symbols"),
    [
        (1, [62, 64, 65, 67, 69, 71, 72, 74], ["Dm", "Am7", "Em/G", "E7"]),
        (2, [64, 65, 67, 69, 71, 72, 74, 76], ["Em", "Bm7b5", "F/A", "F7"]),
        (-1, [59, 60, 62, 64, 65, 67, 69, 71], ["Bdim", "Fmaj7", "C/E", "C7"]),
        (7, [72, 74, 76, 77, 79, 81, 83, 84], ["C", "G7", "Dm/F", "D7"]),
    ],
)
def test_transpose_song_diatonic(steps: int, pitches: list[int], symbols: list[str]) -> None:
    song = make_song([60, 62, 64, 65, 67, 69, 71, 72], ["C", "G7", "Dm/F", "D7"])
    moved = transpose_song_diatonic(song, steps)
    assert pitches_of(moved) == pitches
    assert symbols_of(moved) == symbols
    assert moved.key == song.key
    assert moved.tracks[1] == DRUMS


def test_diatonic_transposition_keeps_chromatic_offsets() -> None:
    song = make_song([61, 66, 70], [])  # C#, F#, Bb in C major
    assert pitches_of(transpose_song_diatonic(song, 1)) == [63, 68, 72]


def test_diatonic_transposition_needs_a_key() -> None:
    song = make_song([60, 62], ["C"], key=None)
    with pytest.raises(MusicError, match="diatonic transposition needs a key"):
        transpose_song_diatonic(song, 1)
    moved = transpose_song_diatonic(song, 2, key=Key("A", "minor"))
    assert pitches_of(moved) == [64, 65]
    assert symbols_of(moved) == ["Em"]
    assert moved.key is None


@pytest.mark.parametrize(
    ("symbol", "key", "steps", "expected"),
    [
        ("C", C_MAJOR, 1, "Dm"),
        ("G7", C_MAJOR, 1, "Am7"),
        ("G7", C_MAJOR, 3, "Cmaj7"),
        ("Bdim", C_MAJOR, 1, "C"),
        ("D7", C_MAJOR, 1, "E7"),
        ("G/B", C_MAJOR, 1, "Am/C"),
        ("Cadd9", C_MAJOR, 1, "Dmadd9"),
        ("G7(b9)", C_MAJOR, 1, "Am7(b9)"),
        ("Cm", Key("C", "minor"), 4, "Gm"),
        ("Cm", Key("C", "minor"), 2, "Eb"),
        ("Csus4", C_MAJOR, 3, "F5(#11)"),
        ("C6", C_MAJOR, 2, "Em(b13)"),
        ("C13", C_MAJOR, 1, "D13"),  # D F A Cb E B has no symbol: the quality stays
        ("Am7", C_MAJOR, 14, "Am7"),
    ],
)
def test_transpose_chord_diatonic(symbol: str, key: Key, steps: int, expected: str) -> None:
    assert str(transpose_chord_diatonic(parse_chord(symbol), steps, key=key)) == expected


@pytest.mark.parametrize(
    ("key", "direction", "pitches", "symbols"),
    [
        (Key("Eb"), "nearest", [63, 67, 70, 75], ["Eb", "Bb7", "Am7b5/G"]),
        (Key("A"), "nearest", [57, 61, 64, 69], ["A", "E7", "D#m7b5/C#"]),
        (Key("A"), "up", [69, 73, 76, 81], ["A", "E7", "D#m7b5/C#"]),
        (Key("Eb"), "down", [51, 55, 58, 63], ["Eb", "Bb7", "Am7b5/G"]),
        (Key("C"), "up", [72, 76, 79, 84], ["C", "G7", "F#m7b5/E"]),
        (Key("C", "minor"), "nearest", [60, 63, 67, 72], ["Cm", "Gm7", "F#m7b5/Eb"]),
        (Key("A", "minor"), "nearest", [57, 60, 64, 69], ["Am", "Em7", "D#m7b5/C"]),
    ],
)
def test_transpose_key(key: Key, direction: str, pitches: list[int], symbols: list[str]) -> None:
    song = make_song([60, 64, 67, 72], ["C", "G7", "F#m7b5/E"])
    way = next(d for d in ("nearest", "up", "down") if d == direction)
    moved = transpose_key(song, key, direction=way)
    assert moved.key == key
    assert pitches_of(moved) == pitches
    assert symbols_of(moved) == symbols
    assert moved.tracks[1] == DRUMS


def test_transpose_key_needs_a_song_key() -> None:
    with pytest.raises(MusicError, match=r"transpose_key needs song\.key"):
        transpose_key(make_song([60], [], key=None), Key("D"))


@st.composite
def in_key_songs(draw: st.DrawFn, keys: st.SearchStrategy[Key], *, diatonic: bool = True) -> Song:
    """A song whose notes lie in its key's scale and whose chords are roman numerals.

    With ``diatonic`` only the chords whose tones all lie in the scale are kept.
    """
    key = draw(keys)
    scale = key.scale
    degrees = draw(st.lists(st.tuples(st.integers(1, 7), st.integers(3, 5)), max_size=12))
    pitches = [scale.degree_to_midi(d, octave=o) for d, o in degrees]
    numerals = draw(st.lists(st.sampled_from(NUMERALS), max_size=6))
    chords = [roman_to_chord(n, key) for n in numerals]
    if diatonic:
        chords = [c for c in chords if set(c.tones) <= set(key.notes)]
    return make_song(pitches, [str(c) for c in chords], key=key)


@given(in_key_songs(plain_keys, diatonic=False), st.integers(-12, 12))
def test_chromatic_there_and_back(song: Song, semitones: int) -> None:
    moved = transpose_song(song, semitones)
    assert [p - semitones for p in pitches_of(moved)] == pitches_of(song)
    assert transpose_song(moved, -semitones) == song


@given(
    st.lists(st.integers(12, 115), max_size=10),
    st.lists(st.sampled_from(["C", "Db", "D/F#", "Ebm7", "F#7(b9)", "Abmaj7/C", "Bbsus4"])),
    st.integers(-12, 12),
)
def test_chromatic_there_and_back_without_key(
    pitches: list[int], symbols: list[str], semitones: int
) -> None:
    song = make_song(pitches, symbols, key=None)
    assert transpose_song(transpose_song(song, semitones), -semitones) == song


@given(in_key_songs(major_minor_keys), st.integers(-7, 7))
def test_diatonic_there_and_back(song: Song, steps: int) -> None:
    moved = transpose_song_diatonic(song, steps)
    assert song.key is not None
    assert all(p in song.key.scale for p in pitches_of(moved))
    assert transpose_song_diatonic(moved, -steps) == song


@given(in_key_songs(plain_keys), plain_keys)
def test_key_change_there_and_back(song: Song, new_key: Key) -> None:
    assert song.key is not None
    moved = transpose_key(song, new_key, direction="up")
    assert all(p in new_key.scale for p in pitches_of(moved))
    assert transpose_key(moved, song.key, direction="down") == song


@given(in_key_songs(plain_keys, diatonic=False), st.integers(0, 11))
def test_key_change_in_one_mode_there_and_back(song: Song, semitones: int) -> None:
    assert song.key is not None
    new_key = song.key.transpose(semitones)
    moved = transpose_key(song, new_key, direction="down")
    assert [e.chord.quality for e in moved.chords] == [e.chord.quality for e in song.chords]
    assert transpose_key(moved, song.key, direction="up") == song


@given(major_minor_keys, st.sampled_from(NUMERALS), st.integers(1, 6))
def test_diatonic_chords_stay_in_the_key(key: Key, numeral: str, steps: int) -> None:
    chord = roman_to_chord(numeral, key)
    if not set(chord.tones) <= set(key.notes):
        return  # chromatic chords keep their offsets instead
    moved = transpose_chord_diatonic(chord, steps, key=key)
    assert set(moved.tones) <= set(key.notes)
    assert transpose_chord_diatonic(moved, -steps, key=key) == chord


def test_chord_fields_survive() -> None:
    chord = Chord("C", "7", ("13",), ("b9",), "E")
    moved = transpose_song(make_song([], [str(chord)]), 2)
    assert moved.chords[0].chord == Chord("D", "7", ("13",), ("b9",), "F#")
