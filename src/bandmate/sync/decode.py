"""The document's plain-JSON shape to a :class:`~bandmate.music.song.Song`, checking everything.

A document comes from clients we do not control, so every value is checked for
presence, type and range; the first problem raises :class:`DocumentError` with
the value's path (``tracks/<id>/notes/<id>/pitch``), the value and the rule.
Keys the schema does not name are ignored, so newer clients may add fields.

Concurrent edits can leave states no single editor made; they are resolved the
same way on every replica, so all replicas read the same song:

- Two tempo (or meter) changes at one tick: the entry with the smaller id wins.
- No tempo (or meter) change at tick 0: the song's default (120 bpm, 4/4) applies there.
- Tracks sort by ``(order, id)``; chords and sections by ``(tick, order, id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from bandmate.errors import MusicError
from bandmate.music.chord import parse_chord
from bandmate.music.key import Key, parse_key
from bandmate.music.song import (
    AudioClip,
    ChordEvent,
    Instrument,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
)
from bandmate.sync.checks import (
    Entry,
    as_map,
    boolean,
    field,
    integer,
    kind,
    number,
    position,
    show,
    text,
)
from bandmate.sync.errors import DocumentError
from bandmate.sync.schema import ROOTS, SCHEMA_VERSION

T = TypeVar("T")
C = TypeVar("C", TempoChange, MeterChange)

DEFAULT_TEMPO = TempoChange(0, 120.0)
DEFAULT_METER = MeterChange(0, 4, 4)


def song_from_json(data: Mapping[str, object]) -> Song:
    """Read and check a whole document given as plain JSON, one object per root.

    Args:
        data: ``{"meta": {...}, "tracks": {...}, ...}`` as
            :func:`bandmate.sync.document.doc_to_json` returns it; a missing root
            counts as empty.

    Returns:
        The song.

    Raises:
        DocumentError: A value is missing, of the wrong type or out of range.
    """
    roots = {name: as_map(data.get(name, {}), name) for name in ROOTS}
    meta = roots["meta"]
    check_schema_version(meta)
    tempos = _changes(_lane(roots["tempos"], "tempos", _tempo), DEFAULT_TEMPO)
    meters = _changes(_lane(roots["meters"], "meters", _meter), DEFAULT_METER)
    tracks = sorted(
        _lane(roots["tracks"], "tracks", track_from_json), key=lambda e: (e[1][0], e[0])
    )
    chords = sorted(_lane(roots["chords"], "chords", _chord), key=lambda e: (e[1][0], e[0]))
    sections = sorted(_lane(roots["sections"], "sections", _section), key=lambda e: (e[1][0], e[0]))
    return _make(
        "meta",
        Song,
        title=text(meta, "title", "meta"),
        ppq=integer(meta, "ppq", "meta"),
        tempos=tuple(tempos),
        meters=tuple(meters),
        key=_key(meta),
        tracks=tuple(value for _, (_, value) in tracks),
        chords=tuple(value for _, (_, value) in chords),
        sections=tuple(value for _, (_, value) in sections),
    )


def check_schema_version(meta: Entry) -> int:
    """Return ``meta.schema`` if this version of Bandmate reads it.

    Raises:
        DocumentError: The version is missing, not an integer, below 1, or newer
            than :data:`~bandmate.sync.schema.SCHEMA_VERSION`.
    """
    version = integer(meta, "schema", "meta")
    if version < 1:
        raise DocumentError(f"meta/schema={version} must be >= 1")
    if version > SCHEMA_VERSION:
        raise DocumentError(
            f"meta/schema={version} is newer than this Bandmate reads ({SCHEMA_VERSION}): upgrade"
        )
    return version


def note_from_json(entry: Entry, path: str) -> Note:
    """Read one entry of a track's ``notes`` map found at ``path``."""
    return _make(
        path,
        Note,
        pitch=integer(entry, "pitch", path),
        start=integer(entry, "start", path),
        duration=integer(entry, "duration", path),
        velocity=integer(entry, "velocity", path),
    )


