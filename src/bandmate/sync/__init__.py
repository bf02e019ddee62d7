"""The song as one Yjs document (pycrdt): the contract between Python and the browser.

The schema is documented in ``docs/song-document.md`` and mirrored in TypeScript
in ``web/src/doc/schema.ts``. Main entry points: :func:`song_to_doc` and
:func:`doc_to_song` (lossless, and the latter checks everything a client wrote),
the incremental edits (:func:`add_track`, :func:`add_notes`, :func:`set_note`,
:func:`set_meta`, ...), and the update codec (:func:`encode_state`,
:func:`apply_update`, ...). Every error is a :class:`DocumentError`.
"""

from __future__ import annotations

from bandmate.sync.document import doc_to_json, doc_to_song, song_to_doc
from bandmate.sync.edit import (
    UNSET,
    add_chords,
    add_notes,
    add_sections,
    add_track,
    notes_of,
    remove_chords,
    remove_notes,
    remove_sections,
    remove_track,
    set_meta,
    set_note,
    set_track,
    track_ids,
)
from bandmate.sync.errors import DocumentError
from bandmate.sync.schema import SCHEMA_VERSION, new_id
from bandmate.sync.update import apply_update, encode_diff, encode_state, encode_state_vector

__all__ = [
    "SCHEMA_VERSION",
    "UNSET",
    "DocumentError",
    "add_chords",
    "add_notes",
    "add_sections",
    "add_track",
    "apply_update",
    "doc_to_json",
    "doc_to_song",
    "encode_diff",
    "encode_state",
    "encode_state_vector",
    "new_id",
    "notes_of",
    "remove_chords",
    "remove_notes",
    "remove_sections",
    "remove_track",
    "set_meta",
    "set_note",
    "set_track",
    "song_to_doc",
    "track_ids",
]
