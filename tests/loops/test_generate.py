"""Loops from their specs: the role's notes inside the loop's bars, the same notes moved
exactly by a shift, the same ticks under a new tempo, and seamless rendered audio."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile

from bandmate.loops.audio import render_loop
from bandmate.loops.catalog import library
from bandmate.loops.errors import LoopError
from bandmate.loops.generate import BAR, loop_song
from bandmate.music.key import parse_key
from bandmate.music.time import TempoMap

PICKS = ("drums", "bass", "chords", "pad")


@pytest.mark.parametrize("role", PICKS)
def test_each_role_plays_its_part_inside_its_bars(role: str) -> None:
    for spec in [s for s in library() if s.role == role][::9]:
        song = loop_song(spec)
        (track,) = song.tracks
        assert track.notes, spec.id
        assert track.instrument.drums == (role == "drums")
        assert all(n.start >= 0 and n.end <= spec.bars * BAR for n in track.notes)
        assert song.tempos[0].bpm == spec.bpm
        if role == "drums":
            assert song.key is None
            assert not song.chords
            assert 49 not in {n.pitch for n in track.notes}  # no crash at every repeat
        else:
            assert song.key == parse_key(spec.key or "")
            assert [str(c.chord) for c in song.chords] == list(spec.progression)
            pcs = {n.pitch % 12 for n in track.notes}
            scale = set(parse_key(spec.key or "").pitch_classes)
            assert len(pcs & scale) >= len(pcs) - 2  # approach notes may leave the key


def test_the_same_spec_gives_the_same_notes() -> None:
    spec = next(s for s in library() if s.role == "bass" and s.style == "swing")
    assert loop_song(spec) == loop_song(spec)


@pytest.mark.parametrize("shift", [-12, -5, 1, 7, 12])
def test_a_shift_moves_every_note_and_the_key_by_exactly_that(shift: int) -> None:
    spec = next(s for s in library() if s.role == "chords")
    base, moved = loop_song(spec), loop_song(spec, shift=shift)
    assert [n.pitch + shift for n in base.tracks[0].notes] == [
        n.pitch for n in moved.tracks[0].notes
    ]
    assert [n.start for n in base.tracks[0].notes] == [n.start for n in moved.tracks[0].notes]
    assert moved.key is not None
    assert base.key is not None
    assert moved.key.tonic_pc == (base.key.tonic_pc + shift) % 12


def test_drums_ignore_a_shift_and_a_tempo_keeps_the_ticks() -> None:
    spec = next(s for s in library() if s.role == "drums")
    assert loop_song(spec, shift=5).tracks == loop_song(spec).tracks
    slow = loop_song(spec, bpm=spec.bpm / 2)
    assert slow.tracks == loop_song(spec).tracks
    assert slow.tempos[0].bpm == spec.bpm / 2


@pytest.mark.parametrize(("shift", "bpm"), [(13, None), (-13, None), (0, 39.0), (0, float("nan"))])
def test_out_of_range_shifts_and_tempi_are_refused(shift: int, bpm: float | None) -> None:
    with pytest.raises(LoopError, match=r"shift=|bpm="):
        loop_song(library()[60], shift=shift, bpm=bpm)


def test_rendered_audio_is_exactly_the_loops_bars_and_wraps_its_tail() -> None:
    spec = next(s for s in library() if s.role == "pad")
    song = loop_song(spec)
    data = render_loop(song, spec.bars, sample_rate=22050)
    audio, rate = soundfile.read(io.BytesIO(data))
    seconds = TempoMap.from_song(song).ticks_to_seconds(spec.bars * BAR)
    assert rate == 22050
    assert len(audio) == round(seconds * rate)
    assert np.max(np.abs(audio)) <= 10 ** (-1 / 20) + 1e-3
    # A pad holds its chord to the bar line and rings past it: the ring is folded onto the
    # start, so the first samples are not silent although nothing starts before tick 0.
    assert np.sqrt(np.mean(audio[:200] ** 2)) > 1e-3
