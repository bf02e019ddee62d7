"""Fixtures for the bandmate's tests: the committed models, loaded once, and songs."""

from __future__ import annotations

import pytest
import torch

from bandmate.assist.chords.predictor import ChordPredictor, load_predictor
from bandmate.music import ChordEvent, Instrument, MeterChange, Note, Song, Track, parse_chord
from bandmate.music.key import parse_key


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # the machines are shared; results do not depend on it


@pytest.fixture(scope="session")
def predictor() -> ChordPredictor:
    return load_predictor()


def lane(*symbols: str, bar: int = 1920) -> tuple[ChordEvent, ...]:
    """One chord per bar of 4/4 at 480 ppq."""
    return tuple(ChordEvent(i * bar, bar, parse_chord(s)) for i, s in enumerate(symbols))


@pytest.fixture
def c_major_song() -> Song:
    return Song(key=parse_key("C"), chords=lane("C", "Am", "F", "G7"))


@pytest.fixture
def drums_only() -> Song:
    hits = tuple(Note(36 + (i % 2) * 2, i * 480, 120) for i in range(16))
    return Song(tracks=(Track("Drums", Instrument(drums=True), hits),))


@pytest.fixture
def seven_eight() -> Song:
    return Song(key=parse_key("F# minor"), meters=(MeterChange(0, 7, 8),))
