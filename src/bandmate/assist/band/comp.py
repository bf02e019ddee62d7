"""Chord comping: the song's chords voiced smoothly and played in a style's rhythm.

Each chord is voiced with :func:`bandmate.music.chord.voice_lead` inside the style's range
(the fewest semitones moved from the previous voicing; a slash chord's bass is left to the
bass player), and struck where the style's slices say. A chord change that falls between
strikes is struck where it happens, and no strike holds over a change.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bandmate.assist.band.grid import Grouping, beat_groups, humanize, slice_for, step_ticks
from bandmate.assist.band.styles import Style
from bandmate.assist.request import ChordLane, Region
from bandmate.errors import MusicError
from bandmate.music.chord import Chord, voice_chord, voice_lead
from bandmate.music.song import Note

VELOCITY = {"x": 86, "o": 72, "p": 66}


def _voicing(previous: tuple[int, ...], chord: Chord, low: int, high: int) -> tuple[int, ...]:
    upper = replace(chord, bass=None)
    try:
        return voice_lead(previous, upper, low=low, high=high)
    except MusicError:
        return voice_chord(upper, low=max(0, low - 12), high=min(127, high + 12))


def comp_notes(
    region: Region,
    style: Style,
    lane: ChordLane,
    rng: np.random.Generator,
    *,
    temperature: float = 1.0,
    grouping: Grouping | None = None,
) -> list[Note]:
    """Comping notes for ``region`` over the chord lane (silent where no chord sounds yet)."""
    tempo_map = region.tempo_map
    events: list[tuple[int, str]] = []
    for bar, _, _ in region.bar_ticks():
        for group in beat_groups(tempo_map, bar, grouping):
            pattern = slice_for(style.comp, group)
            if not pattern:
                events.append((group.start, "."))
                continue
            ticks = step_ticks(group, len(pattern), style.swing)
            events.extend(zip(ticks, pattern, strict=True))
    changes = [t for t, _ in lane.changes(region.start_tick, region.end_tick)]
    struck = {t for t, c in events if c in "xop"}
    events += [(t, "o") for t in changes if t not in struck]
    events.sort(key=lambda item: (item[0], item[1] in "-."))
    events = [(t, c) for t, c in events if c != "-"]
    maybe = min(0.95, 0.4 * temperature)
    low, high = style.comp_range
    notes: list[Note] = []
    voicing: tuple[int, ...] = ()
    voiced: Chord | None = None
    for i, (tick, char) in enumerate(events):
        if char == "." or (char == "p" and rng.random() >= maybe):
            continue
        chord = lane.at(tick)
        if chord is None:
            continue
        if chord != voiced:
            voicing, voiced = _voicing(voicing, chord, low, high), chord
        nxt = events[i + 1][0] if i + 1 < len(events) else region.end_tick
        cut = min([c for c in changes if c > tick] + [region.end_tick, nxt])
        length = max(1, round((cut - tick) * style.staccato))
        base, spread = VELOCITY.get(char, 72), 0.0
        for pitch in voicing:
            t, v = humanize(
                tick + round(spread), base, style=style, tempo_map=tempo_map, rng=rng,
                lo=region.start_tick, hi=region.end_tick, spread=0.5,
            )  # fmt: skip
            notes.append(Note(pitch, t, max(1, min(length, region.end_tick - t)), v))
            spread += 0.0 if style.humanize_ms == 0 else tempo_map.ppq / 96  # a strum
    return notes
