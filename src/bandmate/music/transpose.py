"""Transposing songs: chromatically, diatonically within a key, or into another key.

Drum tracks never move (their pitches name drums, not notes). Every function
returns a new :class:`~bandmate.music.song.Song` and raises
:class:`~bandmate.errors.MusicError` rather than push a note outside 0..127.

Chord symbols are respelled as they move: chromatically by the interval
between the old and new tonic (so chords keep their relation to the key and
transposing back restores them), diatonically tone by tone within the key
(C becomes Dm one step up in C major).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal

from bandmate.errors import MusicError
from bandmate.music.chord import (
    ADDED_TONES,
    ALTERATIONS,
    QUALITIES,
    AddedTone,
    Alteration,
    Chord,
    transpose_chord,
)
from bandmate.music.interval import (
    Interval,
    add_interval,
    interval_between,
    interval_from_parts,
    parse_interval,
)
from bandmate.music.key import Key
from bandmate.music.pitch import Pitch, parse_pitch_class
from bandmate.music.song import Song

Direction = Literal["nearest", "up", "down"]


def transpose_song(song: Song, semitones: int) -> Song:
    """Transpose every pitched note, the chord lane and the key by ``semitones``.

    Raises:
        MusicError: A note would leave MIDI 0..127.
    """
    if song.key is None:
        return _rebuild(song, lambda p: p + semitones, lambda c: transpose_chord(c, semitones))
    new_key = song.key.transpose(semitones)
    interval = interval_between(parse_pitch_class(song.key.tonic), parse_pitch_class(new_key.tonic))
    return _rebuild(
        song,
        lambda p: p + semitones,
        lambda c: _move_chord_by(c, interval, semitones, new_key),
        key=new_key,
    )


def transpose_song_diatonic(song: Song, steps: int, *, key: Key | None = None) -> Song:
    """Move every pitched note and chord ``steps`` degrees along the key's scale.

    A note outside the scale keeps its distance from the nearest degree below.
    The key itself does not change.

    Args:
        song: The song to transpose.
        steps: Scale steps, positive is up (7 is an octave).
        key: The key to move in; defaults to ``song.key``.

    Raises:
        MusicError: Neither ``key`` nor ``song.key`` is set, or a note would
            leave MIDI 0..127.
    """
    key = key or song.key
    if key is None:
        raise MusicError("diatonic transposition needs a key: song.key is None and key=None")
    scale = key.scale
    return _rebuild(
        song,
        lambda p: scale.shift_midi(p, steps),
        lambda c: transpose_chord_diatonic(c, steps, key=key),
    )


def transpose_key(song: Song, new_key: Key, *, direction: Direction = "nearest") -> Song:
    """Move a song from ``song.key`` to ``new_key``, mode changes included.

    Each note keeps its scale degree and its chromatic offset from it, so C
    major to C minor turns every E into Eb; between keys of the same mode
    this is a plain chromatic transposition.

    Args:
        song: The song, with ``song.key`` set.
        new_key: The key to move into; chords take its spelling.
        direction: Move the tonic to the nearest ``new_key`` tonic (up on a
            tritone), or always ``"up"`` or ``"down"`` (a whole octave when the
            tonics are equal).

    Raises:
        MusicError: ``song.key`` is None, or a note would leave MIDI 0..127.
    """
    old_key = song.key
    if old_key is None:
        raise MusicError("transpose_key needs song.key; it is None")
    up = (new_key.tonic_pc - old_key.tonic_pc) % 12
    shift = {"up": up or 12, "down": up - 12, "nearest": up if up <= 6 else up - 12}[direction]
    old_scale, new_scale = old_key.scale, new_key.scale
    octave_fix = old_key.tonic_pc + shift - new_key.tonic_pc  # a multiple of 12

    def move_pitch(pitch: int) -> int:
        degree, octave, offset = old_scale.locate(pitch)
        return new_scale.degree_to_midi(degree, octave=octave) + offset + octave_fix

    def move_name(name: Pitch) -> Pitch:
        return _to_degree(name, old_key, new_key, 0)

    return _rebuild(
        song,
        move_pitch,
        lambda c: _map_chord(c, move_name, new_key, move_pitch(c.root_pc)),
        key=new_key,
    )


def transpose_chord_diatonic(chord: Chord, steps: int, *, key: Key) -> Chord:
    """Move each tone of a chord ``steps`` degrees along ``key``'s scale.

    The quality follows the scale: in C major, C up one step is Dm and G7 up
    one step is Am7. Chromatic tones keep their offset (D7 -> E7 in C major).
    When the moved tones name no chord symbol, the quality is kept and only
    the root and bass move.
    """
    if steps % 7 == 0:
        return chord
    root_pc = key.scale.shift_midi(chord.root_pc, steps)
    return _map_chord(chord, lambda name: _to_degree(name, key, key, steps), key, root_pc)


def _to_degree(name: Pitch, old_key: Key, new_key: Key, steps: int) -> Pitch:
    """The pitch ``steps`` degrees on from ``name``'s degree, moved from old to new key."""
    old, new = old_key.scale.pitches, new_key.scale.pitches
    index = (name.step - old[0].step) % 7
    target = new[(index + steps) % 7]
    return Pitch(target.letter, target.accidental + name.accidental - old[index].accidental)


