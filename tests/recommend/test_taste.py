from __future__ import annotations

import numpy as np
import pytest

from bandmate.recommend import (
    AlsConfig,
    Event,
    RecommendError,
    evaluate_ranking,
    fit_popularity,
    fit_taste,
    recommend_by_content,
    recommend_for_new_user,
    split_by_time,
)
from bandmate.recommend.events import build_interactions, relevant_items
from bandmate.recommend.playlist import personal_playlist
from bandmate.recommend.simulate import Community, CommunityConfig, simulate_community

SMALL = CommunityConfig(users=300, items=400, collaborators=20, seed=7)


@pytest.fixture(scope="module")
def community() -> Community:
    return simulate_community(SMALL)


def test_simulation_is_deterministic_for_a_seed(community: Community) -> None:
    again = simulate_community(SMALL)
    assert again.events == community.events
    assert again.catalogue == community.catalogue
    other = simulate_community(CommunityConfig(users=300, items=400, collaborators=20, seed=8))
    assert other.events != community.events


def test_simulation_has_long_tails(community: Community) -> None:
    data = build_interactions(community.events)
    per_item = np.asarray((data.strength > 0).sum(axis=0)).ravel()
    per_user = np.bincount([data.rows[e.user] for e in community.events])
    # a long tail: the top 10% of items hold far more than 10% of the listeners
    top = np.sort(per_item)[::-1][: len(per_item) // 10].sum() / per_item.sum()
    assert top > 0.3
    assert per_user.max() > 5 * np.median(per_user)
    kinds = {e.kind for e in community.events}
    assert kinds == {"play", "like", "use", "follow"}


def test_split_holds_out_the_last_fifth_by_time(community: Community) -> None:
    train, test = split_by_time(community.events)
    assert len(train) + len(test) == len(community.events)
    last_train: dict[str, float] = {}
    for e in train:
        last_train[e.user] = max(last_train.get(e.user, -1.0), e.time)
    assert all(e.time >= last_train[e.user] for e in test)
    assert len(test) / len(community.events) == pytest.approx(0.2, abs=0.02)


def test_als_recovers_planted_taste_better_than_popularity(community: Community) -> None:
    train, test = split_by_time(community.events)
    relevant = relevant_items(train, test)
    ids = [it.id for it in community.catalogue]
    als = fit_taste(train, items=ids, config=AlsConfig(factors=16, iterations=10, seed=1))
    pop = fit_popularity(train, items=ids)
    ours = evaluate_ranking(lambda u: [r.item for r in als.recommend(u)], relevant)
    base = evaluate_ranking(lambda u: [r.item for r in pop.recommend(u)], relevant)
    assert ours.users == base.users > 200
    assert ours.map > 1.5 * base.map
    assert ours.ndcg > 1.5 * base.ndcg


def test_als_is_deterministic_for_a_seed(community: Community) -> None:
    config = AlsConfig(factors=8, iterations=5, seed=3)
    a = fit_taste(community.events, config=config)
    b = fit_taste(community.events, config=config)
    np.testing.assert_array_equal(a.user_factors, b.user_factors)
    np.testing.assert_array_equal(a.item_factors, b.item_factors)
    user = community.users[0]
    assert a.recommend(user) == b.recommend(user)


def test_recommend_leaves_out_seen_and_filters_kinds(community: Community) -> None:
    model = fit_taste(community.events, config=AlsConfig(factors=8, iterations=5))
    user = community.users[1]
    seen = {e.item for e in community.events if e.user == user}
    loops = {it.id for it in community.catalogue if it.kind == "loop"}
    recs = model.recommend(user, n=20, allowed=loops)
    assert len(recs) == 20
    assert all(r.item in loops and r.item not in seen for r in recs)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)


