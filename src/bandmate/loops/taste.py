"""Taste for loops: who played, liked and used what, and what each person gets offered.

:class:`Taste` is fitted on the interaction events of everyone (library loops only: a
project's uploads stay private to it) and picks one of three paths for a person:

- ``"als"``: implicit ALS (:func:`bandmate.recommend.fit_taste`) once the community has
  :data:`MIN_USERS` people with events and this person has :data:`MIN_OWN_EVENTS`;
- ``"content"``: loops most like what they touched (styles and mood), for people with a
  few events or while the community is too small for ALS;
- ``"cold-start"``: the most touched loops within the styles they name, for people with
  no events at all.

:class:`TasteCache` refits only when the number of stored events changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bandmate.loops.catalog import LoopSpec, library
from bandmate.recommend.errors import RecommendError
from bandmate.recommend.events import Event, EventKind
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

Method = Literal["als", "content", "cold-start"]
MIN_USERS = 3
MIN_OWN_EVENTS = 3
CONFIG = AlsConfig(factors=16, iterations=10, seed=0)


@dataclass(frozen=True, slots=True, eq=False)
class Taste:
    """A fitted taste model over the library and the events it learned from."""

    specs: tuple[LoopSpec, ...]
    touched: dict[str, tuple[str, ...]]
    popularity: PopularityModel | None
    model: TasteModel | None

    def recommend(
        self, user: str, n: int = 10, styles: Sequence[str] = ()
    ) -> tuple[Method, list[Recommendation]]:
        """Up to ``n`` library loops for ``user`` and the path that chose them."""
        catalogue = [s.catalogue_item() for s in self.specs]
        mine = self.touched.get(user, ())
        if (
            self.model is not None
            and len(mine) >= MIN_OWN_EVENTS
            and user in self.model.interactions.rows
        ):
            picks = self.model.recommend(user, n=n)
            if picks:
                return "als", picks
        if mine:
            distinct = tuple(dict.fromkeys(mine))
            return "content", recommend_by_content(distinct, catalogue, n=n)
        popularity = self.popularity or _empty_popularity(self.specs)
        return "cold-start", recommend_for_new_user(styles, catalogue, popularity, n=n)


def _empty_popularity(specs: Sequence[LoopSpec]) -> PopularityModel:
    # Nobody has touched anything yet: a chart of zeros, so declared styles decide alone.
    ids = tuple(s.id for s in specs)
    fake = fit_popularity([Event("nobody", ids[0], "play", 0.0)], items=ids)
    return PopularityModel(ids, np.zeros(len(ids)), fake.interactions)


def fit_loop_taste(events: Sequence[tuple[str, str, EventKind, float]]) -> Taste:
    """Fit on ``(user, item, kind, time)`` events; events on unknown items are left out."""
    specs = library()
    ids = {s.id for s in specs}
    kept = [Event(u, i, k, t) for u, i, k, t in events if i in ids]
    touched: dict[str, list[str]] = {}
    for e in kept:
        touched.setdefault(e.user, []).append(e.item)
    order = [s.id for s in specs]
    popularity = fit_popularity(kept, items=order) if kept else None
    model = None
    if len(touched) >= MIN_USERS:
        try:
            model = fit_taste(kept, items=order, config=CONFIG)
        except RecommendError:
            model = None  # diverged on odd data: the content path still answers
    return Taste(specs, {u: tuple(v) for u, v in touched.items()}, popularity, model)


@dataclass
class TasteCache:
    """The last fitted :class:`Taste`, refitted when the event count changes."""

    _taste: Taste | None = None
    _count: int = -1
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(
        self,
        count: Callable[[], Awaitable[int]],
        events: Callable[[], Awaitable[Sequence[tuple[str, str, EventKind, float]]]],
    ) -> Taste:
        """The model for the events now stored (fitted in a thread when they changed)."""
        async with self._lock:
            now = await count()
            if self._taste is None or now != self._count:
                data = await events()
                self._taste = await asyncio.to_thread(fit_loop_taste, data)
                self._count = now
            return self._taste
