"""Tests for Krumhansl–Schmuckler key finding."""

from __future__ import annotations

import pytest

from bandmate.assist.keyfind import estimate_key, estimate_song_key, key_on, key_scores
from bandmate.music import Instrument, Key, Note, Song, Track
from bandmate.music.key import parse_key

ALL_KEYS = [key_on(pc, mode) for mode in ("major", "minor") for pc in range(12)]


def _cadence_weights(key: Key) -> list[float]:
    """A tonic-heavy scale (harmonic minor in minor): the scale, then the tonic triad 3 times."""
    weights = [0.0] * 12
    scale = list(key.pitch_classes)
    if key.is_minor:
        scale[6] = (key.tonic_pc + 11) % 12
    for pc in scale:
        weights[pc] += 1.0
    for step in (0, 2, 4):
        weights[scale[step]] += 3.0
    return weights


@pytest.mark.parametrize("key", ALL_KEYS, ids=str)
def test_estimate_key_finds_every_key_from_its_scale_and_tonic_triad(key: Key) -> None:
    assert estimate_key(_cadence_weights(key)) == key


def test_key_on_spells_with_the_fewest_accidentals() -> None:
    assert str(key_on(6, "minor")) == "F# minor"
    assert str(key_on(10, "major")) == "Bb major"
    assert str(key_on(8, "minor")) == "G# minor"


def test_scores_cover_24_keys_and_are_correlations() -> None:
    scores = key_scores([1.0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1])
    assert len(scores) == 24
    assert all(-1.0 <= s <= 1.0 for s in scores.values())


def test_empty_histogram_has_no_key() -> None:
    assert estimate_key([0.0] * 12) is None


def test_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="must have 12"):
        key_scores([1.0] * 11)


def test_song_key_ignores_drums() -> None:
    drums = Track("Kit", Instrument(drums=True), tuple(Note(42, i * 240, 60) for i in range(8)))
    assert estimate_song_key(Song(tracks=(drums,))) is None
    melody = [66, 68, 69, 71, 73, 74, 77, 78, 73, 69, 66, 61, 66]  # F# minor, harmonic seventh
    notes = tuple(Note(p, i * 480, 480) for i, p in enumerate(melody))
    song = Song(tracks=(drums, Track("Lead", notes=notes)))
    assert estimate_song_key(song) == parse_key("F# minor")
