"""The song as one Yjs document (pycrdt): build it from a Song, read a Song back.

The document has six root maps (see ``docs/song-document.md``)::

    meta      {schema, title, ppq, key?}
    tempos    id -> Y.Map {tick, bpm}
    meters    id -> Y.Map {tick, numerator, denominator}
    tracks    id -> Y.Map {name, program, drums, volume, pan, mute, solo, order,
                           position?, notes: Y.Map id -> Y.Map {pitch, start, duration, velocity},
                           kind?: "audio", clips?: Y.Map id -> Y.Map {blob, mime, start,
                           offset, duration_ms, author?}}
    chords    id -> Y.Map {tick, duration, symbol, order}
    sections  id -> Y.Map {tick, name, order}

Every entry is a ``Y.Map`` of its own so that two people editing different
fields of one note (one moves it, the other changes its pitch) both win.
``doc_to_song(song_to_doc(song)) == song`` for every song whose ticks fit a
JavaScript number (below 2**53).
"""

from __future__ import annotations

import json
import random
from typing import Any, TypeAlias

from pycrdt import Doc, Map

from bandmate.music.song import Song
from bandmate.sync.decode import song_from_json
from bandmate.sync.encode import song_to_json
from bandmate.sync.errors import DocumentError
from bandmate.sync.schema import LANES, ROOTS, JsonObject, JsonValue

YMap: TypeAlias = Map[Any]
"""A pycrdt map holding any document value (pycrdt types its values as ``Any``)."""


def song_to_doc(
    song: Song, *, doc: Doc[Any] | None = None, rng: random.Random | None = None
) -> Doc[Any]:
    """Write ``song`` into a Yjs document, in one transaction.

    Args:
        song: The song.
        doc: The document to write into (e.g. one made with a chosen ``client_id``);
            whatever song it held is replaced. A new document when omitted.
        rng: The source of entry ids; a seeded :class:`random.Random` makes the ids
            (not the update bytes, which also carry the client id) reproducible.

    Returns:
        The document.

    Raises:
        DocumentError: A tick beyond 2**53 - 1 or a string with a lone surrogate,
            which a document cannot hold.
    """
    data = song_to_json(song, rng=rng)
    doc = Doc() if doc is None else doc
    with doc.transaction():
        for name in ROOTS:
            root = root_map(doc, name)
            root.clear()
            for key, value in data[name].items():
                root[key] = to_shared(value)
    return doc


def doc_to_song(doc: Doc[Any]) -> Song:
    """Read and check the song in a document, as it stands now.

    Args:
        doc: A song document, e.g. one a client built or edited.

    Call it between transactions, not from an observer callback: pycrdt allows no
    new transaction while one is being committed.

    Returns:
        The song. Document-only data (track positions, ids, orders) is dropped.

    Raises:
        DocumentError: The document breaks the schema: an entry that is not a
            ``Y.Map``, a missing field, a value of the wrong type or out of range,
            a schema version newer than this code reads.
    """
    with doc.transaction():
        check_structure(doc)
        return song_from_json(doc_to_json(doc))


def doc_to_json(doc: Doc[Any]) -> dict[str, JsonObject]:
    """The document's content as plain JSON, one object per root.

    Shared types become plain values (a ``Y.Map`` an object, a ``Y.Array`` a list)
    and numbers come out as ``int`` when whole: JavaScript's ``doc.toJSON()``
    gives the same values.
    """
    with doc.transaction():
        # One to_json call per root runs in Rust: about twice as fast as pycrdt's to_py.
        return {name: _loads(str(root_map(doc, name))) for name in ROOTS}


def check_structure(doc: Doc[Any]) -> None:
    """Check that every entry in the lanes, and every track's ``notes`` and ``clips``
    (and each of their entries), is a ``Y.Map``.

    A plain JSON object would read the same but would merge as one value (the
    last writer would win on every field), and edits could not address its fields.

    Raises:
        DocumentError: An entry, a ``notes`` or ``clips`` value, or one of their
            entries is something else.
    """
    with doc.transaction():
        for name in LANES:
            for key, entry in root_map(doc, name).items():
                path = f"{name}/{key}"
                _require_map(entry, path)
                if name != "tracks":
                    continue
                for inner in ("notes", "clips"):
                    if inner in entry:
                        items = entry[inner]
                        _require_map(items, f"{path}/{inner}")
                        for item_key, item in items.items():
                            _require_map(item, f"{path}/{inner}/{item_key}")


def root_map(doc: Doc[Any], name: str) -> YMap:
    """The root map ``name`` of ``doc`` (created empty if no one has written it yet)."""
    root: YMap = doc.get(name, type=Map)
    return root


def to_shared(value: JsonValue) -> Any:
    """A JSON value as it is stored: objects become ``Y.Map``, numbers doubles.

    Numbers are stored as doubles whatever pycrdt would do with an ``int``: a
    JavaScript peer reads a double as a ``number``, but a 64-bit integer as a
    ``BigInt`` that most code (and ``JSON.stringify``) cannot handle.
    Lists stay plain arrays (a position is one value).
    """
    if isinstance(value, dict):
        return Map({key: to_shared(item) for key, item in value.items()})
    if isinstance(value, list):
        return [to_shared(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _require_map(value: object, path: str) -> None:
    if not isinstance(value, Map):
        raise DocumentError(f"{path} must be a Y.Map, not {type(value).__name__}")


def _loads(text: str) -> JsonObject:
    try:
        value = json.loads(text)
    except ValueError as exc:  # Yrs writes valid JSON; this guards against a future change
        raise DocumentError(f"document JSON could not be read: {exc}") from exc
    if not isinstance(value, dict):
        raise DocumentError(f"a root map read as {type(value).__name__}, not an object")
    return value
