"""Drum grooves by style, with fills at section ends and a crash where sections begin.

Each bar plays one of the style's grooves (the band stays on a groove for two bars or
four, and moves at random between them, more often at higher temperature). Optional
hits (``p``) sound about a third of the time. The last bar before each section, the
last bar of the request and the end of every eighth bar get a fill over their last beat
groups: sixteenths (or triplets in swing and compound beats) down the toms, growing
louder; the bar after a fill, and the first bar of a section, starts with a crash.
Timing and velocity are humanized per hit (:func:`bandmate.assist.band.grid.humanize`).
"""

from __future__ import annotations

import numpy as np

from bandmate.assist.band.grid import BeatGroup, beat_groups, humanize, step_ticks
from bandmate.assist.band.styles import CRASH, KICK, SNARE, Style
from bandmate.assist.request import Region
from bandmate.music.song import Note

VELOCITY = {"x": 112, "o": 90, "g": 46, "p": 84}
HIT_LENGTH_DIVISOR = 8  # drum notes last an eighth of a beat: a hit, not a held note


def fill_bars(region: Region, section_bars: set[int]) -> dict[int, int]:
    """Bars that end in a fill, and how many beat groups the fill takes (1 or 2)."""
    last = region.start_bar + region.bars - 1
    fills: dict[int, int] = {}
    for bar in range(region.start_bar, last + 1):
        if bar + 1 in section_bars or bar == last:
            fills[bar] = 2
        elif (bar - region.start_bar + 1) % 8 == 0:
            fills[bar] = 1
        elif (bar - region.start_bar + 1) % 4 == 0:
            fills[bar] = 0  # a lighter ending: a single fill group at low temperature
    return fills


def _fill(
    groups: list[BeatGroup], style: Style, rng: np.random.Generator, swing: float
) -> list[tuple[int, int, int]]:
    """``(tick, key, velocity)`` hits of a fill over ``groups``."""
    hits: list[tuple[int, int, int]] = []
    voices = style.fill_voices
    total = sum(4 if g.kind == "simple" and style.swing < 0.66 else 3 for g in groups)
    index = 0
    pattern = rng.integers(0, 3)  # 0: down the toms, 1: snare then toms, 2: snare roll
    for group in groups:
        steps = 3 if group.kind == "compound" or style.name == "swing" else 4
        for tick in step_ticks(group, steps, swing):
            share = index / max(1, total - 1)
            if pattern == 2 or (pattern == 1 and share < 0.5):
                key = SNARE
            else:
                key = voices[min(len(voices) - 1, int(share * len(voices)))]
            if rng.random() < 0.12 and index:  # leave a space now and then
                index += 1
                continue
            hits.append((tick, key, int(70 + 45 * share)))
            index += 1
    return hits


def drum_notes(
    region: Region,
    style: Style,
    rng: np.random.Generator,
    *,
    section_bars: set[int],
    temperature: float = 1.0,
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
        groups = beat_groups(tempo_map, bar)
        fill_size = fills.get(bar, -1)
        if fill_size == 0:
            fill_size = 1 if rng.random() < 0.5 * temperature else -1
        fill_size = min(fill_size, len(groups) - 1) if len(groups) > 1 else min(fill_size, 1)
        played = groups[: len(groups) - fill_size] if fill_size > 0 else groups
        hits: list[tuple[int, int, int]] = []
        for group in played:
            table = groove.compound if group.kind == "compound" else groove.simple
            if not table:
                table = groove.simple or groove.compound
            for key, slices in table.items():
                pattern = slices.get(group.role, "")
                if not pattern:
                    continue
                for tick, char in zip(step_ticks(group, len(pattern), style.swing), pattern,
                                      strict=True):  # fmt: skip
                    if char == "." or (char == "p" and rng.random() >= maybe):
                        continue
                    hits.append((tick, key, VELOCITY[char]))
        if fill_size > 0:
            hits += _fill(groups[len(groups) - fill_size :], style, rng, style.swing)
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
