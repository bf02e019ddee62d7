"""Tests for quantize: grids, swing, strength, note ends, and idempotence."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.errors import MusicError, ParseError
from bandmate.music.quantize import EndMode, grid_ticks, quantize
from bandmate.music.song import Instrument, Note, Song, Track


def _starts(track: Track) -> list[int]:
    return [n.start for n in track.notes]


@pytest.mark.parametrize(
    ("grid", "ppq", "ticks"),
    [
        ("1/4", 480, Fraction(480)),
        ("1/16", 480, Fraction(120)),
        ("1/8T", 480, Fraction(160)),
        ("1/8t", 480, Fraction(160)),
        ("1/8.", 480, Fraction(360)),
        ("1/1", 480, Fraction(1920)),
        ("1/16T", 96, Fraction(16)),
        ("1/32T", 100, Fraction(100, 12)),
        (" 1/2 ", 96, Fraction(192)),
        (240, 480, Fraction(240)),
        (7, 1, Fraction(7)),
    ],
)
def test_grid_ticks(grid: int | str, ppq: int, ticks: Fraction) -> None:
    assert grid_ticks(grid, ppq=ppq) == ticks


@pytest.mark.parametrize("grid", ["1/7x", "1/7", "1/256", "", "quarter", "2/4", "1/8TT", "1/-4"])
def test_bad_grid_strings_raise(grid: str) -> None:
    with pytest.raises(ParseError, match=f"grid='{grid}' must be a note value 1/N"):
        grid_ticks(grid, ppq=480)


@pytest.mark.parametrize(
    ("grid", "ppq", "message"),
    [
        (0, 480, "grid=0 is 0 ticks at ppq=480; must be >= 1 tick"),
        ("1/128T", 24, "grid='1/128T' is 0.5 ticks at ppq=24; must be >= 1 tick"),
        ("1/4", 0, "ppq=0 must be in 1..32767"),
    ],
)
def test_too_fine_grids_raise(grid: int | str, ppq: int, message: str) -> None:
    with pytest.raises(MusicError, match=message):
        grid_ticks(grid, ppq=ppq)


@pytest.mark.parametrize(
    ("start", "grid", "swing", "strength", "expected"),
    [
        (130, "1/16", 0.0, 1.0, 120),
        (179, "1/16", 0.0, 1.0, 120),
        (180, "1/16", 0.0, 1.0, 120),  # a tie goes to the earlier point
        (181, "1/16", 0.0, 1.0, 240),
        (5, "1/16", 0.0, 1.0, 0),
        (100, "1/16", 0.0, 0.5, 110),
        (100, "1/16", 0.0, 0.0, 100),
        (170, "1/8T", 0.0, 1.0, 160),
        # Swing 0.5 on eighths: points 0, 360, 480, 840, 960, ...
        (250, "1/8", 0.5, 1.0, 360),
        (430, "1/8", 0.5, 1.0, 480),
        (700, "1/8", 0.5, 1.0, 840),
        (480, "1/8", 0.5, 1.0, 480),
        # Swing 1/3 is the triplet feel: the off-beat eighth lands on 320.
        (300, "1/8", 1 / 3, 1.0, 320),
        (300, 240, 1 / 3, 1.0, 320),
    ],
)
def test_quantize_starts(
    start: int, grid: str | int, swing: float, strength: float, expected: int
) -> None:
    track = Track("Lead", notes=(Note(60, start, 100),))
    out = quantize(track, grid=grid, swing=swing, strength=strength, ppq=480)
    assert _starts(out) == [expected]
    assert out.notes[0].duration == 100


@pytest.mark.parametrize(
    ("start", "duration", "ends", "expected"),
    [
        (10, 460, "keep", (0, 460)),
        (10, 460, "snap", (0, 480)),
        (10, 40, "snap", (0, 480)),  # the end never snaps onto the start
        (470, 300, "snap", (480, 480)),
        (10, 350, "length", (0, 480)),
        (10, 230, "length", (0, 480)),
        (10, 10, "length", (0, 480)),
        (10, 1300, "length", (0, 1440)),
    ],
)
def test_quantize_ends(start: int, duration: int, ends: EndMode, expected: tuple[int, int]) -> None:
    track = Track("Lead", notes=(Note(60, start, duration),))
    note = quantize(track, grid="1/4", ends=ends, ppq=480).notes[0]
    assert (note.start, note.duration) == expected


def test_quantize_selects_song_tracks_by_name_or_index() -> None:
    loose = (Note(60, 10, 100), Note(64, 470, 100))
    song = Song(
        tracks=(
            Track("Keys", notes=loose),
            Track("Bass", Instrument(33), notes=loose),
            Track("Drums", Instrument(0, drums=True), notes=loose),
        )
    )
    by_name = quantize(song, grid="1/8", tracks=["Bass"])
    assert [_starts(t) for t in by_name.tracks] == [[10, 470], [0, 480], [10, 470]]
    by_index = quantize(song, grid="1/8", tracks=[0, 2])
    assert [_starts(t) for t in by_index.tracks] == [[0, 480], [10, 470], [0, 480]]
    assert quantize(song, grid=240) == quantize(song, grid="1/8", ppq=480)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grid": "1/16", "strength": 2.0}, "strength=2.0 must be in 0..1"),
        ({"grid": "1/16", "strength": -0.1}, "strength=-0.1 must be in 0..1"),
        ({"grid": "1/16", "swing": -1.0}, r"swing=-1.0 must be >= 0 and < 1 \(in grid steps\)"),
        ({"grid": "1/16", "swing": 1.0}, "swing=1.0 must be >= 0 and < 1"),
        ({"grid": "1/16", "ends": "round"}, "ends='round' must be one of"),
        ({"grid": "1/7x"}, "grid='1/7x' must be a note value"),
        ({"grid": "1/16", "tracks": ["Nope"]}, r"track name='Nope' must be one of \['Keys'\]"),
        ({"grid": "1/16", "tracks": [3]}, "track index=3 must be in 0..0"),
        ({"grid": "1/16", "ppq": 96}, "ppq=96 must be None or the song's ppq=480"),
    ],
)
def test_bad_song_options_raise(kwargs: dict[str, object], message: str) -> None:
    song = Song(tracks=(Track("Keys", notes=(Note(60, 10, 100),)),))
    with pytest.raises(MusicError, match=message):
        quantize(song, **kwargs)  # type: ignore[arg-type]


def test_bad_track_options_raise() -> None:
    track = Track("Keys", notes=(Note(60, 10, 100),))
    with pytest.raises(MusicError, match="ppq=None: a note-value grid='1/16' needs ppq"):
        quantize(track, grid="1/16")
    with pytest.raises(MusicError, match="tracks must be None when quantizing a single track"):
        quantize(track, grid=120, tracks=["Keys"])


# -- properties -------------------------------------------------------------------------------

NOTES = st.lists(
    st.builds(Note, st.integers(0, 127), st.integers(0, 20_000), st.integers(1, 3_000)),
    max_size=30,
)
GRIDS = st.one_of(
    st.integers(1, 1000),
    st.sampled_from(["1/4", "1/8", "1/16", "1/32", "1/8T", "1/16T", "1/4.", "1/64T"]),
)
ENDS = st.sampled_from(["keep", "snap", "length"])


@settings(max_examples=120, deadline=None)
@given(
    notes=NOTES,
    ppq=st.sampled_from([1, 7, 24, 96, 100, 480, 960]),
    grid=GRIDS,
    swing=st.floats(0.0, 0.99),
    ends=ENDS,
)
def test_quantize_is_idempotent(
    notes: list[Note], ppq: int, grid: int | str, swing: float, ends: EndMode
) -> None:
    song = Song(ppq=ppq, tracks=(Track("Part", notes=tuple(notes)),))
    if isinstance(grid, str) and grid_ticks(grid, ppq=480) * ppq < 480:  # finer than a tick
        with pytest.raises(MusicError, match="must be >= 1 tick"):
            quantize(song, grid=grid, swing=swing, ends=ends)
        return
    once = quantize(song, grid=grid, swing=swing, ends=ends)
    assert quantize(once, grid=grid, swing=swing, ends=ends) == once
    assert len(once.tracks[0].notes) == len(notes)
    if ends == "keep":
        assert sorted(n.duration for n in once.tracks[0].notes) == sorted(n.duration for n in notes)


@settings(max_examples=80, deadline=None)
@given(
    note=st.builds(Note, st.integers(0, 127), st.integers(0, 20_000), st.integers(1, 3_000)),
    grid=GRIDS,
    swing=st.floats(0.0, 0.99),
    ends=ENDS,
    strength=st.floats(0.0, 1.0),
)
def test_partial_strength_moves_part_way(
    note: Note, grid: int | str, swing: float, ends: EndMode, strength: float
) -> None:
    def moved(strength: float) -> Note:
        track = Track("Part", notes=(note,))
        out = quantize(track, grid=grid, swing=swing, ends=ends, strength=strength, ppq=480)
        return out.notes[0]

    assert moved(0.0) == note
    lo, hi = sorted((note.start, moved(1.0).start))
    assert lo <= moved(strength).start <= hi
    assert moved(strength).duration >= 1
