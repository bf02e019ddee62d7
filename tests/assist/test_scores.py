"""The committed chord weights, scored on held-out pieces against the n-gram baseline."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from bandmate.assist.chords.evaluate import score_neural, score_ngram
from bandmate.assist.chords.predictor import ChordPredictor
from bandmate.assist.dataset import encode_split


def _report() -> dict[str, object]:
    text = (resources.files("bandmate.assist") / "weights" / "chords.json").read_text("utf-8")
    report: dict[str, object] = json.loads(text)
    return report


def test_transformer_beats_the_baseline_on_a_held_out_slice(predictor: ChordPredictor) -> None:
    test = encode_split("test", predictor.vocab)[:60]
    neural = score_neural(predictor.model, test)
    ngram = score_ngram(predictor.ngram, test)
    assert neural.tokens == ngram.tokens > 500
    assert neural.nll < ngram.nll
    assert neural.top3 >= 0.4


def test_committed_scores_reproduce(predictor: ChordPredictor) -> None:
    test = encode_split("test", predictor.vocab)
    scores = _report()["test"]
    assert isinstance(scores, dict)
    neural = score_neural(predictor.model, test)
    ngram = score_ngram(predictor.ngram, test)
    assert neural.nll == pytest.approx(scores["transformer"]["nll"], abs=1e-4)
    assert ngram.nll == pytest.approx(scores["ngram"]["nll"], abs=1e-6)
    assert neural.top1 == pytest.approx(scores["transformer"]["top1"], abs=1e-3)
    assert neural.nll < ngram.nll


def test_scoring_is_deterministic(predictor: ChordPredictor) -> None:
    test = encode_split("validation", predictor.vocab)[:20]
    assert score_neural(predictor.model, test) == score_neural(predictor.model, test)
