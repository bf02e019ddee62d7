"""Bass lines that follow the chords, in a style's rhythm and idiom.

Every beat group plays its style slice (:mod:`bandmate.assist.band.styles`): roots (the
slash bass of a slash chord), fifths, octaves, thirds, other chord tones and approach notes
that lead a semitone or a scale step into the next chord's root. A chord change that falls
where the slice has no note gets the new root there, so the line always names each chord.
Each note is placed in the octave nearest the previous one inside E1..G3 (MIDI 28..55),
so the line moves smoothly; notes end before the next one, scaled by the style's staccato.
"""

from __future__ import annotations

import numpy as np

from bandmate.assist.band.grid import Grouping, beat_groups, humanize, slice_for, step_ticks
from bandmate.assist.band.styles import Style
from bandmate.assist.request import ChordLane, Region
from bandmate.music.chord import Chord
from bandmate.music.key import Key
from bandmate.music.song import Note

LOW, HIGH = 28, 55
VELOCITY = 92


CENTRE = 40  # E2: where a bass line sits, and what it drifts back towards


def nearest(pc: int, near: int, *, low: int = LOW, high: int = HIGH) -> int:
    """The pitch of class ``pc`` nearest to ``near`` inside ``low..high``, leaning a little
    towards E2 so that a long line does not wander to the edge of the range."""
    candidates = [p for p in range(low, high + 1) if p % 12 == pc % 12]
    return min(candidates, key=lambda p: (abs(p - near) + 0.3 * abs(p - CENTRE), p))


def _degree(
    char: str,
    chord: Chord,
    following: Chord | None,
    previous: int,
    key: Key,
    rng: np.random.Generator,
) -> int:
    """The pitch a slice character asks for."""
    root = nearest(chord.bass_pc, previous)
    pcs = chord.pitch_classes
    if char == "R":
        return root
    if char == "F":
        fifth = (chord.root_pc + 7) % 12
        pc = fifth if fifth in pcs else pcs[min(2, len(pcs) - 1)]
        return nearest(pc, root)
    if char == "O":
        return root + 12 if root + 12 <= HIGH else root - 12 if root - 12 >= LOW else root
    if char == "T":
        thirds = [pc for pc in pcs if (pc - chord.root_pc) % 12 in (3, 4)]
        return nearest(thirds[0] if thirds else chord.root_pc, previous)
    if char == "S":
        others = [pc for pc in pcs if pc != previous % 12] or list(pcs)
        return nearest(int(others[int(rng.integers(0, len(others)))]), previous)
    # "A": lead into the next chord's root from a semitone or a scale step away.
    target = nearest((following or chord).bass_pc, previous)
    if rng.random() < 0.5:
        step = -1 if rng.random() < 0.5 else 1
    else:
        scale = key.pitch_classes
        below = [s for s in (1, 2) if (target - s) % 12 in scale]
        above = [s for s in (1, 2) if (target + s) % 12 in scale]
        step = -below[0] if below and rng.random() < 0.6 else above[0] if above else -1
    pitch = target + step
    return pitch if LOW <= pitch <= HIGH else target - step


def bass_notes(
    region: Region,
    style: Style,
    lane: ChordLane,
    key: Key,
    rng: np.random.Generator,
    *,
    temperature: float = 1.0,
    grouping: Grouping | None = None,
) -> list[Note]:
    """Bass notes for ``region`` over the chord lane (nothing where no chord sounds yet)."""
    tempo_map = region.tempo_map
    onsets: list[tuple[int, str]] = []  # (tick, character): notes, holds and rests
    for bar, _, _ in region.bar_ticks():
        for group in beat_groups(tempo_map, bar, grouping):
            pattern = slice_for(style.bass, group)
            if not pattern:
                onsets.append((group.start, "."))
                continue
            ticks = step_ticks(group, len(pattern), style.swing)
            onsets.extend(zip(ticks, pattern, strict=True))
    # Every chord change inside the region sounds its root if nothing starts there.
    starts = {t for t, c in onsets if c not in "-."}
    for tick, _ in lane.changes(region.start_tick, region.end_tick):
        if tick not in starts:
            onsets.append((tick, "R"))
    onsets.sort(key=lambda item: (item[0], item[1] in "-."))
    events = [(t, c) for t, c in onsets if c != "-"]  # a hold only lengthens the note before

    notes: list[Note] = []
    previous = CENTRE
    changes = [t for t, _ in lane.changes(region.start_tick, region.end_tick)]
    for i, (tick, char) in enumerate(events):
        if char == ".":
            continue
        chord = lane.at(tick)
        if chord is None:
            continue
        nxt = events[i + 1][0] if i + 1 < len(events) else region.end_tick
        cut = min([c for c in changes if c > tick] + [region.end_tick])
        end = min(nxt, cut)
        following = lane.at(cut) if cut < region.end_tick else None
        if char == "A" and end < cut:
            char = "S"  # an approach note only right before a change
        elif (
            end == cut
            and following is not None
            and char in "SF"
            and rng.random() < min(1.0, style.approach * temperature)
        ):
            char = "A"
        if char == "A" and following is None:
            char = "F"
        pitch = _degree(char, chord, following, previous, key, rng)
        length = max(1, round((end - tick) * style.staccato))
        t, v = humanize(
            tick, VELOCITY + (8 if tick in changes else 0), style=style, tempo_map=tempo_map,
            rng=rng, lo=region.start_tick, hi=region.end_tick, spread=0.6,
        )  # fmt: skip
        notes.append(Note(pitch, t, max(1, min(length, region.end_tick - t)), v))
        previous = pitch
    return notes
