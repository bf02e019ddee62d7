"""Personalized playlists: the tracks a listener will like, in an order that flows.

The pool is the ``pool x length`` best unheard tracks by :class:`TasteModel` score. The
order is greedy: start with the best, then each next track maximizes
``(1 - flow) x taste + flow x fit`` where *taste* is the track's score scaled to 0..1 within
the pool and *fit* is :func:`bandmate.recommend.fit.fit_item` of the track against the
previous one (key, tempo, mood, style; no transposition): a DJ's smooth transitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bandmate.recommend.descriptors import CatalogueItem
from bandmate.recommend.errors import RecommendError
from bandmate.recommend.fit import fit_item
from bandmate.recommend.taste import TasteModel


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    """One track of a playlist.

    Attributes:
        item: The track.
        taste: Its taste score scaled to 0..1 within the pool.
        transition: Fit to the previous track, 0..1 (1.0 for the first).
    """

    item: CatalogueItem
    taste: float
    transition: float


def personal_playlist(
    model: TasteModel,
    user: str,
    catalogue: Mapping[str, CatalogueItem],
    *,
    length: int = 20,
    pool: int = 3,
    flow: float = 0.3,
) -> list[PlaylistEntry]:
    """A playlist of ``length`` tracks for ``user`` (fewer if the catalogue runs out).

    Args:
        model: A fitted taste model.
        user: A user the model knows.
        catalogue: Item id -> item (only ``kind == "track"`` items are used).
        length: Tracks wanted.
        pool: Candidates considered per track wanted.
        flow: Weight of smooth transitions against taste, 0..1.

    Raises:
        RecommendError: for an unknown user, ``length < 1``, ``pool < 1``, ``flow``
            outside 0..1, or no unheard tracks.
    """
    if length < 1 or pool < 1:
        raise RecommendError(f"length={length} and pool={pool} must be >= 1")
    if not 0.0 <= flow <= 1.0:
        raise RecommendError(f"flow={flow} must be in 0..1")
    tracks = {i for i, it in catalogue.items() if it.kind == "track"}
    recs = model.recommend(user, n=length * pool, allowed=tracks)
    if not recs:
        raise RecommendError(f"user={user!r} has no unheard tracks to make a playlist from")
    low, high = recs[-1].score, recs[0].score
    span = high - low if high > low else 1.0
    taste = {r.item: (r.score - low) / span for r in recs}
    remaining = [r.item for r in recs]
    first = remaining.pop(0)
    out = [PlaylistEntry(catalogue[first], taste[first], 1.0)]
    while remaining and len(out) < length:
        previous = out[-1].item.descriptors
        best_i, best_value, best_fit = 0, -1.0, 0.0
        for i, item_id in enumerate(remaining):
            fit = fit_item(previous, catalogue[item_id], allow_transpose=False).score
            value = (1.0 - flow) * taste[item_id] + flow * fit
            if value > best_value:
                best_i, best_value, best_fit = i, value, fit
        chosen = remaining.pop(best_i)
        out.append(PlaylistEntry(catalogue[chosen], taste[chosen], best_fit))
    return out
