"""Benchmark: taste recommendations on a held-out split of a SIMULATED community.

Bandmate has no real interaction log yet: the community comes from
:mod:`bandmate.recommend.simulate` (seeded; hidden tastes over styles and moods, long-tail
popularity and activity). Each user's last 20% of events by time are held out; the items
in them that the user had not touched before are the ones to predict.

Side by side, on the same split:

- ALS (``implicit`` 0.7.3, conjugate gradient, one thread; :func:`fit_taste`);
- popularity (distinct listeners, unheard items only): the baseline;
- content (cosine to the mean content vector of the user's training items).

Then cold start: ``--new-share`` of the users are held out whole (never seen in training);
for them the declared-styles path (:func:`recommend_for_new_user`) runs against plain
popularity, scored on all their items. And new items: ``--new-share`` of the items lose
all their events; for each user who took one, the new items are ranked by content
similarity to the user's other items (:func:`recommend_by_content`) against a seeded
random order (nothing else knows a new item).

Reported: MAP@k, NDCG@k, recall@k and their ratios to popularity; ALS fit time (median
of ``--runs`` fits after a warm-up) next to the popularity fit.

Run: ``.venv/bin/python bench/recommend_eval.py [--users 2000] [--items 3000] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

from bandmate.recommend import (
    AlsConfig,
    RankingScores,
    evaluate_ranking,
    fit_popularity,
    fit_taste,
    recommend_by_content,
    recommend_for_new_user,
    split_by_time,
)
from bandmate.recommend.events import relevant_items
from bandmate.recommend.simulate import Community, CommunityConfig, simulate_community


def _timed(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _row(name: str, s: RankingScores, base: RankingScores) -> str:
    return (
        f"{name:<22} {s.map:8.4f} {s.ndcg:8.4f} {s.recall:8.4f}   "
        f"x{s.map / base.map:5.2f} x{s.ndcg / base.ndcg:5.2f} x{s.recall / base.recall:5.2f}"
    )


def _header(k: int) -> str:
    return (
        f"{'method':<22} {'MAP@' + str(k):>8} {'NDCG@' + str(k):>8} {'rec@' + str(k):>8}"
        f"   ratios to popularity (MAP, NDCG, recall)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--collaborators", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--new-share", type=float, default=0.1)
    args = parser.parse_args(argv)

    config = CommunityConfig(
        users=args.users, items=args.items, collaborators=args.collaborators, seed=args.seed
    )
    start = time.perf_counter()
    community = simulate_community(config)
    print(
        f"SIMULATED community (seed {args.seed}): {len(community.users)} users, "
        f"{len(community.catalogue)} items, {len(community.events)} events "
        f"({time.perf_counter() - start:.1f} s to generate)"
    )
    ids = [it.id for it in community.catalogue]
    k = args.k

    train, test = split_by_time(community.events)
    relevant = relevant_items(train, test)
    als_config = AlsConfig()
    als = fit_taste(train, items=ids, config=als_config)
    pop = fit_popularity(train, items=ids)
    touched: dict[str, list[str]] = {}
    for e in train:
        touched.setdefault(e.user, []).append(e.item)

    scores = {
        "popularity": evaluate_ranking(
            lambda u: [r.item for r in pop.recommend(u, n=k)], relevant, k=k
        ),
        "content": evaluate_ranking(
            lambda u: [r.item for r in recommend_by_content(touched[u], community.catalogue, n=k)],
            relevant,
            k=k,
        ),
        f"ALS (f={als_config.factors}, a={als_config.alpha:g})": evaluate_ranking(
            lambda u: [r.item for r in als.recommend(u, n=k)], relevant, k=k
        ),
    }
    base = scores["popularity"]
    print(f"\nheld-out split: last 20% of each user's events; {base.users} users scored")
    print(_header(k))
    for name, s in scores.items():
        print(_row(name, s, base))

    als_time = _timed(lambda: fit_taste(train, items=ids, config=als_config), args.runs)
    pop_time = _timed(lambda: fit_popularity(train, items=ids), args.runs)
    print(
        f"\nfit time (median of {args.runs}): ALS {als_time * 1000:.0f} ms, "
        f"popularity {pop_time * 1000:.0f} ms (ratio {als_time / pop_time:.1f}); "
        f"{len(train)} training events, {als_config.iterations} iterations, one thread"
    )

    n_new = max(1, round(args.new_share * len(community.users)))
    new = set(community.users[-n_new:])
    warm = [e for e in community.events if e.user not in new]
    truth: dict[str, set[str]] = {}
    for e in community.events:
        if e.user in new:
            truth.setdefault(e.user, set()).add(e.item)
    pop_warm = fit_popularity(warm, items=ids)
    cold_scores = {
        "popularity": evaluate_ranking(
            lambda u: [r.item for r in pop_warm.recommend(u, n=k)], truth, k=k
        ),
        "declared styles": evaluate_ranking(
            lambda u: [
                r.item
                for r in recommend_for_new_user(
                    community.declared_styles[u], community.catalogue, pop_warm, n=k
                )
            ],
            truth,
            k=k,
        ),
    }
    print(f"\ncold start: {n_new} new users (no events in training), scored on all their items")
    print(_header(k))
    for name, s in cold_scores.items():
        print(_row(name, s, cold_scores["popularity"]))

    _new_items(community, ids, k, args.new_share, args.seed)


def _new_items(community: Community, ids: list[str], k: int, share: float, seed: int) -> None:
    """Item cold start: new items (no events in training) ranked for the users who took them."""
    rng = np.random.default_rng(seed + 1)
    fresh = set(rng.choice(ids, size=max(k, round(share * len(ids))), replace=False).tolist())
    history: dict[str, list[str]] = {}
    truth: dict[str, set[str]] = {}
    for e in community.events:
        if e.item in fresh:
            truth.setdefault(e.user, set()).add(e.item)
        else:
            history.setdefault(e.user, []).append(e.item)
    users = {u: t for u, t in truth.items() if u in history}
    order = sorted(fresh)
    shuffled = {u: rng.permutation(order).tolist() for u in sorted(users)}
    random_scores = evaluate_ranking(lambda u: shuffled[u], users, k=k)
    content_scores = evaluate_ranking(
        lambda u: [
            r.item
            for r in recommend_by_content(history[u], community.catalogue, n=k, allowed=fresh)
        ],
        users,
        k=k,
    )
    print(
        f"\nitem cold start: {len(fresh)} new items (no events anywhere in training), ranked "
        f"for the {len(users)} users who took one, from their other items"
    )
    print(_header(k).replace("popularity", "random order"))
    print(_row("random order", random_scores, random_scores))
    print(_row("content", content_scores, random_scores))


if __name__ == "__main__":
    main()
