"""The shape of the song document: root names, field names, limits and ids.

The schema is documented for humans in ``docs/song-document.md`` and mirrored in
TypeScript in ``web/src/doc/schema.ts``; the three must change together (and
:data:`SCHEMA_VERSION` with them when a change is not backward compatible).
"""

from __future__ import annotations

import random
from typing import Final, Literal, TypeAlias

SCHEMA_VERSION: Final = 1
"""The version written to ``meta.schema``; documents from a newer version are refused."""

RootName = Literal["meta", "tempos", "meters", "tracks", "chords", "sections"]
ROOTS: Final[tuple[RootName, ...]] = ("meta", "tempos", "meters", "tracks", "chords", "sections")
"""The document's root maps. Every root is a ``Y.Map`` (root types never conflict)."""

LANES: Final[tuple[RootName, ...]] = ("tempos", "meters", "tracks", "chords", "sections")
"""The roots whose entries are ``Y.Map`` values keyed by id."""

MAX_SAFE_INTEGER: Final = 2**53 - 1
"""The largest integer a JavaScript number (an IEEE double) holds exactly."""

ID_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH: Final = 10
"""Ids are 10 base62 characters: about 59.5 random bits, so replicas never collide."""

Position: TypeAlias = tuple[float, float, float]
"""A track's place in the spatial mix: ``(x, y, z)`` in metres, listener at the origin."""

ORIGIN: Final[Position] = (0.0, 0.0, 0.0)

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
"""A plain value as ``json`` reads it: what a document looks like without its CRDT types."""

JsonObject: TypeAlias = "dict[str, JsonValue]"

_SYSTEM_RANDOM = random.SystemRandom()


def new_id(rng: random.Random | None = None) -> str:
    """Return a fresh entry id: 10 base62 characters.

    Args:
        rng: The source of randomness; pass a seeded :class:`random.Random` for
            reproducible ids in tests. Defaults to the operating system's generator.

    Returns:
        An id such as ``"4fZ0qWbK9x"``.
    """
    source = _SYSTEM_RANDOM if rng is None else rng
    return "".join(source.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
