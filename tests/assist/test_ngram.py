"""Tests for the interpolated Kneser–Ney baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.assist.chords.ngram import KneserNey
from bandmate.assist.errors import AssistError

V = 8
CORPUS = [[3, 4, 5, 6, 7, 1], [3, 4, 5, 7, 6, 1], [3, 4, 6, 7, 1], [3, 4, 5, 6, 5, 6, 1]]


@pytest.fixture(scope="module")
def models() -> list[KneserNey]:
    return [KneserNey(V, order=n).fit(CORPUS) for n in (1, 2, 3, 4)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, V - 1), min_size=0, max_size=6), st.integers(0, 3))
def test_every_distribution_sums_to_one(history: list[int], which: int) -> None:
    model = KneserNey(V, order=which + 1).fit(CORPUS)
    probs = model.distribution(history)
    assert probs.shape == (V,)
    assert np.all(probs > 0)
    assert math.isclose(float(probs.sum()), 1.0, rel_tol=1e-9)


def test_seen_continuations_are_likely(models: list[KneserNey]) -> None:
    trigram = models[2]
    probs = trigram.distribution([3, 4, 5])
    assert int(np.argmax(probs)) == 6  # 4 5 -> 6 twice, -> 7 once
    assert probs[6] > probs[7] > probs[2]


def test_longer_contexts_fit_the_training_data_better(models: list[KneserNey]) -> None:
    nll = [-sum(sum(m.log_likelihood(s)) for s in CORPUS) for m in models]
    assert nll == sorted(nll, reverse=True)


def test_unseen_history_backs_off(models: list[KneserNey]) -> None:
    unseen = models[3].distribution([7, 7, 7])
    lower = models[0].distribution([])
    assert int(np.argmax(unseen)) == int(np.argmax(lower))


def test_conditioning_tokens_are_never_targets(models: list[KneserNey]) -> None:
    assert models[1].log_likelihood([3, 4, 5, 1]) == pytest.approx(
        [
            math.log(models[1].distribution([3, 4])[5]),
            math.log(models[1].distribution([3, 4, 5])[1]),
        ]
    )


def test_order_and_fit_are_checked() -> None:
    with pytest.raises(AssistError, match="order=0 must be >= 1"):
        KneserNey(V, order=0)
    with pytest.raises(AssistError, match="must be fitted"):
        KneserNey(V).distribution([3])
