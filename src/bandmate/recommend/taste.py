"""Taste: implicit-feedback ALS over interaction events, a popularity baseline, cold start.

- :func:`fit_taste` factorizes the users x items confidence matrix with the ``implicit``
  package's ALS (Hu, Koren & Volinsky 2008; conjugate-gradient solves, one BLAS thread,
  seeded, so a seed gives the same model);
- :class:`PopularityModel` ranks by how many users touched an item: the baseline every
  taste model is judged against;
- cold start: :func:`recommend_for_new_user` (popularity within the styles a new user
  declares) and :func:`recommend_by_content` (content similarity to what a user touched,
  which also reaches items nobody has touched yet).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from bandmate.recommend.descriptors import CatalogueItem
from bandmate.recommend.errors import RecommendError
from bandmate.recommend.events import Event, Interactions, build_interactions


@dataclass(frozen=True, slots=True)
class AlsConfig:
    """Hyper-parameters of the ALS fit (saved with the model).

    The defaults were chosen on a simulated development community (seed 99), not on the
    evaluation one (see docs/recommendations.md).

    Attributes:
        factors: Latent dimensions.
        regularization: L2 weight on the factors.
        iterations: Alternating sweeps.
        alpha: Confidence per unit of event strength (``c = alpha * r``).
        seed: Seeds the initial factors.
        threads: Solver threads (1 keeps results identical run to run).
    """

    factors: int = 16
    regularization: float = 1.0
    iterations: int = 15
    alpha: float = 1.0
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.factors <= 1024:
            raise RecommendError(f"factors={self.factors} must be in 1..1024")
        if not 1 <= self.iterations <= 1000:
            raise RecommendError(f"iterations={self.iterations} must be in 1..1000")
        if self.threads < 1:
            raise RecommendError(f"threads={self.threads} must be >= 1")
        for name in ("regularization", "alpha"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise RecommendError(f"{name}={value!r} must be a positive number")


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended item.

    Attributes:
        item: Item id.
        score: Model score (comparable within one list only).
        reason: Why, in words.
    """

    item: str
    score: float
    reason: str


def _top(
    scores: np.ndarray, ids: Sequence[str], n: int, banned: np.ndarray | None
) -> list[tuple[str, float]]:
    """The ``n`` best (id, score), ties broken by column order."""
    if n < 1:
        raise RecommendError(f"n={n} must be >= 1")
    s = scores.astype(np.float64, copy=True)
    if banned is not None:
        s[banned] = -np.inf
    order = np.lexsort((np.arange(s.size), -s))
    out: list[tuple[str, float]] = []
    for j in order[:n]:
        if not np.isfinite(s[j]):
            break
        out.append((ids[j], float(s[j])))
    return out


def _allowed_mask(
    ids: Sequence[str], allowed: Collection[str] | None, exclude: Collection[str] = ()
) -> np.ndarray | None:
    """Banned columns: outside ``allowed`` (when given) or in ``exclude``."""
    if allowed is None and not exclude:
        return None
    allow = None if allowed is None else set(allowed)
    deny = set(exclude)
    return np.asarray(
        [(allow is not None and i not in allow) or i in deny for i in ids], dtype=bool
    )


@dataclass(frozen=True, slots=True, eq=False)
class TasteModel:
    """A fitted ALS model.

    Attributes:
        interactions: The training matrix and its id maps.
        user_factors: ``(users, factors)`` float32.
        item_factors: ``(items, factors)`` float32.
        config: How it was fitted.
    """

    interactions: Interactions
    user_factors: np.ndarray
    item_factors: np.ndarray
    config: AlsConfig

    def scores(self, user: str) -> np.ndarray:
        """Predicted preference of ``user`` for every item, ``(items,)``.

        Raises:
            RecommendError: for a user the model has not seen.
        """
        row = self.interactions.user_index(user)
        scores: np.ndarray = self.item_factors @ self.user_factors[row]
        return scores

    def recommend(
        self,
        user: str,
        *,
        n: int = 10,
        exclude_seen: bool = True,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[Recommendation]:
        """The ``n`` items ``user`` most likely wants, best first.

        Args:
            user: A user with training events.
            n: How many.
            exclude_seen: Leave out items the user already touched.
            allowed: Only these item ids (e.g. only loops); ``None``: any.
            exclude: Never these (e.g. the user's own collaborator item).

        Raises:
            RecommendError: for an unknown user or ``n < 1``.
        """
        scores = self.scores(user)
        banned = _allowed_mask(self.interactions.items, allowed, exclude)
        if exclude_seen:
            row = self.interactions.strength.getrow(self.interactions.user_index(user))
            seen = np.zeros(scores.size, dtype=bool)
            seen[row.indices] = True
            banned = seen if banned is None else banned | seen
        return [
            Recommendation(item, score, "people with a taste like yours liked it")
            for item, score in _top(scores, self.interactions.items, n, banned)
        ]


def fit_taste(
    events: Sequence[Event],
    *,
    items: Sequence[str] | None = None,
    config: AlsConfig = AlsConfig(),
) -> TasteModel:
    """Fit implicit ALS on interaction events.

    Args:
        events: Training events.
        items: The catalogue's item ids (columns); default: the ids in ``events``.
        config: Hyper-parameters.

    Raises:
        RecommendError: for no events or events on items outside ``items``.
    """
    # implicit is imported here so that fit scoring and cold start work without it loaded.
    from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]

    data = build_interactions(events, items=items)
    confidence = (data.strength * np.float32(config.alpha)).tocsr().astype(np.float32)
    # implicit warns (RuntimeWarning) when BLAS runs its own thread pool under its threads.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=config.factors,
            regularization=config.regularization,
            iterations=config.iterations,
            random_state=config.seed,
            num_threads=config.threads,
            calculate_training_loss=False,
        )
        model.fit(confidence, show_progress=False)
    user_factors = np.asarray(model.user_factors, dtype=np.float32)
    item_factors = np.asarray(model.item_factors, dtype=np.float32)
    if not (np.isfinite(user_factors).all() and np.isfinite(item_factors).all()):
        raise RecommendError(
            "ALS diverged (non-finite factors): lower alpha or raise regularization"
        )
    return TasteModel(data, user_factors, item_factors, config)


