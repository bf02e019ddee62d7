"""The lead-sheet test: the committed scores are what the committed models give today."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from bandmate.assist.harmony.harmonize import harmonize_melody
from bandmate.assist.leadsheets import (
    evaluate_chords,
    harmonizer_agreement,
    leadsheet_song,
    load_leadsheets,
)


def _committed() -> dict[str, object]:
    text = (resources.files("bandmate.assist") / "weights" / "leadsheets.json").read_text()
    data: dict[str, object] = json.loads(text)
    return data


def test_the_lead_sheets_are_real_tunes_with_chords() -> None:
    tunes = load_leadsheets()
    assert len(tunes) == 4
    for tune in tunes:
        song, written = leadsheet_song(tune)
        assert len(written) >= 15
        assert len(song.tracks[0].notes) >= 40
        assert all(e.end <= song.tracks[0].end + 1 for e in written)


def test_the_harmonizer_beats_the_tonic_floor_on_the_lead_sheets() -> None:
    committed = _committed()["harmonizer"]
    assert isinstance(committed, dict)
    beats = hits = 0.0
    for tune in load_leadsheets():
        song, written = leadsheet_song(tune)
        found = harmonizer_agreement(song, written, harmonize_melody(song, model="gru"))
        beats += found["beats"]
        hits += found["triad"] * found["beats"]
    assert hits / beats == pytest.approx(committed["gru_bar"]["triad"])
    assert committed["gru_bar"]["triad"] > committed["tonic"]["triad"]
    assert committed["gru_bar"]["triad"] > committed["hmm_bar"]["triad"]


def test_the_chord_model_beats_its_baseline_on_the_lead_sheets() -> None:
    scores = evaluate_chords()
    committed = _committed()["chords"]
    assert isinstance(committed, dict)
    assert scores["transformer"]["nll"] == pytest.approx(committed["transformer"]["nll"], abs=1e-4)
    assert scores["transformer"]["nll"] < scores["ngram"]["nll"]
    assert scores["transformer"]["tokens"] == committed["transformer"]["tokens"] > 90
