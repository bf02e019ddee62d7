"""Song values to the document's plain-JSON shape (no CRDT types yet).

Each function returns the JSON a document entry holds: :func:`song_to_json`
gives the whole document as ``{root: {key: value}}``, and the entry functions
(:func:`note_to_json`, :func:`track_to_json`, ...) give one map entry each, for
the incremental edits in :mod:`bandmate.sync.edit`. Integers stay ``int`` here;
:mod:`bandmate.sync.document` stores every number as a double, as JavaScript does.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from bandmate.music.song import (
    AudioClip,
    ChordEvent,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
)
from bandmate.sync.errors import DocumentError
from bandmate.sync.schema import (
    MAX_SAFE_INTEGER,
    ORIGIN,
    SCHEMA_VERSION,
    JsonObject,
    Position,
    new_id,
)


def check_text(name: str, value: str) -> str:
    """Return ``value`` if it can be stored: a document string is UTF-8.

    Raises:
        DocumentError: ``value`` holds a lone surrogate (Python allows them, UTF-8 does not).
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DocumentError(f"{name}={value!r} must be valid Unicode (no lone surrogates)") from exc
    return value


def _safe(name: str, value: int) -> int:
    # Song allows any int; a document number is a JavaScript double.
    if abs(value) > MAX_SAFE_INTEGER:
        raise DocumentError(f"{name}={value} must be at most 2**53 - 1 in magnitude")
    return value


def note_to_json(note: Note) -> JsonObject:
    """One entry of a track's ``notes`` map."""
    return {
        "pitch": note.pitch,
        "start": _safe("start", note.start),
        "duration": _safe("duration", note.duration),
        "velocity": note.velocity,
    }


def clip_to_json(clip: AudioClip) -> JsonObject:
    """One entry of an audio track's ``clips`` map."""
    entry: JsonObject = {
        "blob": clip.blob,
        "mime": check_text("clip mime", clip.mime),
        "start": _safe("clip start", clip.start),
        "offset": _safe("clip offset", clip.offset),
        "duration_ms": float(clip.duration_ms),
    }
    if clip.author is not None:
        entry["author"] = check_text("clip author", clip.author)
    return entry


def track_to_json(
    track: Track,
    *,
    order: float,
    position: Position = ORIGIN,
    note_ids: Sequence[str],
    clip_ids: Sequence[str] = (),
) -> JsonObject:
    """One entry of the ``tracks`` map, with its ``notes`` map keyed by ``note_ids``.

    A track with clips is an ``audio`` track (``kind: "audio"``) and has a ``clips``
    map keyed by ``clip_ids``; a track without clips has neither key.

    Args:
        track: The track.
        order: Where the track sorts among the others (any finite number).
        position: ``(x, y, z)`` of the track in the spatial mix.
        note_ids: One id per note of ``track.notes``, in the same order.
        clip_ids: One id per clip of ``track.clips``, in the same order.
    """
    if len(note_ids) != len(track.notes):
        raise ValueError(f"{len(note_ids)} note ids for {len(track.notes)} notes")
    if len(clip_ids) != len(track.clips):
        raise ValueError(f"{len(clip_ids)} clip ids for {len(track.clips)} clips")
    notes: JsonObject = {i: note_to_json(n) for i, n in zip(note_ids, track.notes, strict=True)}
    audio: JsonObject = {}
    if track.clips:
        clips = zip(clip_ids, track.clips, strict=True)
        audio = {"kind": "audio", "clips": {i: clip_to_json(c) for i, c in clips}}
    return {
        "name": check_text("track name", track.name),
        "program": track.instrument.program,
        "drums": track.instrument.drums,
        "volume": track.volume,
        "pan": track.pan,
        "mute": track.mute,
        "solo": track.solo,
        "order": float(order),
        "position": [float(c) for c in position],
        "notes": notes,
        **audio,
    }


def tempo_to_json(tempo: TempoChange) -> JsonObject:
    """One entry of the ``tempos`` map."""
    return {"tick": _safe("tempo tick", tempo.tick), "bpm": float(tempo.bpm)}


def meter_to_json(meter: MeterChange) -> JsonObject:
    """One entry of the ``meters`` map."""
    return {
        "tick": _safe("meter tick", meter.tick),
        "numerator": meter.numerator,
        "denominator": meter.denominator,
    }


def chord_to_json(chord: ChordEvent, *, order: float) -> JsonObject:
    """One entry of the ``chords`` map; the chord is stored as its canonical symbol."""
    return {
        "tick": _safe("chord tick", chord.tick),
        "duration": _safe("chord duration", chord.duration),
        "symbol": str(chord.chord),
        "order": float(order),
    }


def section_to_json(section: Section, *, order: float) -> JsonObject:
    """One entry of the ``sections`` map."""
    return {
        "tick": _safe("section tick", section.tick),
        "name": check_text("section name", section.name),
        "order": float(order),
    }


def meta_to_json(song: Song) -> JsonObject:
    """The ``meta`` map: schema version, title, resolution and (when known) the key."""
    meta: JsonObject = {
        "schema": SCHEMA_VERSION,
        "title": check_text("title", song.title),
        "ppq": song.ppq,
    }
    if song.key is not None:
        meta["key"] = str(song.key)
    return meta


def song_to_json(song: Song, *, rng: random.Random | None = None) -> dict[str, JsonObject]:
    """The whole document for ``song`` as plain JSON, one object per root.

    Entries get fresh ids from ``rng``; tracks, chords and sections get ``order``
    equal to their index so that reading the document back restores their order.

    Args:
        song: The song.
        rng: The id source (see :func:`bandmate.sync.schema.new_id`).

    Returns:
        ``{"meta": {...}, "tempos": {...}, "meters": {...}, "tracks": {...},
        "chords": {...}, "sections": {...}}``.

    Raises:
        DocumentError: A tick beyond 2**53 - 1 or a string with a lone surrogate.
    """
    tracks: JsonObject = {}
    for index, track in enumerate(song.tracks):
        note_ids = [new_id(rng) for _ in track.notes]
        clip_ids = [new_id(rng) for _ in track.clips]
        tracks[new_id(rng)] = track_to_json(
            track, order=index, note_ids=note_ids, clip_ids=clip_ids
        )
    return {
        "meta": meta_to_json(song),
        "tempos": {new_id(rng): tempo_to_json(t) for t in song.tempos},
        "meters": {new_id(rng): meter_to_json(m) for m in song.meters},
        "tracks": tracks,
        "chords": {new_id(rng): chord_to_json(c, order=i) for i, c in enumerate(song.chords)},
        "sections": {new_id(rng): section_to_json(s, order=i) for i, s in enumerate(song.sections)},
    }
