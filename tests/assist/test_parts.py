"""The part API: every suggestion is valid, deterministic for a seed, and hard songs get
sensible answers or clear errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bandmate.assist import (
    BAND_STYLES,
    PARTS,
    AssistError,
    PartRequest,
    PartSuggestion,
    apply_suggestion,
    suggest_backing,
    suggest_bass,
    suggest_drums,
    suggest_melody,
    suggest_part,
    suggest_solo,
)
from bandmate.music import ChordEvent, MeterChange, Note, Section, Song, Track, parse_chord
from bandmate.music.demo import demo_song
from bandmate.music.key import parse_key
from bandmate.music.time import TempoMap

BAR = 1920


def lane(*symbols: str, bar: int = BAR) -> tuple[ChordEvent, ...]:
    return tuple(ChordEvent(i * bar, bar, parse_chord(s)) for i, s in enumerate(symbols))


def check_valid(song: Song, suggestion: PartSuggestion) -> None:
    """Inside the requested bars, in range, at the song's resolution, attributed."""
    tempo_map = TempoMap.from_song(song)
    assert suggestion.start_tick == tempo_map.bar_start_tick(suggestion.start_bar)
    assert suggestion.end_tick == tempo_map.bar_start_tick(suggestion.start_bar + suggestion.bars)
    assert suggestion.tracks
    for track in suggestion.tracks:
        assert track.name.startswith("Bandmate ")
        for note in track.notes:
            assert isinstance(note.start, int)
            assert isinstance(note.duration, int)
            assert suggestion.start_tick <= note.start < note.end <= suggestion.end_tick
            assert 0 <= note.pitch <= 127
            assert 1 <= note.velocity <= 127


@pytest.fixture
def pop_song() -> Song:
    return replace(demo_song(), sections=(Section(0, "Verse"), Section(4 * BAR, "Chorus")))


@pytest.mark.parametrize("part", PARTS)
def test_every_part_is_valid_and_deterministic(pop_song: Song, part: str) -> None:
    request = PartRequest(seed=11, alternatives=2, start_bar=1, bars=8)
    first = suggest_part(pop_song, part, request)  # type: ignore[arg-type]
    again = suggest_part(pop_song, part, request)  # type: ignore[arg-type]
    assert first == again
    assert len(first) == 2
    assert first[0].tracks != first[1].tracks
    assert [s.seed for s in first] == [11, 12]
    for suggestion in first:
        check_valid(pop_song, suggestion)
        assert suggestion.note_count > 8


def test_melody_continues_after_the_melody_in_key(pop_song: Song) -> None:
    without = replace(pop_song, tracks=pop_song.tracks[:1])  # the lead only: bars 1-8
    [suggestion] = suggest_melody(without, PartRequest(seed=3, bars=4))
    assert suggestion.start_bar == 9
    assert suggestion.bars == 4
    check_valid(without, suggestion)
    notes = suggestion.tracks[0].notes
    scale = set(parse_key("C").pitch_classes)
    assert sum(n.pitch % 12 in scale for n in notes) / len(notes) >= 0.8
    assert suggestion.tracks[0].instrument == without.tracks[0].instrument
    assert suggestion.score is not None
    assert suggestion.score < 0


def test_solo_plays_over_the_chord_lane(pop_song: Song) -> None:
    [suggestion] = suggest_solo(pop_song, PartRequest(seed=5))
    assert (suggestion.start_bar, suggestion.bars) == (1, 8)
    check_valid(pop_song, suggestion)


def test_markov_baseline_answers_the_same_request(pop_song: Song) -> None:
    [suggestion] = suggest_melody(pop_song, PartRequest(seed=1, bars=4), model="markov")
    check_valid(pop_song, suggestion)
    with pytest.raises(AssistError, match="model"):
        suggest_melody(pop_song, PartRequest(seed=1), model="lstm")  # type: ignore[arg-type]


def test_apply_suggestion_adds_tracks_with_unique_names(pop_song: Song) -> None:
    suggestion = suggest_drums(pop_song, PartRequest(seed=2))[0]
    once = apply_suggestion(pop_song, suggestion)
    twice = apply_suggestion(once, suggestion)
    assert once.tracks[: len(pop_song.tracks)] == pop_song.tracks
    names = [t.name for t in twice.tracks]
    assert len(names) == len(set(names))
    assert names[-1] == "Bandmate drums 2"


# -- songs that are hard to play along with -------------------------------------------------


