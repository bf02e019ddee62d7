"""Incremental edits of a song document, for the server and the AI bandmate.

Each function changes only the fields it is asked to change, inside one
transaction (or the caller's, when one is open), so that it merges with what
other people do at the same time: moving a note writes its ``start`` and
nothing else. Values are checked before anything is written; a failed check
raises :class:`DocumentError` and leaves the document as it was.

Removing something that is already gone is not an error: under concurrent
editing someone else may have removed it first.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pycrdt import Doc, Map

from bandmate.errors import MusicError
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
from bandmate.sync.checks import as_map, integer
from bandmate.sync.decode import note_from_json, track_from_json
from bandmate.sync.document import YMap, root_map, to_shared
from bandmate.sync.encode import (
    check_text,
    chord_to_json,
    meter_to_json,
    note_to_json,
    section_to_json,
    tempo_to_json,
    track_to_json,
)
from bandmate.sync.errors import DocumentError
from bandmate.sync.schema import ORIGIN, JsonObject, Position, new_id


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET
"""Marks an option left alone where ``None`` is a value (``set_meta(key=None)`` clears the key)."""


def add_track(
    doc: Doc[Any],
    track: Track,
    *,
    order: float | None = None,
    position: Position = ORIGIN,
    rng: random.Random | None = None,
) -> str:
    """Add ``track`` (with its notes and clips) to the document.

    Args:
        doc: The song document.
        track: The track.
        order: Where it sorts among the tracks; after the last one when omitted.
        position: ``(x, y, z)`` in the spatial mix.
        rng: The source of ids.

    Returns:
        The new track's id.
    """
    note_ids = [new_id(rng) for _ in track.notes]
    clip_ids = [new_id(rng) for _ in track.clips]
    with doc.transaction():
        tracks = root_map(doc, "tracks")
        if order is None:
            order = max((_order(tracks, key) for key in _keys(tracks)), default=-1.0) + 1.0
        entry = track_to_json(
            track, order=order, position=position, note_ids=note_ids, clip_ids=clip_ids
        )
        track_id = new_id(rng)
        track_from_json(entry, f"tracks/{track_id}")  # a finite order and position
        tracks[track_id] = to_shared(entry)
    return track_id


def remove_track(doc: Doc[Any], track_id: str) -> bool:
    """Remove a track and its notes; return whether it was there."""
    with doc.transaction():
        return _remove(root_map(doc, "tracks"), track_id)


def set_track(
    doc: Doc[Any],
    track_id: str,
    *,
    name: str | None = None,
    instrument: Instrument | None = None,
    volume: int | None = None,
    pan: int | None = None,
    mute: bool | None = None,
    solo: bool | None = None,
    order: float | None = None,
    position: Position | None = None,
) -> None:
    """Change some fields of a track (those given); the others are left alone.

    Raises:
        DocumentError: No such track, or a value out of range (``volume=200``).
    """
    changes: JsonObject = {}
    if name is not None:
        changes["name"] = check_text("track name", name)
    if instrument is not None:
        changes |= {"program": instrument.program, "drums": instrument.drums}
    changes |= {k: v for k, v in (("volume", volume), ("pan", pan)) if v is not None}
    changes |= {k: v for k, v in (("mute", mute), ("solo", solo)) if v is not None}
    if order is not None:
        changes["order"] = float(order)
    if position is not None:
        changes["position"] = [float(c) for c in position]
    with doc.transaction():
        entry = _track_map(doc, track_id)
        current = {k: entry.get(k) for k in _keys(entry) if k != "notes"}
        track_from_json(current | changes | {"notes": {}}, f"tracks/{track_id}")
        for key, value in changes.items():
            entry[key] = to_shared(value)


def track_ids(doc: Doc[Any]) -> list[str]:
    """The ids of the document's tracks, in song order (by ``order``, then id)."""
    with doc.transaction():
        tracks = root_map(doc, "tracks")
        return sorted(tracks.keys(), key=lambda key: (_order(tracks, key), key))


