"""Tests for track selection, merging and resolution changes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.errors import MusicError
from bandmate.music.chord import parse_chord
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
from bandmate.music.tracks import merge_tracks, rescale_ppq, select_tracks

RIGHT = (Note(72, 0, 480), Note(76, 480, 480))
LEFT = (Note(48, 0, 960), Note(72, 0, 480))  # shares one note with RIGHT


@pytest.fixture
def song() -> Song:
    return Song(
        tracks=(
            Track("Piano RH", notes=RIGHT, volume=90),
            Track("Bass", Instrument(33), notes=(Note(36, 0, 1920),)),
            Track("Piano LH", notes=LEFT, pan=-20),
            Track("Bass", Instrument(34)),
        )
    )


@pytest.mark.parametrize(
    ("selection", "indices"),
    [
        (["Bass"], (1, 3)),
        (["Piano LH", 0], (0, 2)),
        ([3, 3, "Bass"], (1, 3)),
        ("Piano RH", (0,)),
    ],
)
def test_select_tracks(song: Song, selection: list[str | int], indices: tuple[int, ...]) -> None:
    assert select_tracks(song, selection) == indices


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ([], r"tracks=\[\] must name at least one track"),
        (
            ["Drums"],
            r"track name='Drums' must be one of \['Piano RH', 'Bass', 'Piano LH', 'Bass'\]",
        ),
        ([4], "track index=4 must be in 0..3"),
        ([-1], "track index=-1 must be in 0..3"),
    ],
)
def test_bad_selections_raise(song: Song, selection: list[str | int], message: str) -> None:
    with pytest.raises(MusicError, match=message):
        select_tracks(song, selection)
    with pytest.raises(MusicError, match=message):
        merge_tracks(song, selection)


def test_merge_tracks_takes_the_first_tracks_place_and_settings(song: Song) -> None:
    merged = merge_tracks(song, ["Piano LH", "Piano RH"], name="Piano")
    assert [t.name for t in merged.tracks] == ["Piano", "Bass", "Bass"]
    piano = merged.tracks[0]
    assert (piano.volume, piano.pan) == (90, 0)
    assert piano.notes == (Note(48, 0, 960), Note(72, 0, 480), Note(76, 480, 480))


def test_merge_tracks_keeps_the_first_name_by_default(song: Song) -> None:
    merged = merge_tracks(song, [2, 0])
    assert [t.name for t in merged.tracks] == ["Piano RH", "Bass", "Bass"]
    assert merge_tracks(song, [1]) == song


def test_rescale_ppq_scales_every_tick() -> None:
    song = Song(
        ppq=480,
        tempos=(TempoChange(0, 120.0), TempoChange(1920, 90.0)),
        meters=(MeterChange(0, 4, 4), MeterChange(3840, 7, 8)),
        tracks=(Track("Keys", notes=(Note(60, 240, 120), Note(62, 250, 1))),),
        chords=(ChordEvent(0, 1920, parse_chord("C")),),
        sections=(Section(1920, "B"),),
    )
    fine = rescale_ppq(song, 960)
    assert fine.ppq == 960
    assert fine.tempos == (TempoChange(0, 120.0), TempoChange(3840, 90.0))
    assert fine.meters == (MeterChange(0, 4, 4), MeterChange(7680, 7, 8))
    assert [(n.start, n.duration) for n in fine.tracks[0].notes] == [(480, 240), (500, 2)]
    assert (fine.chords[0].duration, fine.sections[0].tick) == (3840, 3840)
    assert rescale_ppq(fine, 480) == song
    coarse = rescale_ppq(song, 4)  # 120 ticks become one
    assert [(n.start, n.duration) for n in coarse.tracks[0].notes] == [(2, 1), (2, 1)]
    assert rescale_ppq(song, 480) is song


def test_rescale_ppq_keeps_the_later_of_colliding_changes() -> None:
    song = Song(ppq=480, tempos=(TempoChange(0, 120.0), TempoChange(5, 60.0)))
    assert rescale_ppq(song, 24).tempos == (TempoChange(0, 60.0),)


@pytest.mark.parametrize("ppq", [0, 40_000])
def test_rescale_ppq_rejects_bad_resolutions(ppq: int) -> None:
    with pytest.raises(MusicError, match=f"ppq={ppq} must be in 1..32767"):
        rescale_ppq(Song(), ppq)


NOTES = st.lists(
    st.builds(Note, st.integers(0, 127), st.integers(0, 10_000), st.integers(1, 2_000)),
    max_size=15,
)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(NOTES, min_size=1, max_size=4), data=st.data())
def test_merge_keeps_every_distinct_note_once(parts: list[list[Note]], data: st.DataObject) -> None:
    song = Song(tracks=tuple(Track(f"T{i}", notes=tuple(p)) for i, p in enumerate(parts)))
    chosen = data.draw(st.lists(st.integers(0, len(parts) - 1), min_size=1, unique=True))
    merged = merge_tracks(song, chosen)
    first = min(chosen)
    notes = merged.tracks[first].notes
    assert set(notes) == {n for i in chosen for n in parts[i]}
    assert len(notes) == len(set(notes))
    assert len(merged.tracks) == len(parts) - len(chosen) + 1


@settings(max_examples=60, deadline=None)
@given(notes=NOTES, ppq=st.sampled_from([24, 96, 480]), factor=st.integers(1, 8))
def test_rescale_up_and_back_is_lossless(notes: list[Note], ppq: int, factor: int) -> None:
    song = Song(ppq=ppq, tracks=(Track("T", notes=tuple(notes)),))
    assert rescale_ppq(rescale_ppq(song, ppq * factor), ppq) == song
