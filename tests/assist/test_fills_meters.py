"""Fills per style at section and phrase ends, and odd meters felt in the request's grouping."""

from __future__ import annotations

import numpy as np
import pytest

from bandmate.assist import BAND_STYLES, AssistError, PartRequest, suggest_backing, suggest_drums
from bandmate.assist.band.fills import RECIPES, fill_hits
from bandmate.assist.band.grid import GROUPINGS, beat_groups, check_grouping, default_grouping
from bandmate.assist.band.styles import (
    CLAP,
    CRASH,
    HAT,
    KICK,
    RIDE,
    SIDE,
    SNARE,
    STYLES_LIBRARY,
    TAMBOURINE,
)
from bandmate.assist.request import parse_grouping
from bandmate.music import ChordEvent, MeterChange, Note, Section, Song, parse_chord
from bandmate.music.key import parse_key
from bandmate.music.time import TempoMap

TOMS = {41, 43, 45, 47, 48, 50}


def _song(meter: tuple[int, int] = (4, 4), bars: int = 16, sections: tuple[int, ...] = ()) -> Song:
    tempo_map = TempoMap(480, meters=(MeterChange(0, *meter),))
    symbols = ["C", "Am", "F", "G7"] * (bars // 4)
    chords = tuple(
        ChordEvent(tempo_map.bar_start_tick(i + 1), tempo_map.bar_length(i + 1), parse_chord(s))
        for i, s in enumerate(symbols)
    )
    return Song(
        key=parse_key("C"),
        meters=(MeterChange(0, *meter),),
        chords=chords,
        sections=tuple(Section(tempo_map.bar_start_tick(b), f"S{b}") for b in sections),
    )


def _bar_of(song: Song, tick: int) -> int:
    return TempoMap.from_song(song).bar_at(tick)


def test_every_style_has_its_own_fills() -> None:
    assert set(RECIPES) == set(BAND_STYLES)
    for recipes in RECIPES.values():
        assert sum(w for _, w in recipes) == pytest.approx(1.0)


@pytest.mark.parametrize("style", BAND_STYLES)
def test_fills_are_idiomatic(style: str) -> None:
    tempo_map = TempoMap(480, meters=(MeterChange(0, 4, 4),))
    groups = beat_groups(tempo_map, 1)[2:]
    keys: set[int] = set()
    for seed in range(12):
        hits = fill_hits(groups, STYLES_LIBRARY[style], np.random.default_rng(seed))
        assert hits
        assert all(groups[0].start <= t < groups[-1].start + groups[-1].length for t, _, _ in hits)
        assert all(1 <= v <= 127 for _, _, v in hits)
        keys |= {k for _, k, _ in hits}
    if style == "rock":
        assert keys & TOMS
    if style == "funk":  # ghost notes under the accents
        vels = [v for s in range(6) for t, k, v in fill_hits(groups, STYLES_LIBRARY[style],
                np.random.default_rng(s)) if k == SNARE]  # fmt: skip
        assert min(vels) < 55 < 100 < max(vels)
    if style == "swing":
        assert RIDE in keys
        assert KICK in keys
    if style == "bossa":
        assert SIDE in keys
    if style == "electronic":
        assert keys <= {SNARE, CLAP}
    if style == "folk":
        assert TAMBOURINE in keys


def test_electronic_riser_gets_denser_and_louder() -> None:
    tempo_map = TempoMap(480, meters=(MeterChange(0, 4, 4),))
    groups = beat_groups(tempo_map, 1)
    hits = fill_hits(groups, STYLES_LIBRARY["electronic"], np.random.default_rng(0))
    per_group = [sum(g.start <= t < g.start + g.length for t, _, _ in hits) for g in groups]
    assert per_group == sorted(per_group)
    assert per_group[-1] > per_group[0]
    first = [v for t, _, v in hits if t < groups[1].start]
    last = [v for t, _, v in hits if t >= groups[-1].start]
    assert max(first) < min(last)


def test_fills_fall_at_phrase_and_section_ends() -> None:
    song = _song(bars=16, sections=(1, 9))
    tempo_map = TempoMap.from_song(song)
    for seed in range(6):
        [s] = suggest_drums(song, PartRequest(style="rock", seed=seed, temperature=0.01))
        notes = s.tracks[0].notes

        def hats_late(bar: int, notes: tuple[Note, ...] = notes) -> int:
            # Hats in the bar's last two beats: the groove keeps time there unless a fill plays.
            late = tempo_map.bar_start_tick(bar) + 2 * 480 + 60
            return sum(n.pitch == HAT and late <= n.start < late + 840 for n in notes)

        # Before the section at bar 9 and at the request's end the fill replaces the groove;
        # in the middle of a phrase it never does (the bar 4 and 12 fills are optional).
        assert hats_late(8) == 0
        assert hats_late(16) == 0
        assert all(hats_late(bar) > 0 for bar in (1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15))
        crashes = {_bar_of(song, n.start + 60) for n in notes if n.pitch == CRASH}
        assert {1, 9} <= crashes


def test_the_same_seed_gives_the_same_fills_and_another_seed_varies_them() -> None:
    song = _song(bars=16, sections=(1, 9))
    runs = {
        seed: suggest_drums(song, PartRequest(style=style, seed=seed))[0].tracks[0].notes
        for style in ("funk",)
        for seed in (5, 5, 6, 7)
    }
    again = suggest_drums(song, PartRequest(style="funk", seed=5))[0].tracks[0].notes
    assert runs[5] == again
    assert runs[6] != runs[7]


def test_electronic_riser_before_a_section_keeps_the_kick() -> None:
    song = _song(bars=8, sections=(1, 5))
    tempo_map = TempoMap.from_song(song)
    [s] = suggest_drums(song, PartRequest(style="electronic", seed=1))
    start, end = tempo_map.bar_start_tick(4), tempo_map.bar_start_tick(5)
    bar4 = [n for n in s.tracks[0].notes if start <= n.start < end]
    assert sum(n.pitch == KICK for n in bar4) == 4
    assert sum(n.pitch in (SNARE, CLAP) for n in bar4) >= 12


@pytest.mark.parametrize(
    ("meter", "grouping"),
    [((5, 8), (3, 2)), ((7, 8), (2, 2, 3)), ((9, 8), (3, 3, 3)), ((11, 8), (2, 2, 3, 2, 2)),
     ((5, 4), (3, 2)), ((7, 4), (2, 2, 3)), ((6, 8), (3, 3)), ((12, 8), (3, 3, 3, 3))],
)  # fmt: skip
def test_default_groupings(meter: tuple[int, int], grouping: tuple[int, ...]) -> None:
    assert default_grouping(*meter) == grouping
    check_grouping(grouping, *meter)


def test_known_groupings_all_fit() -> None:
    for meter, groupings in GROUPINGS.items():
        num, den = (int(x) for x in meter.split("/"))
        for grouping in groupings:
            check_grouping(grouping, num, den)


@pytest.mark.parametrize(
    ("meter", "grouping", "lengths"),
    [
        ((5, 8), (2, 3), [480, 720]),
        ((5, 8), (3, 2), [720, 480]),
        ((7, 8), (3, 2, 2), [720, 480, 480]),
        ((7, 8), (2, 3, 2), [480, 720, 480]),
        ((9, 8), (2, 2, 2, 3), [480, 480, 480, 720]),
        ((11, 8), (3, 3, 3, 2), [720, 720, 720, 480]),
    ],
)
def test_a_grouping_cuts_the_bar(
    meter: tuple[int, int], grouping: tuple[int, ...], lengths: list[int]
) -> None:
    tempo_map = TempoMap(480, meters=(MeterChange(0, *meter),))
    groups = beat_groups(tempo_map, 3, grouping)
    assert [g.length for g in groups] == lengths
    assert [g.kind for g in groups] == ["compound" if n == 720 else "simple" for n in lengths]
    assert groups[0].role == "down"


def test_five_four_accents_the_group_heads() -> None:
    tempo_map = TempoMap(480, meters=(MeterChange(0, 5, 4),))
    assert [g.role for g in beat_groups(tempo_map, 1, (3, 2))] == [
        "down",
        "off",
        "off",
        "back",
        "off",
    ]
    assert [g.role for g in beat_groups(tempo_map, 1, (2, 3))] == [
        "down",
        "off",
        "back",
        "off",
        "off",
    ]


@pytest.mark.parametrize("grouping", [(3, 2, 2), (2, 3, 2), (2, 2, 3)])
def test_bass_and_drums_follow_the_grouping(grouping: tuple[int, ...]) -> None:
    song = _song((7, 8), bars=8)
    tempo_map = TempoMap.from_song(song)
    [s] = suggest_backing(song, PartRequest(style="rock", seed=3, grouping=grouping))
    _comp, bass, drums = s.tracks
    heads = [sum(grouping[:i]) * 240 for i in range(len(grouping))]
    for bar in range(2, 7):
        start = tempo_map.bar_start_tick(bar)
        kicks = {round((n.start - start) / 240) * 240 for n in drums.notes
                 if n.pitch == KICK and start - 60 <= n.start < start + 3360 - 60}  # fmt: skip
        onsets = {round((n.start - start) / 240) * 240 for n in bass.notes
                  if start - 60 <= n.start < start + 3360 - 60}  # fmt: skip
        assert 0 in kicks
        assert set(heads) <= onsets, (bar, onsets)  # rock bass plays each group's head
    other = suggest_backing(song, PartRequest(style="rock", seed=3, grouping=(2, 2, 3)))[0]
    if grouping != (2, 2, 3):
        assert other.tracks[1].notes != bass.notes


def test_bad_groupings_are_clear_errors() -> None:
    song = _song((7, 8), bars=4)
    with pytest.raises(AssistError, match="adds up to 6"):
        suggest_drums(song, PartRequest(grouping=(3, 3)))
    with pytest.raises(AssistError, match="groups must be 2 or 3 eighths"):
        suggest_drums(song, PartRequest(grouping=(4, 3)))
    with pytest.raises(AssistError, match="grouping"):
        PartRequest(grouping=(0, 7))
    with pytest.raises(AssistError, match="grouping"):
        PartRequest(grouping=(2,) * 40)
    for text in ("", "2++3", "two+three", "2+3" * 40, "-2+9", "²+3", "٣+٢", "999+1", "2+3\x00"):
        with pytest.raises(AssistError, match="grouping"):
            parse_grouping(text)
    assert parse_grouping(" 2+2+3 ") == (2, 2, 3)


def test_a_grouping_leaves_other_meters_alone() -> None:
    four = _song((4, 4), bars=4)
    with pytest.raises(AssistError, match="fits no bar in 4/4"):
        suggest_drums(four, PartRequest(grouping=(3, 2)))
