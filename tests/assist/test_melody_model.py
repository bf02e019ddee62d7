"""The committed melody model: it loads, beats its Markov baseline on held-out tunes, and its
tokens, data and sampling behave."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from bandmate.assist.errors import AssistError
from bandmate.assist.melody.data import (
    NO_CHORD,
    bar_length,
    beat_length,
    encode_piece,
    load_pieces,
    load_split,
    melody_manifest,
)
from bandmate.assist.melody.evaluate import melody_stats, tune_song
from bandmate.assist.melody.generate import MelodyModels, _sample, load_melody_models
from bandmate.assist.melody.tokens import VOCAB, label_span, reference_tonic
from bandmate.assist.melody.train import neural_nll, ngram_nll, to_arrays

SLICE = 40  # held-out tunes scored in the test (the model card scores all of them)


@pytest.fixture(scope="module")
def models() -> MelodyModels:
    return load_melody_models()


def _report() -> dict[str, object]:
    path = resources.files("bandmate.assist") / "weights" / "melody.json"
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_committed_scores_show_the_gru_beating_the_baseline() -> None:
    test = _report()["test"]
    assert isinstance(test, dict)
    assert test["gru_nll"] < test["ngram_nll"]


def test_gru_beats_markov_on_a_held_out_slice(models: MelodyModels) -> None:
    tunes = list(load_split("test"))[:SLICE]
    gru, count = neural_nll(models.model, [to_arrays(t) for t in tunes])
    markov, count_markov = ngram_nll(models.ngram, tunes)
    assert count == count_markov > 1000
    assert gru < markov
    assert 1.0 < gru < 3.5  # nats per note: far better than uniform (log 900 = 6.8)


def test_splits_are_disjoint_and_seeded() -> None:
    splits = melody_manifest()["splits"]
    ids = [set(splits[s]) for s in ("train", "validation", "test")]
    assert not (ids[0] & ids[1])
    assert not (ids[0] & ids[2])
    assert not (ids[1] & ids[2])
    assert "non-commercial" in melody_manifest()["licences"]["essen"]


def test_encoding_is_transposition_invariant() -> None:
    piece = next(iter(load_pieces().values()))
    encoded = encode_piece(piece)
    assert encoded is not None
    for step in (-5, 2, 7):
        shifted = dict(piece)
        shifted["events"] = [[b, p, d, m + step if m >= 0 else m] for b, p, d, m in piece["events"]]
        tonic = (encoded.tonic_pc + step) % 12
        names = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
        shifted["key"] = f"{names[tonic]} {piece['key'].split()[1]}"
        again = encode_piece(shifted)
        assert again is not None
        if reference_tonic(tonic) - reference_tonic(encoded.tonic_pc) == step:
            assert again.ids == encoded.ids
        assert again.chords == encoded.chords


def test_meter_arithmetic() -> None:
    assert bar_length("6/8") == 72
    assert beat_length("6/8") == 36
    assert bar_length("7/8") == 84
    assert beat_length("7/8") == 12
    assert bar_length("4/4") == 96
    assert beat_length("3/4") == 24


def test_label_span_reads_the_triad_a_bar_outlines() -> None:
    # G-B-D over a bar of C major: the dominant.
    assert label_span([(0, 24, 7), (24, 24, 11), (48, 48, 14)], "major", 24) == (7, 11, 2)
    assert label_span([], "major", 24) == ()


def test_vocabulary_round_trips() -> None:
    for token_id in VOCAB.note_ids:
        meaning = VOCAB.meaning(token_id)
        assert VOCAB.note_id(meaning.rel, meaning.duration) == token_id
    with pytest.raises(AssistError):
        VOCAB.meaning(0)


def test_top_p_keeps_only_the_nucleus() -> None:
    probs = np.array([0.7, 0.2, 0.05, 0.05])
    rng = np.random.default_rng(0)
    picks = {_sample(probs, rng, temperature=1.0, top_p=0.5) for _ in range(50)}
    assert picks == {0}
    picks = {_sample(probs, rng, temperature=1.0, top_p=0.85) for _ in range(200)}
    assert picks == {0, 1}


def test_checks_of_a_human_tune_are_sane() -> None:
    piece = load_pieces()[melody_manifest()["splits"]["test"][0]]
    song = tune_song(piece)
    assert song.chords
    assert song.tracks[0].notes
    stats = melody_stats(song.tracks[0].notes, song, 0, song.end_tick)
    assert stats["in_key"] > 0.8
    assert stats["notes_per_bar"] > 1
    assert all(c.chord is not None for c in song.chords)
    assert NO_CHORD == 1 << 12
