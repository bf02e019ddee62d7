"""MIDI key signatures (sharps -7..7, minor flag) to and from keys.

A MIDI key signature names only a major or a minor key: church modes are
written with their relative major's signature and read back as that major key.
"""

from __future__ import annotations

from bandmate.errors import FormatError
from bandmate.music.key import Key


def signature_to_key(sharps: int, minor: bool) -> Key:
    """The key of a MIDI key signature, e.g. ``(3, True)`` gives F# minor.

    Raises:
        FormatError: When ``sharps`` is outside -7..7.
    """
    if not -7 <= sharps <= 7:
        raise FormatError(f"key signature sharps={sharps} must be in -7..7")
    return Key.from_signature(sharps, minor)


def key_to_signature(key: Key) -> tuple[int, bool]:
    """The MIDI key signature ``(sharps, minor)`` of a key (A dorian gives ``(1, False)``)."""
    return key.signature, key.mode == "minor"
