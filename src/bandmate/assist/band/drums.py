"""Drum grooves by style, with fills at section and phrase ends and crashes where sections begin.

Each bar plays one of the style's grooves (the band stays on a groove for two bars or
four, and moves at random between them, more often at higher temperature). Optional
hits (``p``) sound about a third of the time. Phrases are counted from the last section
start (or the request's first bar): the bar before each section and the last bar of the
request get a fill over their last two beat groups, the end of every eighth bar over one,
and the end of every fourth bar one now and then (more often at higher temperature). The
fills are the style's own (:mod:`bandmate.assist.band.fills`); the electronic riser fills a
whole bar before a section and keeps the four-on-the-floor kick under it. The bar after a
fill, and the first bar of a section, starts with a crash. Timing and velocity are
humanized per hit (:func:`bandmate.assist.band.grid.humanize`); the bar's beat groups
follow the request's grouping for odd meters.
"""

from __future__ import annotations

import numpy as np

from bandmate.assist.band.fills import fill_hits
from bandmate.assist.band.grid import Grouping, beat_groups, humanize, step_ticks
from bandmate.assist.band.styles import CRASH, KICK, Style
from bandmate.assist.request import Region
from bandmate.music.song import Note

VELOCITY = {"x": 112, "o": 90, "g": 46, "p": 84}
HIT_LENGTH_DIVISOR = 8  # drum notes last an eighth of a beat: a hit, not a held note


def fill_bars(region: Region, section_bars: set[int]) -> dict[int, int]:
    """Bars that end in a fill, and how many beat groups the fill takes.

    2 before a section and at the request's end; 1 at the end of every eighth bar of a
    phrase; 0 (a fill only sometimes) at the end of every fourth; phrases count from the
    last section start at or before the bar (or the request's first bar).
    """
    last = region.start_bar + region.bars - 1
    fills: dict[int, int] = {}
    phrase_start = region.start_bar
    for bar in range(region.start_bar, last + 1):
        if bar in section_bars:
            phrase_start = bar
        position = bar - phrase_start + 1
        if bar + 1 in section_bars or bar == last:
            fills[bar] = 2
        elif position % 8 == 0:
            fills[bar] = 1
        elif position % 4 == 0:
            fills[bar] = 0  # a lighter ending: a fill of one group, only sometimes
    return fills


def drum_notes(
    region: Region,
    style: Style,
    rng: np.random.Generator,
    *,
    section_bars: set[int],
    temperature: float = 1.0,
    grouping: Grouping | None = None,
) -> list[Note]:
    """Drum notes (GM keys) for every bar of ``region``, humanized, inside the region."""
    tempo_map = region.tempo_map
    fills = fill_bars(region, section_bars)
    maybe = min(0.95, 0.33 * temperature)
    change = min(0.9, 0.3 * temperature)
    groove = style.grooves[0]
    notes: list[Note] = []
    crash_next = region.start_bar in section_bars or region.start_bar == 1
    for bar, _, _ in region.bar_ticks():
        offset = bar - region.start_bar
        if offset % 2 == 0 and rng.random() < change:
            groove = style.grooves[int(rng.integers(0, len(style.grooves)))]
        groups = beat_groups(tempo_map, bar, grouping)
        fill_size = fills.get(bar, -1)
        if fill_size == 0:
            fill_size = 1 if rng.random() < 0.5 * temperature else -1
        fill_size = min(fill_size, len(groups) - 1) if len(groups) > 1 else min(fill_size, 1)
        riser = style.name == "electronic" and fills.get(bar) == 2 and bar + 1 in section_bars
        if riser:
            fill_size = len(groups)  # a whole-bar riser into the next section
        played = groups[: len(groups) - fill_size] if fill_size > 0 else groups
        kept = groups if riser else played  # under a riser the kick keeps four on the floor
        hits: list[tuple[int, int, int]] = []
        for group in kept:
            table = groove.compound if group.kind == "compound" else groove.simple
            if not table:
                table = groove.simple or groove.compound
            for key, slices in table.items():
                if group not in played and key != KICK:
                    continue
                pattern = slices.get(group.role, "")
                if not pattern:
                    continue
                for tick, char in zip(step_ticks(group, len(pattern), style.swing), pattern,
                                      strict=True):  # fmt: skip
                    if char == "." or (char == "p" and rng.random() >= maybe):
                        continue
                    hits.append((tick, key, VELOCITY[char]))
        if fill_size > 0:
            hits += fill_hits(groups[len(groups) - fill_size :], style, rng)
        if crash_next:
            hits.append((groups[0].start, CRASH, 108))
            if not any(t == groups[0].start and k == KICK for t, k, _ in hits):
                hits.append((groups[0].start, KICK, 104))
        crash_next = fill_size > 0 and bar + 1 in section_bars | {bar + 1}
        length = max(1, min(g.length for g in groups) // HIT_LENGTH_DIVISOR)
        for tick, key, velocity in hits:
            t, v = humanize(
                tick, velocity, style=style, tempo_map=tempo_map, rng=rng,
                lo=region.start_tick, hi=region.end_tick,
            )  # fmt: skip
            notes.append(Note(key, t, max(1, min(length, region.end_tick - t)), v))
    return notes
