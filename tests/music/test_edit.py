"""Tests for bar-level edits: slice, append/join, insert and delete bars."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.errors import MusicError
from bandmate.music.chord import parse_chord
from bandmate.music.edit import append_song, delete_bars, insert_bars, join_songs, slice_bars
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
from bandmate.music.time import TempoMap

BAR = 1920  # a 4/4 bar at 480 ppq
BASS = Instrument(33)


@pytest.fixture
def song() -> Song:
    """Eight bars: 4/4 at 120 bpm, 100 bpm from bar 5, 3/4 from bar 7 (starts at 6 * BAR)."""
    return Song(
        title="Demo",
        key=Key("C"),
        tempos=(TempoChange(0, 120.0), TempoChange(4 * BAR, 100.0)),
        meters=(MeterChange(0, 4, 4), MeterChange(6 * BAR, 3, 4)),
        tracks=(
            Track(
                "Keys",
                notes=(
                    Note(60, 0, 480),
                    Note(64, 2 * BAR - 240, 480),  # crosses into bar 3
                    Note(67, 2 * BAR, 960),
                    Note(72, 4 * BAR - 480, 960),  # crosses into bar 5
                ),
            ),
            Track("Bass", BASS, notes=(Note(36, 2 * BAR + 480, 480), Note(43, 6 * BAR, 1440))),
        ),
        chords=tuple(ChordEvent(b * BAR, BAR, parse_chord("C")) for b in range(6)),
        sections=(Section(0, "Verse"), Section(4 * BAR, "Chorus")),
    )


def _notes(song: Song, name: str) -> list[tuple[int, int, int]]:
    track = next(t for t in song.tracks if t.name == name)
    return [(n.pitch, n.start, n.duration) for n in track.notes]


def test_slice_keeps_notes_starting_inside_and_cuts_them_at_the_end(song: Song) -> None:
    part = slice_bars(song, 3, 5)
    assert _notes(part, "Keys") == [(67, 0, 960), (72, 2 * BAR - 480, 480)]
    assert _notes(part, "Bass") == [(36, 480, 480)]
    assert part.tempos == (TempoChange(0, 120.0),)
    assert part.meters == (MeterChange(0, 4, 4),)
    assert part.sections == ()
    assert [(c.tick, c.duration) for c in part.chords] == [(0, BAR), (BAR, BAR)]
    assert (part.title, part.key, part.ppq) == ("Demo", Key("C"), 480)


def test_slice_clip_heads_keeps_the_tail_of_notes_sounding_into_the_range(song: Song) -> None:
    part = slice_bars(song, 3, 5, clip_heads=True)
    assert _notes(part, "Keys")[0] == (64, 0, 240)


def test_slice_re_bases_tempo_meter_and_sections(song: Song) -> None:
    part = slice_bars(song, 5, 9)
    assert part.tempos == (TempoChange(0, 100.0),)
    assert part.meters == (MeterChange(0, 4, 4), MeterChange(2 * BAR, 3, 4))
    assert part.sections == (Section(0, "Chorus"),)
    assert _notes(part, "Bass") == [(43, 2 * BAR, 1440)]
    assert _notes(part, "Keys") == []


def test_slice_clips_chords_on_both_sides() -> None:
    long_chord = Song(chords=(ChordEvent(960, 3 * BAR, parse_chord("G7")),))
    part = slice_bars(long_chord, 2, 3)
    assert [(c.tick, c.duration, str(c.chord)) for c in part.chords] == [(0, BAR, "G7")]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (0, 2, r"start_bar=0 must be >= 1 \(bars count from 1\)"),
        (3, 3, r"end_bar=3 must be > start_bar=3 \(range is \[start, end\)\)"),
        (4, 2, "end_bar=2 must be > start_bar=4"),
    ],
)
def test_bad_bar_ranges_raise(song: Song, start: int, end: int, message: str) -> None:
    with pytest.raises(MusicError, match=message):
        slice_bars(song, start, end)
    with pytest.raises(MusicError, match=message):
        delete_bars(song, start, end)


def test_append_starts_on_the_next_bar_line_and_carries_meters() -> None:
    a = Song(tracks=(Track("Keys", notes=(Note(60, 0, 2000),)),))  # ends inside bar 2
    b = Song(
        meters=(MeterChange(0, 3, 4),),
        tracks=(Track("Keys", notes=(Note(62, 0, 480),)), Track("Bass", BASS, (Note(36, 0, 480),))),
        sections=(Section(0, "Bridge"),),
    )
    joined = append_song(a, b)
    assert _notes(joined, "Keys") == [(60, 0, 2000), (62, 2 * BAR, 480)]
    assert _notes(joined, "Bass") == [(36, 2 * BAR, 480)]
    assert joined.meters == (MeterChange(0, 4, 4), MeterChange(2 * BAR, 3, 4))
    assert joined.tempos == (TempoChange(0, 120.0),)  # b's 120 bpm repeats a's: left out
    assert joined.sections == (Section(2 * BAR, "Bridge"),)
    assert TempoMap.from_song(joined).bar_at(2 * BAR) == 3


def test_append_right_after_a_song_that_ends_on_a_bar_line() -> None:
    a = Song(tracks=(Track("Keys", notes=(Note(60, 0, BAR),)),))
    b = Song(tempos=(TempoChange(0, 90.0),), tracks=(Track("Keys", notes=(Note(62, 0, 480),)),))
    joined = append_song(a, b)
    assert _notes(joined, "Keys") == [(60, 0, BAR), (62, BAR, 480)]
    assert joined.tempos == (TempoChange(0, 120.0), TempoChange(BAR, 90.0))
    later = append_song(a, b, at_bar=4)
    assert _notes(later, "Keys")[1] == (62, 3 * BAR, 480)


def test_append_matches_tracks_by_name_and_instrument_and_rescales_ppq() -> None:
    a = Song(tracks=(Track("Keys", notes=(Note(60, 0, 480),), volume=80),))
    b = Song(
        ppq=960,
        tracks=(Track("Keys", Instrument(4), (Note(62, 960, 960),)), Track("Keys", volume=10)),
    )
    joined = append_song(a, b)
    assert [(t.name, t.instrument.program, t.volume) for t in joined.tracks] == [
        ("Keys", 0, 80),
        ("Keys", 4, 100),
    ]
    assert _notes(joined, "Keys") == [(60, 0, 480)]
    assert [(n.start, n.duration) for n in joined.tracks[1].notes] == [(BAR + 480, 480)]


def test_append_refuses_to_overlap(song: Song) -> None:
    with pytest.raises(MusicError, match="at_bar=6 must be >= 8, the first bar after"):
        append_song(song, Song(), at_bar=6)


def test_join_songs() -> None:
    one = Song(tracks=(Track("Keys", notes=(Note(60, 0, 480),)),))
    assert join_songs(one) == one
    three = join_songs(one, one, one)
    assert _notes(three, "Keys") == [(60, 0, 480), (60, BAR, 480), (60, 2 * BAR, 480)]
    assert join_songs(Song(), one) == one
    with pytest.raises(MusicError, match=r"songs=\(\) must hold at least one song"):
        join_songs()


def test_insert_bars_shifts_later_material(song: Song) -> None:
    longer = insert_bars(song, 3, count=2)
    assert _notes(longer, "Keys") == [
        (60, 0, 480),
        (64, 2 * BAR - 240, 480),  # starts before the gap, keeps its length
        (67, 4 * BAR, 960),
        (72, 6 * BAR - 480, 960),
    ]
    assert longer.tempos == (TempoChange(0, 120.0), TempoChange(6 * BAR, 100.0))
    assert longer.meters == (MeterChange(0, 4, 4), MeterChange(8 * BAR, 3, 4))
    assert longer.sections == (Section(0, "Verse"), Section(6 * BAR, "Chorus"))
    assert len(longer.chords) == len(song.chords)


def test_inserted_bars_take_the_meter_and_tempo_before_them(song: Song) -> None:
    longer = insert_bars(song, 7)  # bar 7 opens the 3/4 part; the new bar is 4/4 at 100 bpm
    assert longer.meters == (MeterChange(0, 4, 4), MeterChange(7 * BAR, 3, 4))
    assert longer.tempos == song.tempos
    assert _notes(longer, "Bass")[-1] == (43, 7 * BAR, 1440)


def test_insert_at_bar_1_uses_the_first_meter() -> None:
    waltz = Song(meters=(MeterChange(0, 3, 4),), tracks=(Track("Keys", notes=(Note(60, 0, 1),)),))
    longer = insert_bars(waltz, 1, count=3)
    assert _notes(longer, "Keys") == [(60, 3 * 1440, 1)]
    assert longer.meters == waltz.meters
    assert longer.tempos == waltz.tempos


@pytest.mark.parametrize(
    ("at_bar", "count", "message"),
    [(0, 1, "at_bar=0 must be >= 1"), (2, 0, "count=0 must be >= 1")],
)
def test_bad_inserts_raise(song: Song, at_bar: int, count: int, message: str) -> None:
    with pytest.raises(MusicError, match=message):
        insert_bars(song, at_bar, count=count)


def test_delete_bars_removes_and_shifts(song: Song) -> None:
    shorter = delete_bars(song, 3, 5)
    assert _notes(shorter, "Keys") == [(60, 0, 480), (64, 2 * BAR - 240, 240)]
    assert _notes(shorter, "Bass") == [(43, 4 * BAR, 1440)]
    assert shorter.tempos == (TempoChange(0, 120.0), TempoChange(2 * BAR, 100.0))
    assert shorter.meters == (MeterChange(0, 4, 4), MeterChange(4 * BAR, 3, 4))
    assert shorter.sections == (Section(0, "Verse"), Section(2 * BAR, "Chorus"))
    assert [c.tick for c in shorter.chords] == [0, BAR, 2 * BAR, 3 * BAR]


def test_delete_bars_hands_over_the_meter_of_the_end_bar(song: Song) -> None:
    shorter = delete_bars(song, 6, 8)  # bars 6 (4/4) and 7 (3/4): bar 8 is 3/4
    assert shorter.meters == (MeterChange(0, 4, 4), MeterChange(5 * BAR, 3, 4))
    assert shorter.tempos == song.tempos


# -- properties -------------------------------------------------------------------------------


@st.composite
def songs(draw: st.DrawFn) -> Song:
    """Songs with meter changes on bar lines and tempo changes anywhere."""
    ppq = draw(st.sampled_from([96, 120, 480]))
    meters: list[MeterChange] = []
    tick = 0
    for _ in range(draw(st.integers(1, 4))):
        num, den = draw(st.integers(1, 9)), draw(st.sampled_from([2, 4, 8]))
        if meters and (meters[-1].numerator, meters[-1].denominator) == (num, den):
            num = num % 9 + 1
        meters.append(MeterChange(tick, num, den))
        tick += draw(st.integers(1, 3)) * num * 4 * ppq // den
    length = tick + 2 * 4 * ppq
    bpms = draw(st.lists(st.integers(40, 200), min_size=1, max_size=4, unique=True))
    ticks = sorted(
        draw(st.sets(st.integers(1, length), min_size=len(bpms) - 1, max_size=len(bpms) - 1))
    )
    note = st.builds(Note, st.integers(0, 127), st.integers(0, length), st.integers(1, 3 * ppq))
    tracks = tuple(
        Track(name, notes=tuple(draw(st.lists(note, max_size=12)))) for name in ("A", "B")
    )
    return Song(
        ppq=ppq,
        tempos=tuple(TempoChange(t, float(b)) for t, b in zip([0, *ticks], bpms, strict=True)),
        meters=tuple(meters),
        tracks=tracks,
    )


def _cut_at(track: Track, at: int) -> Track:
    """``track`` with the notes that sound across ``at`` cut short there."""
    return replace(
        track,
        notes=tuple(
            replace(n, duration=at - n.start) if n.start < at < n.end else n for n in track.notes
        ),
    )


@settings(max_examples=60, deadline=None)
@given(song=songs(), data=st.data())
def test_slice_then_join_keeps_every_note_that_does_not_cross_the_cut(
    song: Song, data: st.DataObject
) -> None:
    tm = TempoMap.from_song(song)
    # The bar after everything: notes, tempo changes and meter changes.
    last = tm.bar_count(max(song.end_tick, song.tempos[-1].tick, song.meters[-1].tick) + 1) + 2
    cut = data.draw(st.integers(2, last - 1))
    at = tm.bar_start_tick(cut)
    joined = append_song(slice_bars(song, 1, cut), slice_bars(song, cut, last), at_bar=cut)
    assert joined.tracks == tuple(_cut_at(t, at) for t in song.tracks)
    assert joined.tempos == song.tempos
    assert joined.meters == song.meters


@settings(max_examples=60, deadline=None)
@given(song=songs(), data=st.data())
def test_delete_undoes_insert(song: Song, data: st.DataObject) -> None:
    at_bar = data.draw(st.integers(1, TempoMap.from_song(song).bar_count(song.end_tick) + 1))
    count = data.draw(st.integers(1, 3))
    longer = insert_bars(song, at_bar, count=count)
    tm = TempoMap.from_song(longer)
    at, size = (
        tm.bar_start_tick(at_bar),
        tm.bar_start_tick(at_bar + count) - tm.bar_start_tick(at_bar),
    )
    # A note that sounds across the insertion point keeps its end, so deleting the
    # bars again takes away the part of it that fell in the new bars.
    expected = tuple(
        replace(
            t,
            notes=tuple(
                replace(n, duration=max(at, n.end - size) - n.start) if n.start < at < n.end else n
                for n in t.notes
            ),
        )
        for t in song.tracks
    )
    shorter = delete_bars(longer, at_bar, at_bar + count)
    assert shorter == replace(song, tracks=expected)


@settings(max_examples=40, deadline=None)
@given(song=songs())
def test_join_songs_starts_the_second_song_on_the_next_bar_line(song: Song) -> None:
    joined = join_songs(song, replace(song, title="Again"))
    tm = TempoMap.from_song(song)
    offset = tm.bar_start_tick(tm.bar_count(song.end_tick) + 1)
    assert offset >= song.end_tick
    assert TempoMap.from_song(joined).tick_to_bar_beat(offset).beat == 1
    assert joined.title == song.title
    for before, after in zip(song.tracks, joined.tracks, strict=True):
        again = [replace(n, start=n.start + offset) for n in before.notes]
        assert after == replace(before, notes=(*before.notes, *again))
