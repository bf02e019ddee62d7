"""Drum fills per style: what a drummer plays over the last beat groups of a phrase.

Each style has a few fill *recipes*, written the way its drummers play them, and a fill
picks one at random (seeded) and varies it (left-out strokes, accents, which toms):

* rock: sixteenths down the toms, or snare then toms, ending on the floor tom with the kick;
* pop: an eighth-note snare build, or a tom run in eighths;
* funk: ghost-note sixteenths on the snare with one or two accents and kick pickups;
* swing: "comping" fills on the triplet grid: snare on the lets, kick "bombs", the ride
  keeping time on each beat;
* bossa: side-stick sixteenths answered by the low toms, soft;
* reggae: sixteenth-triplet rolls from the rim over the toms (the one drop comes after);
* electronic: a snare riser that doubles its rate each beat group (eighths, sixteenths,
  thirty-seconds) and swells in velocity;
* hip hop: the hats drop out, the kick stutters on sixteenths and a flammed snare lands
  last;
* folk: floor tom and kick in eighths with the tambourine on the off-beats, swelling.

A fill returns ``(tick, GM key, velocity)`` hits inside its groups; the groove does not
play there (see :mod:`bandmate.assist.band.drums`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bandmate.assist.band.grid import BeatGroup, step_ticks
from bandmate.assist.band.styles import (
    CLAP,
    FLOOR_TOM,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    RIDE,
    SIDE,
    SNARE,
    TAMBOURINE,
    Style,
)

Hit = tuple[int, int, int]
Recipe = Callable[[list[BeatGroup], np.random.Generator, float], list[Hit]]
TOMS = (HIGH_TOM, MID_TOM, LOW_TOM, FLOOR_TOM)


def _steps(
    groups: list[BeatGroup], simple: int, compound: int, swing: float
) -> list[tuple[int, float, int]]:
    """``(tick, share of the fill so far 0..1, step in its group)`` of every step."""
    ticks: list[tuple[int, int]] = []
    for group in groups:
        count = compound if group.kind == "compound" else simple
        ticks += [(t, i) for i, t in enumerate(step_ticks(group, count, swing))]
    last = max(1, len(ticks) - 1)
    return [(t, i / last, step) for i, (t, step) in enumerate(ticks)]


def _crescendo(share: float, low: int = 70, high: int = 115) -> int:
    return int(low + (high - low) * share)


def _tom_run(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Sixteenths (sextuplets in compound beats) down the toms, a gap now and then."""
    toms = TOMS if rng.random() < 0.6 else (SNARE, HIGH_TOM, LOW_TOM, FLOOR_TOM)
    hits: list[Hit] = []
    steps = _steps(groups, 4, 6, swing)
    for n, (tick, share, _) in enumerate(steps):
        if n and n < len(steps) - 1 and rng.random() < 0.12:
            continue
        hits.append((tick, toms[min(len(toms) - 1, int(share * len(toms)))], _crescendo(share)))
    hits.append((steps[-1][0], KICK, 100))
    return hits