def _map_chord(chord: Chord, move: Callable[[Pitch], Pitch], key: Key, root_pc: int) -> Chord:
    """Move a chord tone by tone with ``move``; ``root_pc`` is the fallback new root."""
    try:
        root = move(parse_pitch_class(chord.root))
        bass = None if chord.bass is None else move(parse_pitch_class(chord.bass)).name
        moved = Chord(root.name, chord.quality, chord.added, chord.alterations, bass)
    except MusicError:  # the moved spelling needs more than two accidentals
        shift = root_pc - chord.root_pc
        return transpose_chord(chord, shift, key=key)
    wanted = set()
    try:
        for old, tone in zip(chord.intervals, chord.tones, strict=True):
            simple = interval_between(root, move(parse_pitch_class(tone)))
            wanted.add(interval_from_parts(old.steps, simple.semitones + old.steps // 7 * 12))
    except MusicError:  # a tone needs more than doubly augmented or diminished
        return moved
    if set(moved.intervals) == wanted:
        return moved
    return _identify(moved, wanted) or moved


def _identify(chord: Chord, wanted: set[Interval]) -> Chord | None:
    """The simplest chord on ``chord``'s root and bass sounding the ``wanted`` intervals.

    Intervals compare modulo the octave, so a minor sixth may become a ``b13``.
    """
    target = _simple(wanted)
    best: Chord | None = None
    for quality in QUALITIES:
        base = Chord(chord.root, quality, bass=chord.bass)
        tones = [_tone_for(i) for i in wanted if not _simple([i]) <= _simple(base.intervals)]
        if None in tones:
            continue
        candidate = Chord(
            base.root,
            quality,
            tuple(t for t in ADDED_TONES if t in tones),
            tuple(t for t in ALTERATIONS if t in tones),
            base.bass,
        )
        if _simple(candidate.intervals) == target and (
            best is None or _extras(candidate) < _extras(best)
        ):
            best = candidate
    return best


def _tone_for(interval: Interval) -> AddedTone | Alteration | None:
    """The added or altered tone for an interval: exactly, else modulo the octave."""
    exact = [tone for tone, other in _TONES if other == interval]
    close = [tone for tone, other in _TONES if _simple([other]) == _simple([interval])]
    return (exact + close + [None])[0]


def _simple(intervals: Iterable[Interval]) -> set[tuple[int, int]]:
    return {(i.steps % 7, i.semitones % 12) for i in intervals}


def _extras(chord: Chord) -> int:
    return len(chord.added) + len(chord.alterations)


# Tones a chord symbol can add, in order of preference for one sound.
_TONE_NAMES: tuple[tuple[AddedTone | Alteration, str], ...] = (
    ("9", "M9"), ("11", "P11"), ("13", "M13"), ("b5", "d5"), ("#5", "A5"), ("b9", "m9"),
    ("#9", "A9"), ("#11", "A11"), ("b13", "m13"), ("2", "M2"), ("4", "P4"),
)  # fmt: skip
_TONES = tuple((tone, parse_interval(name)) for tone, name in _TONE_NAMES)


def _move_chord_by(chord: Chord, interval: Interval, semitones: int, key: Key) -> Chord:
    """Raise a chord's root and bass by ``interval``, or respell in ``key`` if that fails."""
    try:
        root = add_interval(parse_pitch_class(chord.root), interval).name
        bass = chord.bass and add_interval(parse_pitch_class(chord.bass), interval).name
        return Chord(root, chord.quality, chord.added, chord.alterations, bass)
    except MusicError:
        return transpose_chord(chord, semitones, key=key)


def _rebuild(
    song: Song,
    move_pitch: Callable[[int], int],
    move_chord: Callable[[Chord], Chord],
    *,
    key: Key | None = None,
) -> Song:
    tracks = []
    for track in song.tracks:
        if track.instrument.drums:
            tracks.append(track)
            continue
        notes = []
        for note in track.notes:
            pitch = move_pitch(note.pitch)
            if not 0 <= pitch <= 127:
                raise MusicError(
                    f"track {track.name!r}: note pitch={note.pitch} at tick={note.start} would "
                    f"move to {pitch}; pitches must stay in 0..127"
                )
            notes.append(replace(note, pitch=pitch))
        tracks.append(replace(track, notes=tuple(notes)))
    chords = tuple(replace(event, chord=move_chord(event.chord)) for event in song.chords)
    return replace(song, tracks=tuple(tracks), chords=chords, key=key or song.key)