def test_cold_start_by_declared_styles_beats_popularity_for_new_users(
    community: Community,
) -> None:
    new = set(community.users[:60])
    train = [e for e in community.events if e.user not in new]
    relevant: dict[str, set[str]] = {}
    for e in community.events:
        if e.user in new:
            relevant.setdefault(e.user, set()).add(e.item)
    pop = fit_popularity(train, items=[it.id for it in community.catalogue])
    cat = community.catalogue
    cold = evaluate_ranking(
        lambda u: [r.item for r in recommend_for_new_user(community.declared_styles[u], cat, pop)],
        relevant,
    )
    base = evaluate_ranking(lambda u: [r.item for r in pop.recommend(u)], relevant)
    assert cold.ndcg > 1.2 * base.ndcg


def test_content_path_reaches_items_nobody_touched(community: Community) -> None:
    touched = {e.item for e in community.events}
    fresh = [it for it in community.catalogue if it.id not in touched]
    jazz = [it.id for it in community.catalogue if it.descriptors.styles == ("jazz",)]
    recs = recommend_by_content(jazz[:3], community.catalogue, n=10)
    assert all(r.item not in jazz[:3] for r in recs)
    by_id = {it.id: it for it in community.catalogue}
    assert all("jazz" in by_id[r.item].descriptors.styles for r in recs)
    if fresh:
        picked = recommend_by_content(jazz[:3], community.catalogue, allowed={fresh[0].id})
        assert [r.item for r in picked] == [fresh[0].id]


def test_bad_inputs_are_clear_errors(community: Community) -> None:
    model = fit_taste(community.events[:500], config=AlsConfig(factors=4, iterations=2))
    with pytest.raises(RecommendError, match="user='nobody' is unknown"):
        model.recommend("nobody")
    with pytest.raises(RecommendError, match="events are empty"):
        fit_taste([])
    with pytest.raises(RecommendError, match="not in the catalogue"):
        fit_taste(community.events[:10], items=["x"])
    with pytest.raises(RecommendError, match="catalogue is empty"):
        recommend_by_content(["a"], [])
    with pytest.raises(RecommendError, match="touched item='zzz'"):
        recommend_by_content(["zzz"], community.catalogue)
    with pytest.raises(RecommendError, match="kind='skip'"):
        Event("u", "i", "skip", 0.0)  # type: ignore[arg-type]
    with pytest.raises(RecommendError, match="time=nan"):
        Event("u", "i", "play", float("nan"))
    with pytest.raises(RecommendError, match="alpha=nan"):
        AlsConfig(alpha=float("nan"))
    with pytest.raises(RecommendError, match="n=0"):
        model.recommend(community.events[0].user, n=0)


def test_personal_playlist_is_unheard_tracks_in_a_smooth_order(community: Community) -> None:
    model = fit_taste(community.events, config=AlsConfig(factors=8, iterations=5))
    catalogue = {it.id: it for it in community.catalogue}
    user = community.users[2]
    seen = {e.item for e in community.events if e.user == user}
    smooth = personal_playlist(model, user, catalogue, length=15, flow=0.8)
    plain = personal_playlist(model, user, catalogue, length=15, flow=0.0)
    for playlist in (smooth, plain):
        ids = [e.item.id for e in playlist]
        assert len(ids) == len(set(ids)) == 15
        assert all(e.item.kind == "track" and e.item.id not in seen for e in playlist)
    assert [e.taste for e in plain] == sorted((e.taste for e in plain), reverse=True)
    mean = sum(e.transition for e in smooth[1:]) / 14
    assert mean > sum(e.transition for e in plain[1:]) / 14
    with pytest.raises(RecommendError, match="flow=2"):
        personal_playlist(model, user, catalogue, flow=2.0)


def test_collaborators_never_include_the_user_themselves(community: Community) -> None:
    model = fit_taste(community.events, config=AlsConfig(factors=8, iterations=5))
    collaborators = {it.id for it in community.catalogue if it.kind == "collaborator"}
    for user in community.users[:20]:
        own = f"c-{user}"
        recs = model.recommend(user, n=len(collaborators), allowed=collaborators, exclude={own})
        assert recs
        assert own not in {r.item for r in recs}
        assert {r.item for r in recs} <= collaborators
