"""Recommendations: what fits a project (key, tempo, mood, style) and what fits a listener.

- *fit* (:func:`rank_fits`): loops, samples and instruments ranked against a project's
  descriptors, with reasons, transposition and time-stretch offers;
- *taste* (:func:`fit_taste`): implicit-feedback ALS over plays, likes, uses and follows,
  a popularity baseline and cold-start paths from content features;
- :mod:`bandmate.recommend.simulate`: a seeded, **simulated** community to evaluate them.
"""

from __future__ import annotations

from bandmate.recommend.descriptors import (
    CatalogueItem,
    Descriptors,
    descriptors_from_audio,
    descriptors_from_song,
)
from bandmate.recommend.errors import RecommendError
from bandmate.recommend.events import Event, build_interactions, split_by_time
from bandmate.recommend.fit import Fit, FitWeights, fit_item, rank_fits
from bandmate.recommend.metrics import RankingScores, evaluate_ranking
from bandmate.recommend.taste import (
    AlsConfig,
    PopularityModel,
    Recommendation,
    TasteModel,
    fit_popularity,
    fit_taste,
    recommend_by_content,
    recommend_for_new_user,
)

__all__ = [
    "AlsConfig",
    "CatalogueItem",
    "Descriptors",
    "Event",
    "Fit",
    "FitWeights",
    "PopularityModel",
    "RankingScores",
    "RecommendError",
    "Recommendation",
    "TasteModel",
    "build_interactions",
    "descriptors_from_audio",
    "descriptors_from_song",
    "evaluate_ranking",
    "fit_item",
    "fit_popularity",
    "fit_taste",
    "rank_fits",
    "recommend_by_content",
    "recommend_for_new_user",
    "split_by_time",
]
