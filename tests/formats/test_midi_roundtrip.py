"""MIDI round trips over random songs (Hypothesis): exact for format 1, notes for format 0."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.formats.midi import read_midi, write_midi
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

CHORD_SYMBOLS = ("C", "Am7", "G7", "Fmaj7", "Bb", "D/F#", "Em", "F#m7b5", "Dsus4")
KEYS = tuple(
    [Key(tonic=t, mode="major") for t in ("C", "G", "D", "A", "E", "B", "F#", "F", "Bb", "Eb")]
    + [Key(tonic=t, mode="minor") for t in ("A", "E", "B", "F#", "C#", "D", "G", "C", "F")]
)
DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


def midi_bpm() -> st.SearchStrategy[float]:
    """Tempos that a MIDI file stores exactly: read back from µs, or whole bpm up to 250."""
    from_file = st.integers(60_000, 0xFFFFFF).map(lambda us: round(60e6 / us, 3))
    return from_file | st.integers(4, 250).map(float)


def _lane(ticks: st.SearchStrategy[int], min_size: int = 0) -> st.SearchStrategy[list[int]]:
    return st.lists(ticks, min_size=min_size, max_size=5, unique=True).map(sorted)


@st.composite
def tracks(draw: st.DrawFn, *, max_notes: int = 25, max_tick: int = 20_000) -> Track:
    """A track whose notes of one pitch never overlap."""
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(0, 127),
                st.integers(0, max_tick),
                st.integers(1, 2_000),
                st.integers(1, 127),
            ),
            max_size=max_notes,
        )
    )
    ends: dict[int, int] = {}
    notes = []
    for pitch, start, duration, velocity in sorted(raw, key=lambda n: (n[1], n[0])):
        if start >= ends.get(pitch, 0):
            notes.append(Note(pitch, start, duration, velocity))
            ends[pitch] = start + duration
    return Track(
        name=draw(TEXT),
        instrument=Instrument(program=draw(st.integers(0, 127)), drums=draw(st.booleans())),
        notes=tuple(notes),
        volume=draw(st.integers(0, 127)),
        pan=draw(st.integers(-64, 63)),
        mute=draw(st.booleans()),
        solo=draw(st.booleans()),
    )


@st.composite
def songs(draw: st.DrawFn, *, max_tracks: int = 4) -> Song:
    """A song with every lane populated at random, within what MIDI stores exactly."""
    ticks = st.integers(1, 50_000)
    tempo_ticks = [0, *draw(_lane(ticks))]
    meter_ticks = [0, *draw(_lane(ticks))]
    chords = [
        ChordEvent(tick, duration, parse_chord(symbol))
        for tick, duration, symbol in draw(
            st.lists(
                st.tuples(
                    st.integers(0, 20_000), st.integers(1, 4_000), st.sampled_from(CHORD_SYMBOLS)
                ),
                max_size=6,
            )
        )
    ]
    return Song(
        title=draw(TEXT),
        ppq=draw(st.sampled_from([96, 120, 480, 960]) | st.integers(1, 0x7FFF)),
        tempos=tuple(TempoChange(t, draw(midi_bpm())) for t in tempo_ticks),
        meters=tuple(
            MeterChange(t, draw(st.integers(1, 64)), draw(st.sampled_from(DENOMINATORS)))
            for t in meter_ticks
        ),
        key=draw(st.none() | st.sampled_from(KEYS)),
        tracks=tuple(draw(st.lists(tracks(), max_size=max_tracks))),
        chords=tuple(chords),
        sections=tuple(
            Section(tick, name)
            for tick, name in draw(st.lists(st.tuples(st.integers(0, 20_000), TEXT), max_size=4))
        ),
    )


@settings(max_examples=150, deadline=None)
@given(songs())
def test_type1_round_trip_is_exact(song: Song) -> None:
    data = write_midi(song)
    assert read_midi(data) == song
    assert read_midi(data, fast=False) == song


@settings(max_examples=100, deadline=None)
@given(st.lists(tracks(), max_size=6), st.booleans())
def test_type0_round_trip_keeps_notes(parts: list[Track], with_drums: bool) -> None:
    # One channel per track: at most one drum track (drums share channel 10).
    parts = [t for t in parts if not t.instrument.drums][:5]
    if with_drums:
        parts.append(Track("kit", Instrument(0, drums=True), (Note(36, 0, 10), Note(38, 480, 10))))
    song = Song(title="Zero", tracks=tuple(parts))
    back = read_midi(write_midi(song, type=0))
    assert back.title == "Zero"
    assert sorted(map(_content, back.tracks)) == sorted(_content(t) for t in parts if t.notes)


def _content(track: Track) -> tuple[bool, int, int, int, tuple[tuple[int, int, int, int], ...]]:
    notes = tuple((n.start, n.pitch, n.duration, n.velocity) for n in track.notes)
    return track.instrument.drums, track.instrument.program, track.volume, track.pan, notes
