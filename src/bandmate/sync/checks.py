"""Checks on plain JSON values read from a document: presence, type and range.

Each check takes the entry (a JSON object), the field name and the entry's path
in the document, and raises :class:`DocumentError` naming ``path/field``, the
value and the rule. JSON numbers and Yjs numbers are doubles, so an integer
field accepts ``60.0`` and reads it as ``60``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bandmate.sync.errors import DocumentError
from bandmate.sync.schema import MAX_SAFE_INTEGER, ORIGIN, Position

Entry = Mapping[str, object]
"""One map of the document (an entry, or a root) as plain JSON."""


def field(entry: Entry, name: str, path: str) -> object:
    """The value of a required field.

    Raises:
        DocumentError: The field is missing.
    """
    if name not in entry:
        raise DocumentError(f"{path}/{name} is missing")
    return entry[name]


def integer(entry: Entry, name: str, path: str) -> int:
    """A required integer field; JSON and Yjs hand integers over as doubles, so ``60.0`` is 60.

    Raises:
        DocumentError: Missing, not a number, not whole, or beyond 2**53 - 1.
    """
    value = field(entry, name, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(f"{path}/{name}={show(value)} must be an integer, not {kind(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise DocumentError(f"{path}/{name}={value!r} must be an integer")
    if abs(value) > MAX_SAFE_INTEGER:
        raise DocumentError(f"{path}/{name}={value!r} must be at most 2**53 - 1 in magnitude")
    return int(value)


def number(entry: Entry, name: str, path: str) -> float:
    """A required finite number field.

    Raises:
        DocumentError: Missing, not a number, or not finite.
    """
    value = field(entry, name, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(f"{path}/{name}={show(value)} must be a number, not {kind(value)}")
    if not math.isfinite(value):
        raise DocumentError(f"{path}/{name}={value!r} must be finite")
    return float(value)


def text(entry: Entry, name: str, path: str) -> str:
    """A required string field.

    Raises:
        DocumentError: Missing or not a string.
    """
    value = field(entry, name, path)
    if not isinstance(value, str):
        raise DocumentError(f"{path}/{name}={show(value)} must be a string, not {kind(value)}")
    return value


def boolean(entry: Entry, name: str, path: str) -> bool:
    """A required boolean field.

    Raises:
        DocumentError: Missing or not ``true``/``false``.
    """
    value = field(entry, name, path)
    if not isinstance(value, bool):
        raise DocumentError(f"{path}/{name}={show(value)} must be a boolean, not {kind(value)}")
    return value


def position(entry: Entry, path: str) -> Position:
    """A track's optional ``position``: three finite numbers, the origin when absent.

    Raises:
        DocumentError: Not an array of three finite numbers.
    """
    value = entry.get("position")
    if value is None:
        return ORIGIN
    if not isinstance(value, list) or len(value) != 3:
        raise DocumentError(f"{path}/position={show(value)} must be an array [x, y, z]")
    coords = {str(i): c for i, c in enumerate(value)}
    x, y, z = (number(coords, str(i), f"{path}/position") for i in range(3))
    return (x, y, z)


def as_map(value: object, path: str) -> Entry:
    """``value`` if it is a JSON object (a map).

    Raises:
        DocumentError: It is not.
    """
    if not isinstance(value, Mapping):
        raise DocumentError(f"{path}={show(value)} must be a map, not {kind(value)}")
    return value


def kind(value: object) -> str:
    """The JSON kind of ``value`` for messages: ``"a string"``, ``"null"``, ..."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        ((int, float), "a number"),
        (str, "a string"),
        (list, "an array"),
        (Mapping, "a map"),
        (type(None), "null"),
    ]
    return next((name for cls, name in kinds if isinstance(value, cls)), type(value).__name__)


def show(value: object) -> str:
    """``value`` for messages in JSON's spelling, long strings cut and containers elided."""
    if isinstance(value, str):
        return repr(value if len(value) <= 32 else value[:29] + "...")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[...]"
    if isinstance(value, Mapping):
        return "{...}"
    return repr(value)
