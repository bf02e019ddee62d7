"""Songs to and from music21 scores (shared by MusicXML and ABC).

music21 is imported inside the functions: it takes a second or two to load,
and ``import bandmate.formats`` must stay fast. Its objects are untyped
(``Any``) and never leave this module and its two callers.

Reading keeps what notation and the song model share: notes (ties merged,
grace notes dropped), parts as tracks (GM program from the part's
instrument, channel 10 or a percussion instrument as drums), metronome
marks, time signatures, the first key, chord symbols (each lasting until the
next one; symbols the chord parser rejects are dropped) and rehearsal marks
as sections. Velocities come from the notes' dynamics (100 when unstated).
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, TypeVar, get_args

from bandmate.errors import FormatError, MusicError
from bandmate.formats._keysig import key_to_signature, signature_to_key
from bandmate.music.chord import parse_chord
from bandmate.music.key import Key, KeyMode
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

_T = TypeVar("_T")
_MODES: dict[str, KeyMode] = {mode: mode for mode in get_args(KeyMode)}
_FLAT_NAMES = re.compile(r"(^|/)([A-G])b")  # "Bb7/Ab" -> music21's "B-7/A-"
_M21_FLATS = re.compile(r"(^|/)([A-G])-")


@contextmanager
def quiet() -> Iterator[None]:
    """Silence music21's warnings here only (the test suite turns warnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def guarded(what: str, call: Callable[[], _T]) -> _T:
    """Run a music21 call; turn whatever it raises into a FormatError naming ``what``."""
    try:
        with quiet():
            return call()
    except FormatError:
        raise
    except Exception as exc:  # music21 raises anything from ValueError to AttributeError
        raise FormatError(f"{what}: {type(exc).__name__}: {exc}") from exc


def m21(module: str) -> Any:
    """Import ``music21.<module>`` on first use (an untyped module, so typed ``Any``)."""
    return importlib.import_module(f"music21.{module}")


def _ticks(offset: Any, ppq: int) -> int:
    return round(Fraction(offset) * ppq)


def _instrument(part: Any) -> Instrument:
    instrument = m21("instrument")

    inst = part.getInstrument(returnDefault=False)
    if inst is None:
        return Instrument()
    program = inst.midiProgram if isinstance(inst.midiProgram, int) else 0
    drums = inst.midiChannel == 9 or isinstance(inst, instrument.UnpitchedPercussion)
    return Instrument(program=min(max(program, 0), 127), drums=drums)


def _pitches(element: Any) -> list[int]:
    if hasattr(element, "pitches") and element.pitches:
        return [p.midi for p in element.pitches]
    if hasattr(element, "displayPitch"):  # unpitched percussion
        return [element.displayPitch().midi]
    return []


def _notes(part: Any, ppq: int) -> tuple[Note, ...]:
    harmony = m21("harmony")

    notes: list[Note] = []
    for element in part.stripTies().flatten().notes:
        if isinstance(element, harmony.Harmony):
            continue
        start = _ticks(element.offset, ppq)
        length = _ticks(element.offset + element.quarterLength, ppq) - start
        if length < 1:
            continue  # grace notes take no time
        stated = element.volume.velocity
        velocity = 100 if stated is None else min(max(int(stated), 1), 127)
        notes.extend(Note(p, start, length, velocity) for p in _pitches(element) if 0 <= p <= 127)
    return tuple(notes)


def _last_per_tick(items: list[tuple[int, _T]]) -> list[tuple[int, _T]]:
    by_tick: dict[int, _T] = {}
    for tick, value in sorted(items, key=lambda item: item[0]):
        by_tick[tick] = value
    return list(by_tick.items())


def _key(flat: Any) -> Key | None:
    m21key = m21("key")

    for element in flat.getElementsByClass(m21key.KeySignature):
        if isinstance(element, m21key.Key) and element.mode in _MODES:
            tonic = element.tonic.name.replace("-", "b")
            try:
                return Key(tonic=tonic, mode=_MODES[element.mode])
            except MusicError:
                pass  # a theoretical key such as G# major: fall back to its signature
        # Signatures beyond seven sharps or flats name no key Bandmate spells: leave it unstated.
        return signature_to_key(element.sharps, False) if -7 <= element.sharps <= 7 else None
    return None


