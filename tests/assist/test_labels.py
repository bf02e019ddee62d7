"""Tests for chord identification and numeral tokens."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.assist.labels import chord_token, identify_chord, spell_chord, token_chord
from bandmate.music import Chord, Key, parse_chord
from bandmate.music.chord import ChordQuality


def _weights(*pcs: int, extra: dict[int, float] | None = None) -> list[float]:
    weights = [0.0] * 12
    for pc in pcs:
        weights[pc] += 1.0
    for pc, w in (extra or {}).items():
        weights[pc] += w
    return weights


@pytest.mark.parametrize(
    ("pcs", "bass", "key", "symbol", "numeral"),
    [
        ((0, 4, 7, 0), 0, Key("C"), "C", "I"),
        ((7, 11, 2, 5), 11, Key("C"), "G7/B", "V65"),
        ((7, 11, 2, 5), 11, Key("C", "minor"), "G7/B", "V65"),
        ((6, 9, 1), 6, Key("F#", "minor"), "F#m", "i"),
        ((1, 5, 8, 11), 1, Key("F#", "minor"), "C#7", "V7"),
        ((2, 6, 9, 0), 6, Key("G"), "D7/F#", "V65"),
        ((11, 2, 5, 8), 11, Key("C", "minor"), "Bdim7", "vii°7"),
    ],
)
def test_identify_chord(
    pcs: tuple[int, ...], bass: int, key: Key, symbol: str, numeral: str
) -> None:
    fit = identify_chord(_weights(*pcs), bass, key)
    assert fit is not None
    assert str(fit.chord) == symbol
    assert chord_token(fit.chord, key) == numeral


def test_a_passing_tone_does_not_make_a_seventh() -> None:
    weights = _weights(0, 4, 7, 0, extra={11: 0.25})  # B as a passing eighth in one voice
    fit = identify_chord(weights, 0, Key("C"))
    assert fit is not None
    assert str(fit.chord) == "C"
    assert fit.coverage < 1.0


def test_one_pitch_class_is_no_chord() -> None:
    assert identify_chord(_weights(0, 0), 0, Key("C")) is None


def test_a_bass_outside_the_chord_is_spelled_in_the_key() -> None:
    assert str(spell_chord(5, "", 4, Key("C"))) == "F/E"


qualities: list[ChordQuality] = ["", "m", "dim", "7", "m7", "maj7", "m7b5", "dim7"]


@settings(deadline=None)
@given(
    st.integers(0, 11),
    st.sampled_from(qualities),
    st.integers(0, 3),
    st.sampled_from([Key("C"), Key("F#", "minor"), Key("Eb"), Key("B", "minor")]),
)
def test_tokens_read_back_as_the_same_chord(
    root: int, quality: ChordQuality, inv: int, key: Key
) -> None:
    plain = spell_chord(root, quality, None, key)
    tones = [(plain.root_pc + i.semitones) % 12 for i in plain.intervals]
    chord = spell_chord(root, quality, tones[inv % len(tones)], key)
    token = chord_token(chord, key)
    if token is not None:
        back = token_chord(token, key)
        assert back is not None
        assert set(back.pitch_classes) == set(chord.pitch_classes)
        assert back.bass_pc == chord.bass_pc


def test_token_chord_rejects_nonsense() -> None:
    assert token_chord("Q7", Key("C")) is None
    assert token_chord("V7", Key("C")) == parse_chord("G7")
    assert isinstance(token_chord("ii65", Key("C")), Chord)
