"""Taste over the library: the cold-start, content and ALS paths, each where it belongs."""

from __future__ import annotations

import pytest

from bandmate.loops.catalog import library
from bandmate.loops.taste import MIN_USERS, fit_loop_taste
from bandmate.recommend.events import EventKind

Events = list[tuple[str, str, EventKind, float]]


def _style(name: str) -> list[str]:
    return [s.id for s in library() if s.style == name]


def test_nobody_has_events_so_declared_styles_decide() -> None:
    taste = fit_loop_taste([])
    method, picks = taste.recommend("new", 6, ("bossa",))
    assert method == "cold-start"
    assert {p.item for p in picks} <= set(_style("bossa"))


def test_a_few_events_give_loops_like_them_and_never_the_same_ones() -> None:
    liked = _style("reggae")[:2]
    events: Events = [("ana", item, "like", float(i)) for i, item in enumerate(liked)]
    method, picks = fit_loop_taste(events).recommend("ana", 5)
    assert method == "content"
    assert not {p.item for p in picks} & set(liked)
    assert all(p.item in _style("reggae") for p in picks)


def test_a_community_with_tastes_gets_als_that_follows_them() -> None:
    funk, folk = _style("funk"), _style("folk")
    events: Events = []
    for u in range(2 * MIN_USERS):
        mine = funk if u % 2 == 0 else folk
        # Each person uses two thirds of their style, overlapping the others' thirds.
        events += [(f"u{u}", x, "use", float(i)) for i, x in enumerate(mine) if (i + u) % 3]
    taste = fit_loop_taste(events)
    for user, style in (("u0", funk), ("u1", folk)):
        method, picks = taste.recommend(user, 5)
        assert method == "als"
        assert sum(p.item in style for p in picks) >= 4
        assert not {p.item for p in picks} & set(taste.touched[user])


@pytest.mark.parametrize("item", ["lib-gone", "0" * 32])
def test_events_on_items_outside_the_library_are_left_out(item: str) -> None:
    taste = fit_loop_taste([("ana", item, "play", 0.0)])
    assert taste.touched == {}
    assert taste.recommend("ana", 3)[0] == "cold-start"
