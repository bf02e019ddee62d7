"""The demo song every fresh install starts with: eight bars of pop in C, four parts.

It is real material (melody, chord lane, comping, bass, drums), small enough to
read here, and used by ``make run``, the studio's first start and the tests.
"""

from __future__ import annotations

from bandmate.music.chord import parse_chord
from bandmate.music.key import Key
from bandmate.music.song import (
    ChordEvent,
    Instrument,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
)

PPQ = 480
BAR = 4 * PPQ

# One chord a bar: I V vi IV, twice.
PROGRESSION = ("C", "G", "Am", "F", "C", "G", "Am", "F")
VOICINGS: dict[str, tuple[int, ...]] = {
    "C": (60, 64, 67),
    "G": (59, 62, 67),
    "Am": (60, 64, 69),
    "F": (60, 65, 69),
}
BASS_ROOTS = {"C": 36, "G": 43, "Am": 45, "F": 41}

# (pitch, start in eighths within the eight bars, length in eighths)
MELODY: tuple[tuple[int, int, int], ...] = (
    (72, 0, 2), (74, 2, 1), (76, 3, 3), (74, 6, 2),
    (74, 8, 2), (71, 10, 2), (67, 12, 4),
    (69, 16, 2), (72, 18, 2), (76, 20, 3), (74, 23, 1),
    (72, 24, 4), (69, 28, 4),
    (72, 32, 2), (74, 34, 1), (76, 35, 3), (79, 38, 2),
    (79, 40, 2), (77, 42, 2), (74, 44, 4),
    (76, 48, 2), (77, 50, 2), (76, 52, 2), (74, 54, 2),
    (72, 56, 8),
)  # fmt: skip

KICK, SNARE, HAT = 36, 38, 42


def demo_song() -> Song:
    """Build the demo song: "First Light", 8 bars at 96 bpm in C major."""
    eighth = PPQ // 2
    melody = tuple(Note(p, s * eighth, d * eighth - 24, 96) for p, s, d in MELODY)
    keys: list[Note] = []
    bass: list[Note] = []
    drums: list[Note] = []
    for bar, name in enumerate(PROGRESSION):
        start = bar * BAR
        for beat in range(4):
            tick = start + beat * PPQ
            velocity = 78 if beat % 2 == 0 else 66
            keys.extend(Note(p, tick, PPQ - 40, velocity) for p in VOICINGS[name])
        root = BASS_ROOTS[name]
        bass.append(Note(root, start, 3 * eighth, 100))
        bass.append(Note(root, start + 3 * eighth, eighth, 84))
        bass.append(Note(root + 7, start + 2 * PPQ, PPQ, 90))
        bass.append(Note(root + 12 if bar % 2 else root, start + 3 * PPQ, PPQ - 30, 86))
        for step in range(8):
            tick = start + step * eighth
            drums.append(Note(HAT, tick, eighth // 2, 72 if step % 2 == 0 else 52))
        drums.extend(Note(KICK, start + t * eighth, eighth, 110) for t in (0, 3, 4))
        drums.extend(Note(SNARE, start + t * PPQ, eighth, 100) for t in (1, 3))
    return Song(
        title="First Light",
        ppq=PPQ,
        tempos=(TempoChange(0, 96.0),),
        meters=(MeterChange(0, 4, 4),),
        key=Key("C", "major"),
        tracks=(
            Track("Lead", Instrument(73), melody, volume=104, pan=-10),
            Track("Keys", Instrument(4), tuple(keys), volume=80, pan=14),
            Track("Bass", Instrument(33), tuple(bass), volume=100),
            Track("Drums", Instrument(0, drums=True), tuple(drums), volume=96),
        ),
        chords=tuple(
            ChordEvent(bar * BAR, BAR, parse_chord(name)) for bar, name in enumerate(PROGRESSION)
        ),
        sections=(Section(0, "Verse"), Section(4 * BAR, "Chorus")),
    )
