"""What the bandmate reads from a song before it suggests anything: key, position, chords.

The models know two modes, major and minor. A song in a church mode is read in the
nearer of the two on the same tonic (lydian and mixolydian as major; dorian, phrygian
and locrian as minor), so its suggestions keep its tonic. A song without a key gets
the Krumhansl–Schmuckler key of its pitched notes and chords
(:func:`bandmate.assist.keyfind.estimate_song_key`); a song with nothing pitched has
no key to work in and is refused with an :class:`AssistError`.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import replace

from bandmate.assist.errors import AssistError
from bandmate.assist.keyfind import estimate_song_key
from bandmate.errors import MusicError
from bandmate.music.chord import Chord, ChordQuality
from bandmate.music.key import Key
from bandmate.music.roman import chord_to_roman
from bandmate.music.song import ChordEvent, Song
from bandmate.music.time import TempoMap

_MAJOR_LIKE = ("major", "lydian", "mixolydian")

# Qualities outside the training vocabulary, read as the nearest triad or seventh chord.
_SIMPLER: dict[ChordQuality, ChordQuality] = {
    "sus2": "", "sus4": "", "5": "", "6": "", "m6": "m", "6/9": "", "m6/9": "m",
    "7sus4": "7", "9": "7", "maj9": "maj7", "m9": "m7", "9sus4": "7", "11": "7",
    "m11": "m7", "13": "7", "maj13": "maj7", "m13": "m7", "mMaj7": "m",
}  # fmt: skip


def song_key(song: Song) -> Key:
    """The song's key, or the key its notes and chords suggest when it has none.

    Raises:
        AssistError: The song has no key and nothing pitched to estimate one from
            (it is empty, or only has drum tracks).
    """
    if song.key is not None:
        return song.key
    estimated = estimate_song_key(song)
    if estimated is None:
        raise AssistError(
            "song key=None and the song has no pitched notes or chords to estimate one from "
            "(drum tracks do not count): set the song's key"
        )
    return estimated


def model_key(key: Key) -> Key:
    """The major or minor key on the same tonic that the models read ``key`` as."""
    if key.mode in ("major", "minor"):
        return key
    return key.parallel("major" if key.mode in _MAJOR_LIKE else "minor")


def position_tick(song: Song, *, at_tick: int | None, bar: int | None) -> int | None:
    """The tick a request is about: ``at_tick``, the start of ``bar``, or ``None`` (the end).

    Raises:
        AssistError: Both are given, or either is out of range.
    """
    if at_tick is not None and bar is not None:
        raise AssistError(f"at_tick={at_tick} and bar={bar}: give one position, not both")
    if at_tick is not None:
        if at_tick < 0:
            raise AssistError(f"at_tick={at_tick} must be >= 0")
        return at_tick
    if bar is not None:
        return bar_start(song, bar)
    return None


def bar_start(song: Song, bar: int) -> int:
    """The first tick of ``bar`` (1-based) in the song's meter."""
    if bar < 1:
        raise AssistError(f"bar={bar} must be >= 1 (bars count from 1)")
    try:
        return TempoMap.from_song(song).bar_start_tick(bar)
    except MusicError as exc:
        raise AssistError(f"bar={bar}: {exc}") from exc


def chords_before(song: Song, tick: int | None) -> list[ChordEvent]:
    """The chord lane up to ``tick`` (chords that start before it), or all of it."""
    return [c for c in song.chords if tick is None or c.tick < tick]


def simplify_chord(chord: Chord) -> Chord:
    """The chord as a triad or seventh chord: ``Cadd9`` -> ``C``, ``Dm9/C`` -> ``Dm7/C``."""
    quality = _SIMPLER.get(chord.quality, chord.quality)
    simple = replace(chord, quality=quality, added=(), alterations=(), bass=None)
    keep_bass = chord.bass is not None and chord.bass_pc in simple.pitch_classes
    return replace(simple, bass=chord.bass) if keep_bass else simple


def chord_numerals(
    chords: Sequence[Chord], key: Key, known: Container[str], *, unknown: str
) -> list[str]:
    """Roman numerals of a chord lane in ``key``, as the vocabulary knows them.

    Each chord is tried as written, simplified to a triad or seventh chord, then in
    root position; what still has no token becomes ``unknown``. Repeats are merged,
    as in the training data.
    """
    numerals: list[str] = []
    for chord in chords:
        token = unknown
        simple = simplify_chord(chord)
        for candidate in (chord, simple, replace(simple, bass=None)):
            try:
                numeral = chord_to_roman(candidate, key)
            except MusicError:
                continue
            if numeral in known:
                token = numeral
                break
        if not numerals or numerals[-1] != token:
            numerals.append(token)
    return numerals
