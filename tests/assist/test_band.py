"""The band's pattern library played over real progressions: bass on the chords, comping in
the chords, drums with fills where sections end, in every style and several meters."""

from __future__ import annotations

import numpy as np
import pytest

from bandmate.assist import BAND_STYLES, PartRequest, suggest_backing, suggest_bass, suggest_drums
from bandmate.assist.band.grid import beat_groups
from bandmate.assist.band.styles import CRASH, KICK, STYLES_LIBRARY
from bandmate.assist.request import ChordLane
from bandmate.music import ChordEvent, MeterChange, Section, Song, parse_chord
from bandmate.music.key import parse_key
from bandmate.music.time import TempoMap

BAR = 1920
TOMS = {41, 43, 45, 47, 48, 50}


def lane(*symbols: str, bar: int = BAR) -> tuple[ChordEvent, ...]:
    return tuple(ChordEvent(i * bar, bar, parse_chord(s)) for i, s in enumerate(symbols))


def song_in(key: str, *symbols: str) -> Song:
    return Song(key=parse_key(key), chords=lane(*symbols))


@pytest.mark.parametrize("style", BAND_STYLES)
def test_bass_names_every_chord_on_its_first_beat(style: str) -> None:
    song = song_in("Bb", "Bb", "Gm7", "Eb", "F7", "Bb/D", "Cm7", "F7sus4", "Bb")
    [s] = suggest_bass(song, PartRequest(style=style, seed=2))
    notes = s.tracks[0].notes
    tolerance = song.ppq // 8  # humanized timing
    for event in song.chords:
        first = [n for n in notes if abs(n.start - event.tick) <= tolerance]
        assert first, f"{style}: no bass note where {event.chord} begins"
        assert any(n.pitch % 12 == event.chord.bass_pc for n in first), style
    assert all(28 <= n.pitch <= 55 for n in notes)
    chords = ChordLane(song.chords)
    sounding = [chords.at(min(n.start + tolerance, 8 * BAR - 1)) for n in notes]
    on_chord = sum(
        c is not None and n.pitch % 12 in c.pitch_classes
        for n, c in zip(notes, sounding, strict=True)
    )
    assert on_chord / len(notes) > 0.6  # approach notes are the rest


@pytest.mark.parametrize("style", BAND_STYLES)
def test_comping_plays_the_chords(style: str) -> None:
    song = song_in("A minor", "Am", "Dm7", "G7", "Cmaj7", "Fmaj7", "Bm7b5", "E7", "Am")
    [s] = suggest_backing(song, PartRequest(style=style, seed=3))
    comp, _bass, drums = s.tracks
    assert [t.name for t in s.tracks] == ["Bandmate comping", "Bandmate bass", "Bandmate drums"]
    assert drums.instrument.drums
    assert not comp.instrument.drums
    chords = ChordLane(song.chords)
    for note in comp.notes:
        # Humanizing moves a strike a few ticks; the chord is the one it was meant for.
        chord = chords.at(note.start + song.ppq // 8)
        assert chord is not None
        assert note.pitch % 12 in chord.pitch_classes, (style, note)
    struck = {chords.at(n.start + song.ppq // 8) for n in comp.notes}
    assert len(struck) == len({c.chord for c in song.chords})  # every chord is heard
    low, high = STYLES_LIBRARY[style].comp_range
    assert all(low - 12 <= n.pitch <= high + 12 for n in comp.notes)


def test_drums_fill_before_each_section_and_crash_into_it() -> None:
    song = Song(
        key=parse_key("C"),
        chords=lane(*["C", "F", "G", "C"] * 3),
        sections=(Section(0, "Verse"), Section(4 * BAR, "Chorus"), Section(8 * BAR, "Bridge")),
    )
    for style in ("rock", "pop", "funk"):
        [s] = suggest_drums(song, PartRequest(style=style, seed=5))
        notes = s.tracks[0].notes
        for bar_start in (3 * BAR, 7 * BAR, 11 * BAR):  # the bars that end a section
            last_half = [n for n in notes if bar_start + BAR // 2 <= n.start < bar_start + BAR]
            assert any(n.pitch in TOMS or n.pitch == 38 for n in last_half), style
        for section_start in (0, 4 * BAR, 8 * BAR):
            near = [n for n in notes if abs(n.start - section_start) < song.ppq // 8]
            assert {CRASH, KICK} <= {n.pitch for n in near}, (style, section_start)


@pytest.mark.parametrize("style", BAND_STYLES)
def test_grooves_are_humanized_but_close_to_the_grid(style: str) -> None:
    song = song_in("C", "C", "G", "Am", "F")
    [s] = suggest_drums(song, PartRequest(style=style, seed=7))
    notes = s.tracks[0].notes
    sixteenth = song.ppq // 4
    triplet = song.ppq // 3
    offsets = [
        min(n.start % sixteenth, sixteenth - n.start % sixteenth, n.start % triplet,
            triplet - n.start % triplet)
        for n in notes
    ]  # fmt: skip
    assert max(offsets) <= song.ppq // 8
    velocities = {n.velocity for n in notes}
    if STYLES_LIBRARY[style].humanize_ms > 0:
        assert any(offsets)
        assert len(velocities) > 5
    else:
        assert not any(offsets)  # electronic: on the grid


def test_temperature_varies_the_groove() -> None:
    song = song_in("C", *["C", "G", "Am", "F"] * 4)
    calm = suggest_drums(song, PartRequest(style="rock", seed=1, temperature=0.1))[0]
    wild = suggest_drums(song, PartRequest(style="rock", seed=1, temperature=3.0))[0]
    assert len(wild.tracks[0].notes) > len(calm.tracks[0].notes)


@pytest.mark.parametrize(
    ("meter", "lengths"),
    [
        ((4, 4), [480] * 4),
        ((3, 4), [480] * 3),
        ((6, 8), [720] * 2),
        ((7, 8), [480, 480, 720]),
        ((5, 4), [480] * 5),
        ((2, 2), [480] * 4),
        ((12, 8), [720] * 4),
    ],
)
def test_beat_groups(meter: tuple[int, int], lengths: list[int]) -> None:
    tempo_map = TempoMap(480, meters=(MeterChange(0, *meter),))
    groups = beat_groups(tempo_map, 2)
    assert [g.length for g in groups] == lengths
    assert groups[0].start == tempo_map.bar_start_tick(2)
    assert groups[0].role == "down"


def test_the_same_seed_gives_the_same_backing() -> None:
    song = song_in("E", "E", "A", "B7", "E")
    one = suggest_backing(song, PartRequest(style="bossa", seed=42))
    two = suggest_backing(song, PartRequest(style="bossa", seed=42))
    other = suggest_backing(song, PartRequest(style="bossa", seed=43))
    assert one == two
    assert one[0].tracks != other[0].tracks
    rng_free = [n.start for n in one[0].tracks[2].notes]
    assert rng_free == sorted(rng_free)
    assert np.all(np.diff(rng_free) >= 0)