@dataclass(frozen=True, slots=True, eq=False)
class PopularityModel:
    """Items ranked by how many distinct users touched them (the baseline).

    Attributes:
        items: Item ids.
        counts: Distinct users per item, ``(items,)``.
        interactions: The training matrix (to leave out what a user has seen).
    """

    items: tuple[str, ...]
    counts: np.ndarray
    interactions: Interactions

    def recommend(
        self,
        user: str | None,
        *,
        n: int = 10,
        exclude_seen: bool = True,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[Recommendation]:
        """The most popular items, leaving out what a known ``user`` has seen.

        ``user=None`` (or a user without events) gets the plain chart.
        """
        banned = _allowed_mask(self.items, allowed, exclude)
        row = self.interactions.rows.get(user) if user is not None else None
        if exclude_seen and row is not None:
            seen = np.zeros(len(self.items), dtype=bool)
            seen[self.interactions.strength.getrow(row).indices] = True
            banned = seen if banned is None else banned | seen
        return [
            Recommendation(item, score, f"popular: {int(score)} listeners")
            for item, score in _top(self.counts, self.items, n, banned)
        ]


def fit_popularity(
    events: Sequence[Event], *, items: Sequence[str] | None = None
) -> PopularityModel:
    """Count distinct users per item."""
    data = build_interactions(events, items=items)
    counts = np.asarray((data.strength > 0).sum(axis=0), dtype=np.float64).ravel()
    return PopularityModel(data.items, counts, data)


def content_vectors(catalogue: Sequence[CatalogueItem]) -> np.ndarray:
    """Content features per item, ``(items, styles + 2)``, rows of unit length.

    Multi-hot styles (each style 1/sqrt(#styles)) next to valence and arousal scaled by 0.5,
    so that style dominates and mood separates within a style.
    """
    vocab = sorted({s for it in catalogue for s in it.descriptors.styles})
    col = {s: j for j, s in enumerate(vocab)}
    out = np.zeros((len(catalogue), len(vocab) + 2), dtype=np.float64)
    for i, it in enumerate(catalogue):
        d = it.descriptors
        for s in d.styles:
            out[i, col[s]] = 1.0 / math.sqrt(len(d.styles))
        out[i, -2:] = (0.5 * d.valence, 0.5 * d.arousal)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def recommend_by_content(
    touched: Sequence[str],
    catalogue: Sequence[CatalogueItem],
    *,
    n: int = 10,
    allowed: Collection[str] | None = None,
) -> list[Recommendation]:
    """Items most like what a user touched (cosine to their mean content vector).

    Works for new items (no events yet) and for users with a handful of events.

    Raises:
        RecommendError: for an empty catalogue, nothing touched, or unknown item ids.
    """
    if not catalogue:
        raise RecommendError("catalogue is empty: there is nothing to recommend")
    if not touched:
        raise RecommendError("touched is empty: use recommend_for_new_user for a new user")
    ids = [it.id for it in catalogue]
    index = {x: i for i, x in enumerate(ids)}
    missing = sorted(set(touched) - index.keys())
    if missing:
        raise RecommendError(f"touched item={missing[0]!r} is not in the catalogue")
    vectors = content_vectors(catalogue)
    rows = [index[t] for t in touched]
    profile = vectors[rows].mean(axis=0)
    scores = vectors @ profile
    banned = _allowed_mask(ids, allowed)
    seen = np.zeros(len(ids), dtype=bool)
    seen[rows] = True
    banned = seen if banned is None else banned | seen
    return [
        Recommendation(item, score, "like what you played")
        for item, score in _top(scores, ids, n, banned)
    ]


def recommend_for_new_user(
    styles: Sequence[str],
    catalogue: Sequence[CatalogueItem],
    popularity: PopularityModel,
    *,
    n: int = 10,
    allowed: Collection[str] | None = None,
) -> list[Recommendation]:
    """Cold start for a user without events: popularity within their declared styles.

    An item scores its listener count times the share of its styles the user declared
    (items in none of them keep 5%, so the list fills up from the chart).

    Raises:
        RecommendError: for an empty catalogue.
    """
    if not catalogue:
        raise RecommendError("catalogue is empty: there is nothing to recommend")
    declared = {s.strip().lower() for s in styles}
    ids = [it.id for it in catalogue]
    pop_index = {x: i for i, x in enumerate(popularity.items)}
    scores = np.zeros(len(ids), dtype=np.float64)
    for i, it in enumerate(catalogue):
        own = it.descriptors.styles
        share = len(declared.intersection(own)) / len(own) if own else 0.0
        j = pop_index.get(it.id)
        count = popularity.counts[j] if j is not None else 0.0
        scores[i] = (1.0 + count) * (0.05 + share)
    picked = ", ".join(sorted(declared)) or "any style"
    return [
        Recommendation(item, score, f"popular in {picked}")
        for item, score in _top(scores, ids, n, _allowed_mask(ids, allowed))
    ]