def _snare_then_toms(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Snare sixteenths for the first half, then down the toms."""
    hits: list[Hit] = []
    for tick, share, _ in _steps(groups, 4, 6, swing):
        key = SNARE if share < 0.5 else TOMS[1 + min(2, int((share - 0.5) * 6))]
        hits.append((tick, key, _crescendo(share, 80, 118)))
    return hits


def _snare_build(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Eighth-note snares (two per beat, three per dotted beat) growing louder."""
    hits = [(t, SNARE, _crescendo(s, 72, 112)) for t, s, _ in _steps(groups, 2, 3, swing)]
    if rng.random() < 0.5:
        hits += [(t, KICK, 96) for t, _, step in _steps(groups, 2, 3, swing) if step == 0]
    return hits


def _tom_eighths(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Eighths from the high tom to the floor tom, in pairs."""
    steps = _steps(groups, 2, 3, swing)
    return [(t, TOMS[min(3, int(s * 4))], _crescendo(s, 78, 110)) for t, s, _ in steps]


def _ghost_fill(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Funk: ghost-note sixteenths on the snare, one or two accents, kick pickups."""
    steps = _steps(groups, 4, 6, swing)
    accents = set(rng.choice(len(steps), size=min(len(steps), int(rng.integers(1, 3))),
                             replace=False).tolist())  # fmt: skip
    accents.add(len(steps) - 1)
    hits: list[Hit] = []
    for n, (tick, _, step) in enumerate(steps):
        if n in accents:
            hits.append((tick, SNARE, int(rng.integers(104, 118))))
        elif rng.random() < 0.8:
            hits.append((tick, SNARE, int(rng.integers(34, 52))))
        if step % 2 == 1 and rng.random() < 0.3:
            hits.append((tick, KICK, 88))
    return hits


def _swing_comp(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Swing: triplet comping between snare and kick under the ride, a bomb at the end."""
    hits: list[Hit] = []
    steps = _steps(groups, 3, 3, 0.5)
    for n, (tick, share, step) in enumerate(steps):
        if step == 0:
            hits.append((tick, RIDE, 96))
        if n == len(steps) - 1:
            hits += [(tick, KICK, 110), (tick, SNARE, 104)]  # the bomb before the new chorus
        elif step == 2 and rng.random() < 0.7:
            hits.append((tick, SNARE, _crescendo(share, 64, 100)))
        elif step == 1 and rng.random() < 0.35:
            hits.append((tick, KICK if rng.random() < 0.5 else SNARE, _crescendo(share, 56, 88)))
    return hits


def _swing_toms(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Swing: triplets around snare and toms."""
    voices = (SNARE, SNARE, MID_TOM, FLOOR_TOM)
    return [
        (t, voices[min(3, int(s * 4))], _crescendo(s, 66, 104))
        for t, s, _ in _steps(groups, 3, 3, 0.5)
        if rng.random() > 0.1 or s == 1.0
    ]


def _bossa_fill(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Bossa: side-stick sixteenths in a clave-like cell, answered by the low toms."""
    hits: list[Hit] = []
    for tick, share, step in _steps(groups, 4, 6, swing):
        if share >= 0.6:
            if step % 2 == 0 or rng.random() < 0.4:
                hits.append(
                    (tick, LOW_TOM if share < 0.85 else FLOOR_TOM, _crescendo(share, 60, 88))
                )
        elif step in (0, 3) or rng.random() < 0.25:
            hits.append((tick, SIDE, _crescendo(share, 58, 80)))
    return hits


def _reggae_roll(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Reggae: sixteenth-triplet rolls from the rim over the toms, a rest to breathe."""
    voices = (
        (SIDE, SNARE, HIGH_TOM, LOW_TOM) if rng.random() < 0.5 else (SNARE, HIGH_TOM, FLOOR_TOM)
    )
    hits: list[Hit] = []
    rest = int(rng.integers(0, 3))
    for tick, share, step in _steps(groups, 6, 6, 0.5):
        if step // 2 == rest and share < 0.5:
            continue
        hits.append((tick, voices[min(len(voices) - 1, int(share * len(voices)))],
                     _crescendo(share, 68, 108)))  # fmt: skip
    return hits


def _riser(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Electronic: a snare (or clap) roll that doubles its rate each group and swells."""
    voice = SNARE if rng.random() < 0.7 else CLAP
    hits: list[Hit] = []
    count = len(groups)
    for i, group in enumerate(groups):
        rate = 2 ** (i + max(1, 3 - count)) if count > 1 else 4 * int(rng.integers(1, 3))
        rate = min(rate, 8)
        for j, tick in enumerate(step_ticks(group, rate, 0.5)):
            share = (i + j / rate) / count
            hits.append((tick, voice, _crescendo(share, 40, 120)))
    return hits


def _hiphop_fill(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Hip hop: the hats drop out, the kick stutters, a flammed snare lands last."""
    steps = _steps(groups, 4, 6, swing)
    hits: list[Hit] = []
    for tick, _, step in steps[:-1]:
        if (step == 0 or rng.random() < 0.3) and rng.random() < 0.85:
            hits.append((tick, KICK, int(rng.integers(90, 110))))
    last = steps[-1][0]
    grace = max(groups[0].start, last - max(1, groups[-1].length // 16))
    hits += [(grace, SNARE, 52), (last, SNARE if rng.random() < 0.6 else CLAP, 110)]
    return hits


def _folk_fill(groups: list[BeatGroup], rng: np.random.Generator, swing: float) -> list[Hit]:
    """Folk: floor tom and kick on the eighths, tambourine between, swelling."""
    hits: list[Hit] = []
    for tick, share, step in _steps(groups, 4, 6, swing):
        if step % 2 == 0:
            hits.append(
                (tick, FLOOR_TOM if rng.random() < 0.75 else LOW_TOM, _crescendo(share, 66, 100))
            )
            if step == 0:
                hits.append((tick, KICK, 90))
        elif rng.random() < 0.7:
            hits.append((tick, TAMBOURINE, _crescendo(share, 50, 80)))
    return hits


RECIPES: dict[str, tuple[tuple[Recipe, float], ...]] = {
    "rock": ((_tom_run, 0.5), (_snare_then_toms, 0.3), (_snare_build, 0.2)),
    "pop": ((_snare_build, 0.45), (_tom_eighths, 0.35), (_tom_run, 0.2)),
    "funk": ((_ghost_fill, 0.75), (_snare_then_toms, 0.25)),
    "swing": ((_swing_comp, 0.7), (_swing_toms, 0.3)),
    "bossa": ((_bossa_fill, 1.0),),
    "reggae": ((_reggae_roll, 1.0),),
    "electronic": ((_riser, 1.0),),
    "hiphop": ((_hiphop_fill, 1.0),),
    "folk": ((_folk_fill, 0.8), (_tom_eighths, 0.2)),
}
"""Each style's fill recipes with their weights (summing to one)."""


def fill_hits(groups: list[BeatGroup], style: Style, rng: np.random.Generator) -> list[Hit]:
    """The hits of one fill in ``style`` over ``groups`` (the last groups of a bar)."""
    recipes = RECIPES.get(style.name, RECIPES["rock"])
    weights = np.array([w for _, w in recipes])
    recipe = recipes[int(rng.choice(len(recipes), p=weights / weights.sum()))][0]
    return recipe(groups, rng, style.swing)