def add_notes(
    doc: Doc[Any], track_id: str, notes: Iterable[Note], *, rng: random.Random | None = None
) -> list[str]:
    """Add notes to a track.

    Returns:
        The new notes' ids, in the order of ``notes``.

    Raises:
        DocumentError: No such track, or a note starts beyond 2**53 - 1.
    """
    entries = {new_id(rng): note_to_json(note) for note in notes}
    with doc.transaction():
        target = _notes_map(doc, track_id)
        for note_id, entry in entries.items():
            target[note_id] = to_shared(entry)
    return list(entries)


def remove_notes(doc: Doc[Any], track_id: str, note_ids: Iterable[str]) -> int:
    """Remove notes from a track; return how many were there to remove.

    Raises:
        DocumentError: No such track.
    """
    with doc.transaction():
        target = _notes_map(doc, track_id)
        return sum(_remove(target, note_id) for note_id in note_ids)


def set_note(
    doc: Doc[Any],
    track_id: str,
    note_id: str,
    *,
    pitch: int | None = None,
    start: int | None = None,
    duration: int | None = None,
    velocity: int | None = None,
) -> Note:
    """Change some fields of a note (move it, transpose it, ...); return the note as it is now.

    Raises:
        DocumentError: No such track or note, or a value out of range.
    """
    given = {"pitch": pitch, "start": start, "duration": duration, "velocity": velocity}
    changes: JsonObject = {key: value for key, value in given.items() if value is not None}
    path = f"tracks/{track_id}/notes/{note_id}"
    with doc.transaction():
        entry = _child_map(_notes_map(doc, track_id), note_id, path)
        note = note_from_json({k: entry.get(k) for k in _keys(entry)} | changes, path)
        for key, value in note_to_json(note).items():
            if key in changes:
                entry[key] = to_shared(value)
    return note


def notes_of(doc: Doc[Any], track_id: str) -> dict[str, Note]:
    """The notes of a track by id.

    Raises:
        DocumentError: No such track, or a note breaks the schema.
    """
    with doc.transaction():
        notes = as_map(json.loads(str(_notes_map(doc, track_id))), f"tracks/{track_id}/notes")
    path = f"tracks/{track_id}/notes"
    return {
        key: note_from_json(as_map(v, f"{path}/{key}"), f"{path}/{key}") for key, v in notes.items()
    }


def set_meta(
    doc: Doc[Any],
    *,
    title: str | None = None,
    key: Key | Unset | None = UNSET,
    tempos: Sequence[TempoChange] | None = None,
    meters: Sequence[MeterChange] | None = None,
    rng: random.Random | None = None,
) -> None:
    """Change the song's title, key, tempo map or meter map (those given).

    A new tempo (or meter) map keeps the entries at ticks it still has and
    updates them in place, so a concurrent change of the same tempo merges.
    The resolution (``ppq``) is fixed when the document is made.

    Args:
        doc: The song document.
        title: The new title.
        key: The new key, or ``None`` for no key.
        tempos: The whole new tempo map, starting at tick 0.
        meters: The whole new meter map, starting at tick 0.
        rng: The source of ids for new tempo and meter entries.

    Raises:
        DocumentError: A map that does not start at tick 0 or repeats a tick.
    """
    if tempos is not None or meters is not None:
        try:
            Song(
                tempos=Song().tempos if tempos is None else tuple(tempos),
                meters=Song().meters if meters is None else tuple(meters),
            )
        except MusicError as exc:
            raise DocumentError(str(exc)) from exc
    with doc.transaction():
        meta = root_map(doc, "meta")
        if title is not None:
            meta["title"] = check_text("title", title)
        if key is None:
            if "key" in meta:
                del meta["key"]
        elif key is not UNSET:
            meta["key"] = str(key)
        if tempos is not None:
            _replace_changes(root_map(doc, "tempos"), [tempo_to_json(t) for t in tempos], rng)
        if meters is not None:
            _replace_changes(root_map(doc, "meters"), [meter_to_json(m) for m in meters], rng)


