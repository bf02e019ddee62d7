"""Interaction events (plays, likes, uses, follows) and the confidence matrix built from them.

Implicit feedback after Hu, Koren & Volinsky (2008): each event adds its kind's weight to
the user-item strength ``r``; the ALS confidence is ``alpha * r`` on top of the implicit 1
for every pair, and the preference is 1 where ``r > 0``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from bandmate.recommend.errors import RecommendError

EventKind = Literal["play", "like", "use", "follow"]
EVENT_WEIGHTS: dict[EventKind, float] = {"play": 1.0, "like": 3.0, "use": 5.0, "follow": 4.0}
"""Strength each kind adds: using a loop in a song says more than playing a track."""


@dataclass(frozen=True, slots=True)
class Event:
    """One interaction.

    Attributes:
        user: Who.
        item: What (a track, loop or collaborator id).
        kind: ``"play"``, ``"like"``, ``"use"`` or ``"follow"``.
        time: Seconds since any fixed epoch (orders a user's events).
    """

    user: str
    item: str
    kind: EventKind
    time: float

    def __post_init__(self) -> None:
        if not self.user or not self.item:
            raise RecommendError(f"event user={self.user!r} item={self.item!r} must be non-empty")
        if self.kind not in EVENT_WEIGHTS:
            raise RecommendError(
                f"event kind={self.kind!r} must be one of {', '.join(EVENT_WEIGHTS)}"
            )
        if not math.isfinite(self.time):
            raise RecommendError(f"event time={self.time!r} must be finite")


@dataclass(frozen=True, slots=True, eq=False)
class Interactions:
    """Events as a sparse users x items strength matrix with its id maps.

    Attributes:
        users: User ids, row order.
        items: Item ids, column order.
        strength: CSR float32 matrix (users, items) of summed event weights.
        rows: User id -> row.
        cols: Item id -> column.
    """

    users: tuple[str, ...]
    items: tuple[str, ...]
    strength: sp.csr_matrix
    rows: dict[str, int]
    cols: dict[str, int]

    def user_index(self, user: str) -> int:
        """Row of ``user``.

        Raises:
            RecommendError: for a user without events in this matrix.
        """
        index = self.rows.get(user)
        if index is None:
            raise RecommendError(f"user={user!r} is unknown (no events): use a cold-start path")
        return index


def _index(ids: Sequence[str]) -> dict[str, int]:
    return {x: i for i, x in enumerate(ids)}


def build_interactions(
    events: Iterable[Event], *, items: Sequence[str] | None = None
) -> Interactions:
    """Sum event weights per (user, item).

    Args:
        events: The events.
        items: Column order (every event's item must be in it); default: sorted ids seen.

    Raises:
        RecommendError: for no events, repeated ``items`` or an event on an item outside
            ``items``.
    """
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for e in events:
        sums[(e.user, e.item)] += EVENT_WEIGHTS[e.kind]
    if not sums:
        raise RecommendError("events are empty: nothing to learn from")
    users = tuple(sorted({u for u, _ in sums}))
    item_ids = tuple(sorted({i for _, i in sums})) if items is None else tuple(items)
    if len(set(item_ids)) != len(item_ids):
        raise RecommendError("items must be unique ids: the catalogue repeats one")
    uidx, iidx = _index(users), _index(item_ids)
    rows, cols, vals = [], [], []
    for (u, i), v in sums.items():
        col = iidx.get(i)
        if col is None:
            raise RecommendError(f"event item={i!r} is not in the catalogue")
        rows.append(uidx[u])
        cols.append(col)
        vals.append(v)
    matrix = sp.csr_matrix(
        (np.asarray(vals, np.float32), (np.asarray(rows), np.asarray(cols))),
        shape=(len(users), len(item_ids)),
        dtype=np.float32,
    )
    matrix.sort_indices()
    return Interactions(users, item_ids, matrix, uidx, iidx)


def split_by_time(
    events: Iterable[Event], *, holdout: float = 0.2, min_events: int = 5
) -> tuple[list[Event], list[Event]]:
    """Hold out the last ``holdout`` share of each user's events, by time.

    Users with fewer than ``min_events`` events stay wholly in the training part.

    Returns:
        ``(train, test)``.

    Raises:
        RecommendError: for ``holdout`` outside (0, 1).
    """
    if not 0.0 < holdout < 1.0:
        raise RecommendError(f"holdout={holdout} must be in (0, 1)")
    per_user: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        per_user[e.user].append(e)
    train: list[Event] = []
    test: list[Event] = []
    for user in sorted(per_user):
        evs = sorted(per_user[user], key=lambda e: (e.time, e.item, e.kind))
        cut = len(evs) - round(holdout * len(evs)) if len(evs) >= min_events else len(evs)
        train.extend(evs[:cut])
        test.extend(evs[cut:])
    return train, test


def relevant_items(train: Iterable[Event], test: Iterable[Event]) -> dict[str, set[str]]:
    """Per user, the held-out items they had not touched in training (what to predict)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for e in train:
        seen[e.user].add(e.item)
    out: dict[str, set[str]] = defaultdict(set)
    for e in test:
        if e.item not in seen[e.user]:
            out[e.user].add(e.item)
    return {u: s for u, s in out.items() if s}
