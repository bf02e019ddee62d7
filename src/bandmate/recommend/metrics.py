"""Ranking metrics at a cut-off k: average precision, NDCG and recall, and their means.

Binary relevance. For one user with ranked list ``r`` and relevant set ``R``:

- ``AP@k = sum_{i<=k, r_i in R} P@i / min(|R|, k)``;
- ``NDCG@k = DCG@k / IDCG@k`` with ``DCG@k = sum_{i<=k, r_i in R} 1 / log2(i + 1)`` and
  IDCG the DCG of ``min(|R|, k)`` hits at the top;
- ``recall@k = |r[:k] & R| / |R|``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bandmate.recommend.errors import RecommendError


def _check(k: int, relevant: set[str]) -> None:
    if k < 1:
        raise RecommendError(f"k={k} must be >= 1")
    if not relevant:
        raise RecommendError("relevant set is empty: the metric is undefined")


def average_precision_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """AP@k of one ranked list (0..1)."""
    _check(k, relevant)
    hits = 0
    total = 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """NDCG@k of one ranked list with binary gains (0..1)."""
    _check(k, relevant)
    dcg = sum(1.0 / math.log2(i + 1) for i, it in enumerate(ranked[:k], start=1) if it in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Share of the relevant items found in the top k (0..1)."""
    _check(k, relevant)
    return len(set(ranked[:k]) & relevant) / len(relevant)


@dataclass(frozen=True, slots=True)
class RankingScores:
    """Means over users.

    Attributes:
        map: Mean AP@k.
        ndcg: Mean NDCG@k.
        recall: Mean recall@k.
        users: How many users were scored.
        k: The cut-off.
    """

    map: float
    ndcg: float
    recall: float
    users: int
    k: int


def evaluate_ranking(
    recommend: Callable[[str], Sequence[str]],
    relevant: Mapping[str, set[str]],
    *,
    k: int = 10,
) -> RankingScores:
    """Score a recommender over every user with held-out items.

    Args:
        recommend: Returns a user's ranked item ids (at least ``k`` where it can).
        relevant: Per user, the held-out items (users with an empty set are skipped).
        k: The cut-off.

    Raises:
        RecommendError: when no user has relevant items.
    """
    users = sorted(u for u, r in relevant.items() if r)
    if not users:
        raise RecommendError("no user has held-out items: nothing to evaluate")
    ap = nd = rc = 0.0
    for user in users:
        ranked = list(recommend(user))[:k]
        ap += average_precision_at_k(ranked, relevant[user], k)
        nd += ndcg_at_k(ranked, relevant[user], k)
        rc += recall_at_k(ranked, relevant[user], k)
    n = len(users)
    return RankingScores(ap / n, nd / n, rc / n, n, k)
