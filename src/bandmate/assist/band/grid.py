"""Where a style's slices land: beat groups per bar, step ticks, swing and humanizing.

:func:`beat_groups` cuts a bar into the beats a player feels: quarter notes in 4/4 and
3/4, halves split in two in 2/2, dotted quarters in 6/8 and 12/8, and for meters that are
neither (5/8, 7/8, 11/8, ...) groups of two eighths with one group of three at the end
(7/8 = 2+2+3). Each group gets a role (downbeat, backbeat or other) that picks its slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bandmate.assist.band.styles import Kind, Role, Slices, Style
from bandmate.music.time import TempoMap


@dataclass(frozen=True, slots=True)
class BeatGroup:
    """One felt beat: its start and length in ticks, simple or compound, and its role."""

    start: int
    length: int
    kind: Kind
    role: Role


def _roles(count: int) -> list[Role]:
    if count == 3:
        return ["down", "back", "back"]  # waltz: boom, chick, chick
    roles: list[Role] = ["down"]
    roles += ["back" if i % 2 else "off" for i in range(1, count)]
    return roles


def beat_groups(tempo_map: TempoMap, bar: int) -> list[BeatGroup]:
    """The beat groups of ``bar`` (1-based), covering it exactly."""
    meter = tempo_map.bar_meter(bar)
    start, length = tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar)
    num, den = meter.numerator, meter.denominator
    # Sizes in units of the written denominator; compound beats are three of them.
    sizes: list[int]
    kinds: list[Kind]
    if num > 3 and num % 3 == 0 and den >= 8:
        sizes, kinds = [3] * (num // 3), ["compound"] * (num // 3)
    elif den >= 8 and num % 2 == 1 and num > 3:
        sizes = [2] * ((num - 3) // 2) + [3]
        kinds = ["simple"] * ((num - 3) // 2)
        kinds.append("compound")
    elif den >= 8:
        sizes, kinds = [2] * max(1, num // 2), ["simple"] * max(1, num // 2)
        if num % 2:  # 3/8 and 1/8: one group of the whole bar
            sizes, kinds = [num], ["compound" if num == 3 else "simple"]
    elif den <= 2:
        split = 4 // den  # a half (or whole) note counts as two (four) quarters
        sizes, kinds = [1] * (num * split), ["simple"] * (num * split)
    else:
        sizes, kinds = [1] * num, ["simple"] * num
    total = sum(sizes)
    edges = [start + length * sum(sizes[:i]) // total for i in range(len(sizes) + 1)]
    roles = _roles(len(sizes))
    return [
        BeatGroup(edges[i], edges[i + 1] - edges[i], kinds[i], roles[i])
        for i in range(len(sizes))
        if edges[i + 1] > edges[i]
    ]


def slice_for(slices_by_kind: dict[Kind, Slices], group: BeatGroup) -> str:
    """The slice a group plays: its kind's slice for its role, adapted from the other kind."""
    own = slices_by_kind.get(group.kind, {}).get(group.role, "")
    if own or group.kind in slices_by_kind:
        return own
    other = slices_by_kind.get("simple" if group.kind == "compound" else "compound", {})
    return other.get(group.role, "")


def step_ticks(group: BeatGroup, steps: int, swing: float) -> list[int]:
    """The tick of each of ``steps`` even steps of a group; with four steps the second
    sixteenth of each eighth moves to ``swing`` of the eighth."""
    ticks = []
    for i in range(steps):
        frac = i / steps
        if steps == 4 and i % 2 == 1:
            frac = (i - 1) / 4 + swing / 2
        ticks.append(group.start + round(frac * group.length))
    return ticks


def humanize(
    tick: int,
    velocity: int,
    *,
    style: Style,
    tempo_map: TempoMap,
    rng: np.random.Generator,
    lo: int,
    hi: int,
    spread: float = 1.0,
) -> tuple[int, int]:
    """A tick and velocity nudged like a player's, kept inside ``lo..hi - 1`` and 1..127.

    The timing offset is normal with ``style.humanize_ms`` milliseconds of spread (at the
    tempo there), cut at three spreads; the velocity offset has ``style.velocity_spread``.
    """
    if style.humanize_ms > 0:
        ticks_per_ms = tempo_map.ppq * tempo_map.tempo_at(tick) / 60_000.0
        sigma = style.humanize_ms * ticks_per_ms * spread
        offset = float(np.clip(rng.normal(0.0, sigma), -3 * sigma, 3 * sigma))
        tick = round(tick + offset)
    velocity = round(velocity + float(rng.normal(0.0, style.velocity_spread * spread)))
    return min(max(tick, lo), hi - 1), min(max(velocity, 1), 127)