def add_chords(
    doc: Doc[Any], chords: Iterable[ChordEvent], *, rng: random.Random | None = None
) -> list[str]:
    """Add chords to the chord lane (after any chords at the same ticks); return their ids."""
    return _add_to_lane(doc, "chords", [chord_to_json(c, order=0.0) for c in chords], rng)


def add_sections(
    doc: Doc[Any], sections: Iterable[Section], *, rng: random.Random | None = None
) -> list[str]:
    """Add sections to the section lane (after any at the same ticks); return their ids."""
    return _add_to_lane(doc, "sections", [section_to_json(s, order=0.0) for s in sections], rng)


def remove_chords(doc: Doc[Any], chord_ids: Iterable[str]) -> int:
    """Remove chords by id; return how many were there to remove."""
    with doc.transaction():
        return sum(_remove(root_map(doc, "chords"), chord_id) for chord_id in chord_ids)


def remove_sections(doc: Doc[Any], section_ids: Iterable[str]) -> int:
    """Remove sections by id; return how many were there to remove."""
    with doc.transaction():
        return sum(_remove(root_map(doc, "sections"), section_id) for section_id in section_ids)


def _add_to_lane(
    doc: Doc[Any], lane: str, entries: list[JsonObject], rng: random.Random | None
) -> list[str]:
    ids = [new_id(rng) for _ in entries]
    with doc.transaction():
        root = root_map(doc, lane)
        # Later entries sort after earlier ones at the same tick: order above all there is.
        base = max((_order(root, key) for key in _keys(root)), default=-1.0) + 1.0
        for index, (entry_id, entry) in enumerate(zip(ids, entries, strict=True)):
            root[entry_id] = to_shared(entry | {"order": base + index})
    return ids


def _replace_changes(root: YMap, changes: list[JsonObject], rng: random.Random | None) -> None:
    """Make ``root`` hold ``changes``, reusing the entry already at each tick.

    Where concurrent edits left several entries at one tick, the one with the
    smallest id is reused (the one a reader picks) and the others are removed.
    """
    old = sorted(_keys(root))
    at_tick: dict[float, str] = {}
    for entry_id in old:
        entry = root[entry_id]
        tick = entry.get("tick") if isinstance(entry, Map) else None
        if isinstance(tick, int | float) and not isinstance(tick, bool):
            at_tick.setdefault(tick, entry_id)
    kept: set[str] = set()
    for change in changes:
        reused = at_tick.get(integer(change, "tick", "change"))
        if reused is None:
            root[new_id(rng)] = to_shared(change)
            continue
        kept.add(reused)
        entry = root[reused]
        for name, value in change.items():
            if entry.get(name) != value:
                entry[name] = to_shared(value)
    for entry_id in old:
        if entry_id not in kept:
            del root[entry_id]


def _track_map(doc: Doc[Any], track_id: str) -> YMap:
    return _child_map(root_map(doc, "tracks"), track_id, f"tracks/{track_id}")


def _notes_map(doc: Doc[Any], track_id: str) -> YMap:
    return _child_map(_track_map(doc, track_id), "notes", f"tracks/{track_id}/notes")


def _child_map(parent: YMap, key: str, path: str) -> YMap:
    check_text("id", key)
    if key not in parent:
        raise DocumentError(f"{path} does not exist")
    child = parent[key]
    if not isinstance(child, Map):
        raise DocumentError(f"{path} must be a Y.Map, not {type(child).__name__}")
    return child


def _remove(parent: YMap, key: str) -> bool:
    check_text("id", key)
    if key not in parent:
        return False
    del parent[key]
    return True


def _order(root: YMap, key: str) -> float:
    entry = root[key]
    value = entry.get("order") if isinstance(entry, Map) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _keys(parent: YMap) -> list[str]:
    return list(parent.keys())
