"""Where a style's slices land: beat groups per bar, step ticks, swing and humanizing.

:func:`beat_groups` cuts a bar into the beats a player feels: quarter notes in 4/4 and
3/4, halves split in two in 2/2, dotted quarters in 6/8 and 12/8. Meters that are neither
are cut by a *grouping* (:func:`default_grouping`, or the one a request asks for): 5/8 as
3+2 (or 2+3), 7/8 as 2+2+3 (3+2+2, 2+3+2), 9/8 as 3+3+3 (or the aksak 2+2+2+3), 11/8 as
2+2+3+2+2, in eighths: a group of two is a simple beat, a group of three a compound one.
In 5/4 (3+2) and 7/4 (2+2+3, 4+3, ...) the grouping counts quarter notes: each quarter
stays a beat and the first of each group is accented. Each group gets a role (downbeat,
backbeat or other) that picks its slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bandmate.assist.band.styles import Kind, Role, Slices, Style
from bandmate.assist.errors import AssistError
from bandmate.music.time import TempoMap


@dataclass(frozen=True, slots=True)
class BeatGroup:
    """One felt beat: its start and length in ticks, simple or compound, and its role."""

    start: int
    length: int
    kind: Kind
    role: Role


Grouping = tuple[int, ...]

GROUPINGS: dict[str, tuple[Grouping, ...]] = {
    "5/8": ((3, 2), (2, 3)),
    "7/8": ((2, 2, 3), (3, 2, 2), (2, 3, 2)),
    "9/8": ((3, 3, 3), (2, 2, 2, 3), (2, 2, 3, 2), (3, 2, 2, 2)),
    "10/8": ((3, 3, 2, 2), (2, 3, 2, 3), (3, 2, 3, 2)),
    "11/8": ((2, 2, 3, 2, 2), (3, 3, 3, 2), (3, 2, 3, 3)),
    "13/8": ((2, 2, 3, 2, 2, 2), (3, 3, 3, 2, 2)),
    "5/4": ((3, 2), (2, 3)),
    "7/4": ((2, 2, 3), (4, 3), (3, 2, 2), (3, 4)),
}
"""The usual groupings of the odd meters, the default first (any other that adds up works)."""


def default_grouping(numerator: int, denominator: int) -> Grouping | None:
    """The grouping a bar of ``numerator/denominator`` is felt in; ``None`` for plain meters
    (2/4, 3/4, 4/4, 2/2, 3/8, 6/8, 12/8: one beat per quarter, half or dotted quarter)."""
    known = GROUPINGS.get(f"{numerator}/{denominator}")
    if known:
        return known[0]
    if denominator >= 8 and numerator > 3 and numerator % 3 == 0:
        return (3,) * (numerator // 3)  # compound: 6/8, 9/8, 12/8 in dotted quarters
    if denominator >= 8 and numerator > 3 and numerator % 2 == 1:
        return (2,) * ((numerator - 3) // 2) + (3,)
    return None


def check_grouping(grouping: Grouping, numerator: int, denominator: int) -> None:
    """Raise :class:`AssistError` unless ``grouping`` fits a bar of ``numerator/denominator``.

    Eighth-note meters take groups of 2 and 3 eighths; quarter-note meters groups of 1 to 4
    quarters; the groups add up to the numerator.
    """
    sizes = (2, 3) if denominator >= 8 else (1, 2, 3, 4)
    text = "+".join(str(g) for g in grouping)
    if any(g not in sizes for g in grouping):
        raise AssistError(
            f"grouping={text} in {numerator}/{denominator}: groups must be "
            f"{' or '.join(str(s) for s in sizes)} {'eighths' if denominator >= 8 else 'beats'}"
        )
    if sum(grouping) != numerator:
        raise AssistError(
            f"grouping={text} adds up to {sum(grouping)}: a bar of {numerator}/{denominator} "
            f"needs {numerator}"
        )


def _roles(count: int) -> list[Role]:
    if count == 3:
        return ["down", "back", "back"]  # waltz (and 2+2+3): boom, chick, chick
    roles: list[Role] = ["down"]
    roles += ["back" if i % 2 else "off" for i in range(1, count)]
    return roles


def beat_groups(tempo_map: TempoMap, bar: int, grouping: Grouping | None = None) -> list[BeatGroup]:
    """The beat groups of ``bar`` (1-based), covering it exactly.

    Args:
        tempo_map: The song's tempo map (meters).
        bar: The bar, 1-based.
        grouping: How to group an odd bar (see :data:`GROUPINGS`); used only where it
            fits the bar's meter, else the meter's :func:`default_grouping`.
    """
    meter = tempo_map.bar_meter(bar)
    start, length = tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar)
    num, den = meter.numerator, meter.denominator
    if grouping is not None and sum(grouping) == num:
        try:
            check_grouping(grouping, num, den)
        except AssistError:
            grouping = None
    else:
        grouping = None
    grouping = grouping or default_grouping(num, den)
    # Sizes in units of the written denominator; compound beats are three of them.
    sizes: list[int]
    kinds: list[Kind]
    roles: list[Role]
    if grouping is not None and den >= 8:
        sizes = list(grouping)
        kinds = ["compound" if g == 3 else "simple" for g in grouping]
        roles = _roles(len(sizes))
    elif grouping is not None:
        # Quarter-note odd meters: every beat its own group, the groups' heads accented.
        sizes, kinds, roles = [], [], []
        for i, g in enumerate(grouping):
            sizes += [1] * g
            kinds += ["simple"] * g
            head: Role = "down" if i == 0 else "back"
            roles += [head] + ["off"] * (g - 1)
    else:
        if den >= 8:
            sizes, kinds = [2] * max(1, num // 2), ["simple"] * max(1, num // 2)
            if num % 2:  # 3/8 and 1/8: one group of the whole bar
                sizes, kinds = [num], ["compound" if num == 3 else "simple"]
        elif den <= 2:
            split = 4 // den  # a half (or whole) note counts as two (four) quarters
            sizes, kinds = [1] * (num * split), ["simple"] * (num * split)
        else:
            sizes, kinds = [1] * num, ["simple"] * num
        roles = _roles(len(sizes))
    total = sum(sizes)
    edges = [start + length * sum(sizes[:i]) // total for i in range(len(sizes) + 1)]
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
