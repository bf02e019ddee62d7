"""Yjs updates (format v1) in and out of a document: bytes in, bytes out.

These are the payloads of the y-protocols sync messages: a full state
(:func:`encode_state`), a state vector (:func:`encode_state_vector`) and the
difference a peer with that state vector lacks (:func:`encode_diff`). Errors
from pycrdt become :class:`DocumentError`.

These run once or more per update on a busy sync server, so when no transaction is open
on the document they call pycrdt's native document directly, in a transaction of their
own: the same Yrs calls pycrdt's ``Doc`` methods make, without building its Python
transaction wrapper each time (which cost more than the calls themselves).
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from bandmate.sync.errors import DocumentError


def _native(doc: Doc[Any]) -> Any | None:
    # pycrdt's own document, when no pycrdt transaction is open on ``doc`` (one that is
    # must be used, or the native call would wait for it).
    return doc._doc if doc._txn is None else None


def encode_state(doc: Doc[Any]) -> bytes:
    """The whole document as one update (v1): what a new peer needs to catch up."""
    return encode_diff(doc, b"\x00")


def encode_state_vector(doc: Doc[Any]) -> bytes:
    """The document's state vector: for each client, how many of its changes it holds."""
    native = _native(doc)
    if native is None:
        return doc.get_state()
    txn = native.create_transaction()
    try:
        state: bytes = native.get_state(txn)
    finally:
        txn.drop()
    return state


def encode_diff(doc: Doc[Any], state_vector: bytes) -> bytes:
    """The update holding what a peer with ``state_vector`` lacks.

    Raises:
        DocumentError: ``state_vector`` cannot be decoded.
    """
    native = _native(doc)
    try:
        if native is None:
            return doc.get_update(state_vector)
        txn = native.create_transaction()
        try:
            diff: bytes = native.get_update(txn, state_vector)
        finally:
            txn.drop()
        return diff
    except (ValueError, RuntimeError) as exc:
        raise DocumentError(f"state vector ({len(state_vector)} bytes) is invalid: {exc}") from exc


def apply_update(doc: Doc[Any], update: bytes) -> None:
    """Apply an update (v1) made by any Yjs peer (yjs, pycrdt, Yrs).

    An update whose causes have not arrived yet is held back by the document and
    applied once they do, so a successful call need not change the content.
    Applying an update twice changes nothing.

    A malformed update usually fails before anything is applied, but Yrs
    integrates an update block by block, so one that decodes yet fails to
    integrate (``block parent ... must be deleted or shared ref type``) may leave
    its first blocks applied. Where that matters, apply to a copy first, or
    rebuild the document from its stored updates after an error.

    Args:
        doc: The document.
        update: The update's bytes.

    Raises:
        DocumentError: The update cannot be decoded or integrated.
    """
    if not isinstance(update, bytes):
        raise DocumentError(f"update must be bytes, not {type(update).__name__}")
    native = _native(doc) if doc._Model is None else None
    try:
        if native is None:
            doc.apply_update(update)
            return
        txn = native.create_transaction()
        try:
            native.apply_update(txn, update)
        finally:
            txn.drop()  # commits what was applied, as pycrdt's own transaction does
    except (ValueError, RuntimeError) as exc:
        raise DocumentError(f"update ({len(update)} bytes) could not be applied: {exc}") from exc