def _chords(flat: Any, ppq: int, end: int) -> tuple[ChordEvent, ...]:
    harmony = m21("harmony")

    found: list[tuple[int, Any]] = []
    for element in flat.getElementsByClass(harmony.ChordSymbol):
        if isinstance(element, harmony.NoChord):
            found.append((_ticks(element.offset, ppq), None))
            continue
        try:
            chord = parse_chord(_M21_FLATS.sub(r"\1\2b", element.figure))
        except MusicError:
            continue
        found.append((_ticks(element.offset, ppq), chord))
    lane: list[ChordEvent] = []
    stop = max([end, *(tick + ppq for tick, _ in found[-1:])])
    for i in range(len(found) - 1, -1, -1):  # backwards: each chord lasts until the next starts
        tick, chord = found[i]
        if i + 1 < len(found) and found[i + 1][0] > tick:
            stop = found[i + 1][0]
        if chord is not None:
            lane.append(ChordEvent(tick, stop - tick, chord))
    return tuple(reversed(lane))


def score_to_song(score: Any, *, ppq: int, title: str | None = None) -> Song:
    """Convert a parsed music21 score (or a single part) to a song.

    Args:
        score: A ``music21.stream.Score`` or ``Part``.
        ppq: Ticks per quarter note of the result.
        title: The title when the score's metadata has none.

    Returns:
        The song.
    """
    expressions = m21("expressions")
    meter = m21("meter")
    tempo = m21("tempo")

    parts = list(score.parts) if hasattr(score, "parts") and score.parts else [score]
    tracks = []
    for index, part in enumerate(parts):
        instrument = _instrument(part)
        name = part.partName or instrument.name or f"Part {index + 1}"
        tracks.append(Track(name=str(name), instrument=instrument, notes=_notes(part, ppq)))
    flat = score.flatten()
    tempos = _last_per_tick(
        [
            (_ticks(m.offset, ppq), round(float(m.getQuarterBPM()), 3))
            for m in flat.getElementsByClass(tempo.MetronomeMark)
            if m.number is not None and 1 <= m.getQuarterBPM() <= 1000
        ]
    )
    meters = _last_per_tick(
        [
            (_ticks(m.offset, ppq), (m.numerator, m.denominator))
            for m in flat.getElementsByClass(meter.TimeSignature)
            if 1 <= m.numerator <= 64 and m.denominator in (1, 2, 4, 8, 16, 32, 64)
        ]
    )
    end = max((t.end for t in tracks), default=0)
    marks = flat.getElementsByClass(expressions.RehearsalMark)
    metadata = score.metadata
    found_title = (metadata.bestTitle if metadata is not None else None) or title or "Untitled"
    return Song(
        title=str(found_title),
        ppq=ppq,
        tempos=tuple(TempoChange(t, b) for t, b in _with_start(tempos, 120.0)),
        meters=tuple(MeterChange(t, *m) for t, m in _with_start(meters, (4, 4))),
        key=_key(flat),
        tracks=tuple(tracks),
        chords=_chords(flat, ppq, end),
        sections=tuple(Section(_ticks(m.offset, ppq), str(m.content)) for m in marks),
    )


def _with_start(items: list[tuple[int, _T]], default: _T) -> list[tuple[int, _T]]:
    return items if items and items[0][0] == 0 else [(0, default), *items]


def m21_chord_figure(symbol: str) -> str:
    """A chord symbol spelled the music21 way (flats as ``-``)."""
    return _FLAT_NAMES.sub(r"\1\2-", symbol)


def m21_key(key: Key) -> Any:
    """The music21 key of a song key (through its signature, so any spelling works)."""
    m21key = m21("key")

    sharps, minor = key_to_signature(key)
    tonic = signature_to_key(sharps, minor).tonic.replace("b", "-")
    return m21key.Key(tonic, "minor" if minor else "major")
