"""Descriptors from real listening analyses of synthetic signals."""

from __future__ import annotations

import numpy as np
import pytest

from bandmate.listen import analyze_samples
from bandmate.music.key import Key
from bandmate.recommend import CatalogueItem, Descriptors, descriptors_from_audio, rank_fits
from tests.listen.signals import RATE, clicks, progression


def test_click_track_gives_its_tempo_and_ranks_a_loop_at_double_time_first() -> None:
    d = descriptors_from_audio(analyze_samples(clicks(120.0, 20.0), RATE), styles=("Techno",))
    assert d.bpm == pytest.approx(120.0, rel=0.04)
    assert d.styles == ("techno",)
    loops = [
        CatalogueItem("slow", "loop", Descriptors(bpm=97.0)),
        CatalogueItem("double", "loop", Descriptors(bpm=2 * (d.bpm or 0.0))),
    ]
    ranked = rank_fits(d, loops)
    assert ranked[0].item.id == "double"
    assert ranked[0].tempo.relation == "double-time"
    assert ranked[0].tempo.stretch == pytest.approx(1.0)


def test_progression_key_reaches_the_descriptors_and_the_relative_minor_fits() -> None:
    # C major: C Am F G C (roots 0, 9, 5, 7, 0).
    chords = [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj"), (0, "maj")] * 2
    d = descriptors_from_audio(analyze_samples(progression(chords, bpm=100.0), RATE))
    assert d.key == Key("C")
    loops = [
        CatalogueItem("a-minor", "loop", Descriptors(key=Key("A", "minor"), bpm=d.bpm)),
        CatalogueItem("f-sharp", "loop", Descriptors(key=Key("F#"), bpm=d.bpm)),
    ]
    assert [f.item.id for f in rank_fits(d, loops)] == ["a-minor", "f-sharp"]


def test_silence_has_no_key_and_no_tempo() -> None:
    d = descriptors_from_audio(analyze_samples(np.zeros(RATE * 5, np.float32), RATE))
    assert d.key is None
    assert d.bpm is None