def test_empty_song_without_a_key_is_refused_clearly() -> None:
    with pytest.raises(AssistError, match="key"):
        suggest_melody(Song())
    with pytest.raises(AssistError, match="chords"):
        suggest_bass(Song(key=parse_key("C")))
    with pytest.raises(AssistError, match="chord lane is empty"):
        suggest_solo(Song(key=parse_key("C")))


def test_empty_song_gets_drums_and_a_melody_once_it_has_a_key() -> None:
    [drums] = suggest_drums(Song(), PartRequest(seed=1))
    assert (drums.start_bar, drums.bars) == (1, 8)
    check_valid(Song(), drums)
    keyed = Song(key=parse_key("D"))
    [melody] = suggest_melody(keyed, PartRequest(seed=1))
    assert (melody.start_bar, melody.bars) == (1, 8)
    check_valid(keyed, melody)
    assert len(melody.tracks[0].notes) >= 8


def test_seven_eight_in_f_sharp_minor() -> None:
    song = Song(
        key=parse_key("F# minor"),
        meters=(MeterChange(0, 7, 8),),
        chords=lane("F#m", "C#7", "Bm", "F#m", bar=7 * 240),
    )
    for part in PARTS:
        if part == "voices":  # harmony voices need a melody to sit under
            with pytest.raises(AssistError, match="pitched"):
                suggest_part(song, part, PartRequest(seed=4))
            continue
        [suggestion] = suggest_part(song, part, PartRequest(seed=4))
        assert (suggestion.start_bar, suggestion.bars) == (1, 4)
        check_valid(song, suggestion)
    [melody] = suggest_melody(song, PartRequest(seed=4))
    scale = set(parse_key("F# minor").pitch_classes) | {5}  # E# (the raised seventh)
    notes = melody.tracks[0].notes
    assert sum(n.pitch % 12 in scale for n in notes) / len(notes) >= 0.75


def test_drums_only_song(drums_only: Song) -> None:
    with pytest.raises(AssistError, match="key"):
        suggest_melody(drums_only)
    with pytest.raises(AssistError, match="chords"):
        suggest_backing(replace(drums_only, key=parse_key("C")))
    [groove] = suggest_drums(drums_only, PartRequest(seed=9, style="reggae"))
    assert (groove.start_bar, groove.bars) == (1, 4)  # the song's own length
    check_valid(drums_only, groove)


def test_coarse_and_odd_resolutions() -> None:
    for ppq in (7, 96):
        song = Song(ppq=ppq, key=parse_key("G"), chords=lane("G", "C", "D7", "G", bar=4 * ppq))
        tune = tuple(Note(p, i * ppq, ppq) for i, p in enumerate((67, 71, 74, 72, 71, 69, 67, 67)))
        for part in PARTS:
            ask = replace(song, tracks=(Track("Tune", notes=tune),)) if part == "voices" else song
            [s] = suggest_part(ask, part, PartRequest(seed=1))
            check_valid(ask, s)


def test_melody_without_chords_is_still_in_key() -> None:
    notes = tuple(Note(p, i * 480, 480) for i, p in enumerate((67, 69, 71, 72, 74, 72, 71, 69)))
    song = Song(key=parse_key("G"), tracks=(Track("Tune", notes=notes),))
    [s] = suggest_melody(song, PartRequest(seed=8, temperature=0.8))
    assert s.start_bar == 3
    check_valid(song, s)
    scale = set(parse_key("G").pitch_classes)
    assert sum(n.pitch % 12 in scale for n in s.tracks[0].notes) / len(s.tracks[0].notes) > 0.85


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bars": 0}, "bars=0"),
        ({"bars": 10_000}, "bars=10000"),
        ({"start_bar": 0}, "start_bar=0"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"alternatives": 0}, "alternatives"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_requests_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(AssistError, match=message):
        PartRequest(**changes)  # type: ignore[arg-type]


def test_unknown_style_and_part_are_refused(pop_song: Song) -> None:
    with pytest.raises(AssistError, match="style='polka'"):
        suggest_drums(pop_song, PartRequest(style="polka"))
    with pytest.raises(AssistError, match="part='kazoo'"):
        suggest_part(pop_song, "kazoo")  # type: ignore[arg-type]
    assert suggest_drums(pop_song, PartRequest(style="Jazz", seed=1))[0].style == "swing"
    assert len(BAND_STYLES) == 9


def test_a_track_that_is_not_a_melody_is_refused(pop_song: Song) -> None:
    drums = next(t.name for t in pop_song.tracks if t.instrument.drums)
    with pytest.raises(AssistError, match="pitched"):
        suggest_melody(pop_song, PartRequest(track=drums))
