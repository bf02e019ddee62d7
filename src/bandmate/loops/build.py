"""The starter library's grid: which loops exist, each described exactly by a spec.

:func:`build_specs` lays out drums for every style at three tempi, bass and chord loops
for every style in eight keys (major and minor, common progressions of the style), and
pads in every major and minor key, then measures each loop's mood from its notes
(the heuristic of :mod:`bandmate.listen.mood` on the mode, tempo, velocities and
pulse of its notes). The same seed gives the same library; ``scripts/build_loops.py`` writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from bandmate.assist.band.styles import STYLES, STYLES_LIBRARY
from bandmate.listen.mood import estimate_mood
from bandmate.loops.catalog import LoopRole, LoopSpec, MoodLabel
from bandmate.loops.generate import loop_song
from bandmate.music.chord import parse_chord, transpose_chord
from bandmate.music.key import Key, parse_key

TEMPI: dict[str, tuple[int, int, int]] = {
    "rock": (112, 120, 128), "pop": (98, 108, 118), "funk": (94, 100, 108),
    "hiphop": (82, 88, 94), "swing": (126, 144, 160), "bossa": (124, 132, 140),
    "reggae": (70, 76, 82), "electronic": (120, 124, 128), "folk": (88, 98, 108),
}  # fmt: skip
"""Slow, middle and fast tempo of each style, bpm."""
MAJOR_KEYS = ("C", "G", "D", "F", "Bb", "A", "Eb", "E")
MINOR_KEYS = ("A", "E", "D", "B", "G", "C", "F#", "F")
# Progressions in C major and A minor, one chord a bar; moved to each loop's key.
POP_MAJOR = (("C", "G", "Am", "F"), ("C", "F", "G", "F"), ("C", "Am", "F", "G"))
POP_MINOR = (("Am", "F", "C", "G"), ("Am", "Dm", "Em", "Am"), ("Am", "G", "F", "G"))
JAZZ_MAJOR = (("Dm7", "G7", "Cmaj7", "Cmaj7"), ("Cmaj7", "Am7", "Dm7", "G7"))
JAZZ_MINOR = (("Bm7b5", "E7", "Am7", "Am7"), ("Am7", "Dm7", "E7", "Am7"))
JAZZY = {"swing", "bossa"}
PAD_PROGRAMS = (88, 89, 91, 94)
"""GM pads: new age, warm, choir, halo."""
PAD_STYLES = ("electronic", "pop", "folk", "hiphop")
PITCHED_PER_STYLE = 8
DRUM_SEEDS = 2
BARS = 4
DRUM_BARS = 2


def _progression(style: str, minor: bool, index: int) -> tuple[str, ...]:
    options: tuple[tuple[str, ...], ...]
    if style in JAZZY:
        options = JAZZ_MINOR if minor else JAZZ_MAJOR
    else:
        options = POP_MINOR if minor else POP_MAJOR
    return options[index % len(options)]


def _in_key(progression: tuple[str, ...], key: Key) -> tuple[str, ...]:
    home = 9 if key.is_minor else 0
    shift = (key.tonic_pc - home + 5) % 12 - 5
    return tuple(str(transpose_chord(parse_chord(s), shift, key=key)) for s in progression)


def _slug(text: str) -> str:
    return text.lower().replace("#", "s").replace(" ", "-")


def _mood(spec: LoopSpec) -> tuple[float, float, MoodLabel]:
    """The mood heuristic of :mod:`bandmate.listen.mood` on the loop's notes.

    The mode stands for the harmony (what :func:`~bandmate.listen.symbolic.analyze_song`
    reads from a whole song), and brightness is left neutral: a bass loop is low by its
    role, which says nothing about its mood.
    """
    song = loop_song(spec)
    notes = song.tracks[0].notes
    on_beat = sum(1 for n in notes if n.start % song.ppq == 0) / max(len(notes), 1)
    velocity = float(np.mean([n.velocity for n in notes])) / 127.0 if notes else 0.0
    key = spec.parsed_key()
    major = 0.0 if key is None else (-0.8 if key.is_minor else 0.8)
    mood = estimate_mood(
        major=major, bpm=spec.bpm, energy=velocity, brightness_hz=1500.0, rhythm_strength=on_beat
    )
    label: MoodLabel = mood.label  # type: ignore[assignment]  # one of the four quadrants
    return mood.valence, mood.arousal, label


def _drafts(seed: int) -> Iterator[LoopSpec]:
    for s, style in enumerate(STYLES):
        programs = STYLES_LIBRARY[style].programs
        for t, bpm in enumerate(TEMPI[style]):
            for v in range(DRUM_SEEDS):
                yield LoopSpec(
                    id=f"lib-drums-{style}-{bpm}-{v}",
                    role="drums", style=style, key=None, bpm=float(bpm), bars=DRUM_BARS,
                    progression=(), seed=seed * 1000 + s * 100 + t * 10 + v,
                    valence=0.0, arousal=0.0, mood="calm", program=programs[2],
                )  # fmt: skip
        pitched: tuple[LoopRole, ...] = ("bass", "chords")
        for r in pitched:
            role = r
            for i in range(PITCHED_PER_STYLE):
                minor = i % 2 == 1
                names = MINOR_KEYS if minor else MAJOR_KEYS
                key = parse_key(
                    f"{names[(i // 2 + 2 * s) % len(names)]} {'minor' if minor else 'major'}"
                )
                bpm = TEMPI[style][i % 3]
                yield LoopSpec(
                    id=f"lib-{role}-{style}-{_slug(str(key))}-{bpm}-{i}",
                    role=r, style=style, key=str(key), bpm=float(bpm), bars=BARS,
                    progression=_in_key(_progression(style, minor, i // 2), key),
                    seed=seed * 1000 + s * 100 + 50 + i, valence=0.0, arousal=0.0, mood="calm",
                    program=programs[1] if role == "bass" else programs[0],
                )  # fmt: skip
    for i, tonic in enumerate(("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")):
        for minor in (False, True):
            name = {"Db": "C#", "Ab": "G#"}.get(tonic, tonic) if minor else tonic
            key = parse_key(f"{name} {'minor' if minor else 'major'}")
            progression = POP_MINOR[i % 3] if minor else POP_MAJOR[i % 3]
            bpm = (70, 84, 96, 110)[(2 * i + minor) % 4]
            yield LoopSpec(
                id=f"lib-pad-{_slug(str(key))}-{bpm}",
                role="pad", style=PAD_STYLES[i % len(PAD_STYLES)], key=str(key), bpm=float(bpm),
                bars=BARS, progression=_in_key(progression, key), seed=seed * 1000 + 900 + i,
                valence=0.0, arousal=0.0, mood="calm",
                program=PAD_PROGRAMS[(2 * i + minor) % len(PAD_PROGRAMS)],
            )  # fmt: skip


def build_specs(
    seed: int = 1, *, progress: Callable[[int, int, LoopSpec], None] | None = None
) -> list[LoopSpec]:
    """Every loop of the starter library, its mood measured.

    Args:
        seed: Seeds every loop's pattern choices.
        progress: Called as ``progress(done, total, spec)`` after each loop.
    """
    drafts = list(_drafts(seed))
    out = []
    for n, draft in enumerate(drafts, 1):
        valence, arousal, mood = _mood(draft)
        spec = LoopSpec(
            id=draft.id, role=draft.role, style=draft.style, key=draft.key, bpm=draft.bpm,
            bars=draft.bars, progression=draft.progression, seed=draft.seed,
            valence=round(valence, 4), arousal=round(arousal, 4), mood=mood, program=draft.program,
        )  # fmt: skip
        out.append(spec)
        if progress is not None:
            progress(n, len(drafts), spec)
    return out
