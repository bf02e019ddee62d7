"""Tests for the interpolated Kneser–Ney baseline."""

from __future__ import annotations

import math
from pathlib import Path

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


def _reference(model: KneserNey, corpus: list[list[int]], history: list[int]) -> np.ndarray:
    """The same interpolation from plain dictionaries of counts (the textbook way)."""
    from collections import Counter

    n = model.order
    counts: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(n)]
    for seq in corpus:
        padded = [0] * (n - 1) + seq
        for i in range(n - 1 + 2, len(padded)):
            counts[n - 1][tuple(padded[i - n + 1 : i + 1])] += 1
    for k in range(n - 1, 0, -1):
        for gram in counts[k]:
            counts[k - 1][gram[1:]] += 1
    context = tuple([0] * (n - 1) + history)[len(history) :]
    probs = np.full(V, 1.0 / V)
    for k in range(n):
        hist = context[len(context) - k :] if k else ()
        nexts = {g[-1]: c for g, c in counts[k].items() if g[:-1] == hist}
        if not nexts:
            continue
        of = Counter(counts[k].values())
        d = max(of[1] / (of[1] + 2 * of[2]) if of[1] + of[2] else 0.5, 0.05)
        total = sum(nexts.values())
        probs = probs * (d * len(nexts) / total)
        for token, c in nexts.items():
            probs[token] += max(c - d, 0.0) / total
    return probs


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, V - 1), min_size=0, max_size=6), st.integers(1, 5))
def test_hashed_tables_match_plain_counting(history: list[int], order: int) -> None:
    model = KneserNey(V, order=order).fit(CORPUS)
    assert np.allclose(model.distribution(history), _reference(model, CORPUS, history))


def test_a_saved_model_loads_the_same(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    corpus = [[3, 4, *rng.integers(2, 300, size=40).tolist(), 1] for _ in range(30)]
    model = KneserNey(300, order=6).fit(corpus)
    path = tmp_path / "cache" / "kn.npz"
    model.save(path)
    loaded = KneserNey.load(path)
    assert loaded.order == 6
    for seq in corpus[:5]:
        for i in range(2, len(seq)):
            assert np.array_equal(model.distribution(seq[:i]), loaded.distribution(seq[:i]))
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(AssistError, match="not a saved n-gram model"):
        KneserNey.load(tmp_path / "bad.npz")
    with pytest.raises(AssistError, match="not a saved n-gram model"):
        KneserNey.load(tmp_path / "missing.npz")
    with pytest.raises(AssistError, match="fitted"):
        KneserNey(5).save(tmp_path / "empty.npz")


def test_the_melody_baseline_is_cached_under_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bandmate.assist.melody.generate import markov_cache_path

    monkeypatch.setenv("BANDMATE_DATA_DIR", str(tmp_path))
    path = markov_cache_path(12)
    assert path.parent == tmp_path / "cache" / "assist"
    assert path != markov_cache_path(8)  # the order is part of the name
