"""A simulated community (seeded) to evaluate recommendations: **simulated, not real data**.

Bandmate has no real interaction log yet, so taste models are judged on a community whose
ground truth we plant and the models never see:

- styles have a popularity (Zipf-like) and a typical mood and tempo;
- items (tracks, loops, and collaborators: some users as followable items) have one or two
  styles, a mood near their style's, a key (drum loops none) and a tempo; their appeal
  follows a long tail (log-normal);
- users have hidden tastes (a Dirichlet mix over styles, concentrated on a few) and a
  preferred mood; their activity follows a long tail too (log-normal event counts);
- each event picks an item with probability ∝ ``appeal^beta * affinity^gamma *
  exp(-delta * mood distance²)``, or (with probability ``noise``) by appeal alone; its kind
  (play, like, use, follow) depends on the item's kind and on the affinity.

Each user declares two styles on sign-up (their top hidden styles, one swapped at random
with probability ``declared_noise``): the cold-start path reads those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bandmate.music.key import Key
from bandmate.recommend.descriptors import CatalogueItem, Descriptors, ItemKind
from bandmate.recommend.errors import RecommendError
from bandmate.recommend.events import Event, EventKind

STYLES: tuple[str, ...] = (
    "pop",
    "rock",
    "electronic",
    "hip-hop",
    "jazz",
    "folk",
    "ambient",
    "classical",
    "funk",
    "metal",
    "blues",
    "latin",
)
_MAJOR = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


@dataclass(frozen=True, slots=True)
class CommunityConfig:
    """Size and behaviour of a simulated community.

    Attributes:
        users: How many users.
        items: How many tracks and loops (collaborators come on top).
        collaborators: How many users are also followable items.
        mean_events: Median events per user (log-normal, at least 5).
        beta: Weight of an item's appeal (popularity).
        gamma: Weight of the style affinity.
        delta: Weight of the mood distance.
        noise: Share of events chosen by appeal alone.
        declared_noise: Chance that a declared style is a random one.
        seed: Seeds everything.
    """

    users: int = 1000
    items: int = 1500
    collaborators: int = 100
    mean_events: float = 30.0
    beta: float = 0.7
    gamma: float = 1.5
    delta: float = 1.5
    noise: float = 0.1
    declared_noise: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.users < 2 or self.items < 2:
            raise RecommendError(f"users={self.users}, items={self.items} must be >= 2")
        if not 0 <= self.collaborators <= self.users:
            raise RecommendError(f"collaborators={self.collaborators} must be in 0..{self.users}")
        if not 0.0 <= self.noise <= 1.0 or not 0.0 <= self.declared_noise <= 1.0:
            raise RecommendError("noise and declared_noise must be in 0..1")
        if not self.mean_events >= 1.0:
            raise RecommendError(f"mean_events={self.mean_events} must be >= 1")


@dataclass(frozen=True, slots=True, eq=False)
class Community:
    """A simulated community.

    Attributes:
        config: How it was made.
        catalogue: Tracks, loops and collaborators.
        events: Interaction events, ordered by user then time.
        users: User ids.
        declared_styles: What each user declared on sign-up.
        taste: Hidden tastes, ``(users, styles)``, rows summing to 1 (for tests only).
    """

    config: CommunityConfig
    catalogue: tuple[CatalogueItem, ...]
    events: tuple[Event, ...]
    users: tuple[str, ...]
    declared_styles: dict[str, tuple[str, ...]]
    taste: np.ndarray


def simulate_community(config: CommunityConfig = CommunityConfig()) -> Community:
    """Generate a community; the same config gives the same community."""
    rng = np.random.default_rng(config.seed)
    n_styles = len(STYLES)
    style_pop = 1.0 / np.arange(1, n_styles + 1) ** 0.8
    style_pop /= style_pop.sum()
    style_mood = rng.uniform(-0.7, 0.7, size=(n_styles, 2))
    style_bpm = rng.uniform(70.0, 150.0, size=n_styles)

    users = tuple(f"u{u:05d}" for u in range(config.users))
    taste = rng.dirichlet(np.full(n_styles, 0.3), size=config.users)
    top = np.argsort(-taste, axis=1)
    user_mood = np.clip(
        (taste @ style_mood) + rng.normal(0.0, 0.15, size=(config.users, 2)), -1.0, 1.0
    )

    items: list[CatalogueItem] = []
    item_styles = np.zeros((config.items + config.collaborators, n_styles))
    item_mood = np.zeros((config.items + config.collaborators, 2))
    for i in range(config.items):
        kind: ItemKind = "track" if rng.random() < 0.75 else "loop"
        styles = [int(rng.choice(n_styles, p=style_pop))]
        if rng.random() < 0.3:
            styles.append(int(rng.choice(n_styles, p=style_pop)))
        styles = sorted(set(styles))
        item_styles[i, styles] = 1.0 / len(styles)
        mood = np.clip(style_mood[styles].mean(axis=0) + rng.normal(0, 0.25, 2), -1.0, 1.0)
        item_mood[i] = mood
        minor = bool(rng.random() < 0.45)
        pc = int(rng.integers(12))
        key: Key | None = Key(_MINOR[pc] if minor else _MAJOR[pc], "minor" if minor else "major")
        if kind == "loop" and rng.random() < 0.3:
            key = None  # a drum loop
        bpm = float(np.clip(style_bpm[styles[0]] * rng.lognormal(0.0, 0.12), 40.0, 220.0))
        descriptors = Descriptors(
            key=key,
            bpm=round(bpm, 1),
            valence=float(mood[0]),
            arousal=float(mood[1]),
            styles=tuple(STYLES[s] for s in styles),
        )
        items.append(CatalogueItem(f"{kind[0]}{i:05d}", kind, descriptors, f"{kind} {i}"))
    for c in range(config.collaborators):
        i = config.items + c
        styles = sorted(int(s) for s in top[c, :2])
        item_styles[i, styles] = 0.5
        item_mood[i] = user_mood[c]
        descriptors = Descriptors(
            valence=float(user_mood[c, 0]),
            arousal=float(user_mood[c, 1]),
            styles=tuple(STYLES[s] for s in styles),
        )
        items.append(CatalogueItem(f"c-{users[c]}", "collaborator", descriptors, users[c]))

    appeal = rng.lognormal(0.0, 1.6, size=len(items))
    base = config.beta * np.log(appeal)
    pop_p = np.exp(base - base.max())
    pop_p /= pop_p.sum()
    counts = np.maximum(5, np.round(rng.lognormal(np.log(config.mean_events), 0.9, config.users)))
    kinds = [it.kind for it in items]

    events: list[Event] = []
    declared: dict[str, tuple[str, ...]] = {}
    for u, user in enumerate(users):
        affinity = item_styles @ taste[u] + 1e-3
        dist2 = ((item_mood - user_mood[u]) ** 2).sum(axis=1)
        logit = base + config.gamma * np.log(affinity) - config.delta * dist2
        if u < config.collaborators:
            logit[config.items + u] = -np.inf  # nobody follows themselves
        p = np.exp(logit - logit.max())
        p /= p.sum()
        n = int(counts[u])
        by_taste = rng.random(n) >= config.noise
        picks = np.where(
            by_taste, rng.choice(len(items), size=n, p=p), rng.choice(len(items), size=n, p=pop_p)
        )
        if u < config.collaborators:
            picks[picks == config.items + u] = int(np.argmax(p))
        times = np.sort(rng.uniform(0.0, 1e6, size=n))
        for j, t in zip(picks, times, strict=True):
            j = int(j)
            like = rng.random() < min(0.9, 2.0 * affinity[j])
            events.append(Event(user, items[j].id, _event_kind(kinds[j], like, rng), float(t)))
        names = [STYLES[s] for s in top[u, :2]]
        for k in range(2):
            if rng.random() < config.declared_noise:
                names[k] = STYLES[int(rng.integers(n_styles))]
        declared[user] = tuple(sorted(set(names)))
    return Community(config, tuple(items), tuple(events), users, declared, taste)


def _event_kind(kind: ItemKind, like: bool, rng: np.random.Generator) -> EventKind:
    if kind == "collaborator":
        return "follow"
    if kind == "loop":
        return "use" if like and rng.random() < 0.5 else "play"
    return "like" if like and rng.random() < 0.3 else "play"
