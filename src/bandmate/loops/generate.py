"""A loop's notes from its spec, with the band's pattern library, in any key and tempo.

Drums, bass and chords (comping) come from the same pattern library the Bandmate panel
plays (:mod:`bandmate.assist.band`), over the loop's progression, seeded by the spec;
pads hold each bar's chord, voice-led. A loop offered in another key is the same notes
moved by whole semitones (:func:`bandmate.music.transpose.transpose_song`); in another
tempo, the same ticks under a new tempo: a generated loop never needs audio stretching.
"""

from __future__ import annotations

import math
from dataclasses import replace

from bandmate.assist.parts import suggest_backing, suggest_bass, suggest_drums
from bandmate.assist.request import PartRequest
from bandmate.loops.catalog import LoopSpec
from bandmate.loops.errors import LoopError
from bandmate.music.chord import parse_chord, voice_lead
from bandmate.music.key import Key
from bandmate.music.song import ChordEvent, Instrument, Note, Song, TempoChange, Track
from bandmate.music.transpose import transpose_song

PPQ = 480
BAR = 4 * PPQ
CRASH = 49
PAD_RANGE = (53, 79)
PAD_VELOCITY = 70
TEMPERATURE = 0.7
"""A little less variation than the panel: a loop repeats, so it should sit still."""
MAX_SHIFT = 12


def base_song(spec: LoopSpec) -> Song:
    """The loop's frame: title, tempo, 4/4, key and one chord a bar (no tracks yet)."""
    chords = tuple(
        ChordEvent(i * BAR, BAR, parse_chord(symbol)) for i, symbol in enumerate(spec.progression)
    )
    key = spec.parsed_key()
    return Song(
        title=spec.title,
        ppq=PPQ,
        tempos=(TempoChange(0, spec.bpm),),
        key=key,
        chords=chords,
    )


def _pad(song: Song, spec: LoopSpec) -> Track:
    notes: list[Note] = []
    voicing: tuple[int, ...] = ()
    for event in song.chords:
        voicing = voice_lead(voicing, event.chord, low=PAD_RANGE[0], high=PAD_RANGE[1])
        notes += [Note(p, event.tick, event.duration - 1, PAD_VELOCITY) for p in voicing]
    return Track("pad", Instrument(spec.program), tuple(notes))


def _band_track(song: Song, spec: LoopSpec) -> Track:
    request = PartRequest(
        start_bar=1, bars=spec.bars, style=spec.style, seed=spec.seed, temperature=TEMPERATURE
    )
    if spec.role == "drums":
        track = suggest_drums(song, request)[0].tracks[0]
        # A crash marks the top of a song; in a loop it would crash at every repeat.
        track = replace(track, notes=tuple(n for n in track.notes if n.pitch != CRASH))
    elif spec.role == "bass":
        track = suggest_bass(song, request)[0].tracks[0]
    else:
        track = suggest_backing(song, request)[0].tracks[0]  # the comping part
    return replace(
        track, name=spec.role, instrument=replace(track.instrument, program=spec.program)
    )


def loop_song(spec: LoopSpec, *, shift: int = 0, bpm: float | None = None) -> Song:
    """The loop as a one-track song.

    Args:
        spec: The loop.
        shift: Semitones to move it (pitched loops only; ignored for drums), -12..12.
        bpm: The tempo to play it at (its own when ``None``), 40..240.

    Returns:
        A song of ``spec.bars`` bars of 4/4 with one track named after the role, its
        chord lane in the (shifted) key, at ``bpm``.

    Raises:
        LoopError: for a shift or tempo out of range.
    """
    if not -MAX_SHIFT <= shift <= MAX_SHIFT:
        raise LoopError(f"shift={shift} must be in -{MAX_SHIFT}..{MAX_SHIFT} semitones")
    if bpm is not None and not (math.isfinite(bpm) and 40 <= bpm <= 240):
        raise LoopError(f"bpm={bpm} must be in 40..240")
    frame = base_song(spec)
    track = _pad(frame, spec) if spec.role == "pad" else _band_track(frame, spec)
    end = spec.bars * BAR
    notes = tuple(n for n in track.notes if n.start < end)
    notes = tuple(replace(n, duration=min(n.duration, end - n.start)) for n in notes)
    song = replace(frame, tracks=(replace(track, notes=notes),))
    if spec.role == "drums":
        song = replace(song, chords=())
    elif shift:
        song = transpose_song(song, shift)
    if bpm is not None:
        song = replace(song, tempos=(TempoChange(0, float(bpm)),))
    return song


def shifted_key(spec: LoopSpec, shift: int) -> Key | None:
    """The loop's key moved by ``shift`` semitones (``None`` for drums)."""
    key = spec.parsed_key()
    return None if key is None else key.transpose(shift)
