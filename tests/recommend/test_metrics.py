from __future__ import annotations

import math

import pytest

from bandmate.recommend import RecommendError, evaluate_ranking
from bandmate.recommend.metrics import average_precision_at_k, ndcg_at_k, recall_at_k


def test_hand_computed_example() -> None:
    ranked = ["a", "b", "c", "d"]
    relevant = {"a", "c", "z"}
    # hits at ranks 1 and 3: AP = (1/1 + 2/3) / min(3, 4)
    assert average_precision_at_k(ranked, relevant, 4) == pytest.approx((1 + 2 / 3) / 3)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / idcg)
    assert recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, relevant, 1) == pytest.approx(1 / 3)
    # cut at k=2: one hit out of min(3, 2) possible
    assert average_precision_at_k(ranked, relevant, 2) == pytest.approx(0.5)


def test_perfect_and_empty_lists() -> None:
    assert average_precision_at_k(["a", "b"], {"a", "b"}, 10) == 1.0
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k([], {"a"}, 10) == 0.0
    assert average_precision_at_k(["x", "y"], {"a"}, 10) == 0.0


def test_evaluate_ranking_averages_users() -> None:
    lists = {"u1": ["a", "b"], "u2": ["x", "c"]}
    scores = evaluate_ranking(lambda u: lists[u], {"u1": {"a"}, "u2": {"c"}, "u3": set()}, k=2)
    assert scores.users == 2
    assert scores.map == pytest.approx((1.0 + 0.5) / 2)
    assert scores.recall == pytest.approx(1.0)
    assert scores.ndcg == pytest.approx((1.0 + 1 / math.log2(3)) / 2)


def test_undefined_metrics_are_errors() -> None:
    with pytest.raises(RecommendError, match="relevant set is empty"):
        ndcg_at_k(["a"], set())
    with pytest.raises(RecommendError, match="k=0"):
        recall_at_k(["a"], {"a"}, 0)
    with pytest.raises(RecommendError, match="no user"):
        evaluate_ranking(lambda u: [], {})