def clip_from_json(entry: Entry, path: str) -> AudioClip:
    """Read one entry of an audio track's ``clips`` map found at ``path``."""
    author = entry.get("author")
    if author is not None and not isinstance(author, str):
        raise DocumentError(f"{path}/author={show(author)} must be a string, not {kind(author)}")
    return _make(
        path,
        AudioClip,
        blob=text(entry, "blob", path),
        start=integer(entry, "start", path),
        offset=integer(entry, "offset", path),
        duration_ms=number(entry, "duration_ms", path),
        mime=text(entry, "mime", path),
        author=author,
    )


def _clips(entry: Entry, path: str) -> tuple[AudioClip, ...]:
    # ``kind`` and ``clips`` are optional: a note track has neither.
    track_kind = entry.get("kind")
    if track_kind is not None and track_kind != "audio":
        raise DocumentError(f"{path}/kind={show(track_kind)} must be 'audio' or absent")
    if "clips" not in entry:
        return ()
    clips = as_map(entry["clips"], f"{path}/clips")
    return tuple(clip for _, clip in _lane(clips, f"{path}/clips", clip_from_json))


def _tempo(entry: Entry, path: str) -> TempoChange:
    return _make(
        path, TempoChange, tick=integer(entry, "tick", path), bpm=number(entry, "bpm", path)
    )


def _meter(entry: Entry, path: str) -> MeterChange:
    return _make(
        path,
        MeterChange,
        tick=integer(entry, "tick", path),
        numerator=integer(entry, "numerator", path),
        denominator=integer(entry, "denominator", path),
    )


def track_from_json(entry: Entry, path: str) -> tuple[float, Track]:
    """Read one entry of the ``tracks`` map found at ``path``, as ``(order, track)``."""
    notes_path = f"{path}/notes"
    notes = as_map(field(entry, "notes", path), notes_path)
    position(entry, path)
    instrument = _make(
        path,
        Instrument,
        program=integer(entry, "program", path),
        drums=boolean(entry, "drums", path),
    )
    track = _make(
        path,
        Track,
        name=text(entry, "name", path),
        instrument=instrument,
        notes=tuple(note for _, note in _lane(notes, notes_path, note_from_json)),
        volume=integer(entry, "volume", path),
        pan=integer(entry, "pan", path),
        mute=boolean(entry, "mute", path),
        solo=boolean(entry, "solo", path),
        clips=_clips(entry, path),
    )
    return number(entry, "order", path), track


def _chord(entry: Entry, path: str) -> tuple[tuple[int, float], ChordEvent]:
    tick = integer(entry, "tick", path)
    symbol = text(entry, "symbol", path)
    try:
        chord = parse_chord(symbol)
    except MusicError as exc:
        raise DocumentError(f"{path}/symbol: {exc}") from exc
    event = _make(
        path, ChordEvent, tick=tick, duration=integer(entry, "duration", path), chord=chord
    )
    return (tick, number(entry, "order", path)), event


def _section(entry: Entry, path: str) -> tuple[tuple[int, float], Section]:
    tick = integer(entry, "tick", path)
    section = _make(path, Section, tick=tick, name=text(entry, "name", path))
    return (tick, number(entry, "order", path)), section


def _key(meta: Entry) -> Key | None:
    value = meta.get("key")
    if value is None:  # absent, or null as JavaScript clients may write
        return None
    if not isinstance(value, str):
        raise DocumentError(f"meta/key={show(value)} must be a string, not {kind(value)}")
    try:
        return parse_key(value)
    except MusicError as exc:
        raise DocumentError(f"meta/key: {exc}") from exc


def _changes(entries: list[tuple[str, C]], default: C) -> list[C]:
    """One change per tick (the smaller id wins), sorted, starting at tick 0."""
    by_tick: dict[int, C] = {}
    for _, change in sorted(entries, key=lambda e: e[0]):
        by_tick.setdefault(change.tick, change)
    changes = [by_tick[tick] for tick in sorted(by_tick)]
    if not changes or changes[0].tick != 0:
        changes.insert(0, default)
    return changes


def _lane(root: Entry, path: str, read: Callable[[Entry, str], T]) -> list[tuple[str, T]]:
    """Read every entry of an id-keyed map with ``read``, as ``(id, value)`` pairs."""
    return [
        (key, read(as_map(value, f"{path}/{key}"), f"{path}/{key}")) for key, value in root.items()
    ]


def _make(path: str, factory: Callable[..., T], **fields: object) -> T:
    try:
        return factory(**fields)
    except MusicError as exc:
        raise DocumentError(f"{path}: {exc}") from exc
