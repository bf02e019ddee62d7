"""Standard MIDI Files: the public entry points.

:func:`read_midi` and :func:`write_midi` are bytes in, bytes out;
:func:`load_midi` and :func:`save_midi` add the file system. For every
valid song whose tempos survive (see :mod:`.midi_read`) and whose notes of
one pitch on one track end in the order they start::

    read_midi(write_midi(song)) == song

Notes of one pitch that overlap and end out of order (a long note with a
shorter one inside it) cannot be told apart in MIDI: read back, they keep
their starts and their ends, but each end goes to the earliest open note.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from bandmate.errors import FormatError
from bandmate.formats.midi_read import MidiSource, read_bytes, read_midi
from bandmate.formats.midi_write import channels_for, write_midi
from bandmate.music.song import Song

__all__ = ["MidiSource", "channels_for", "load_midi", "read_midi", "save_midi", "write_midi"]


def load_midi(path: str | os.PathLike[str], *, fast: bool = True) -> Song:
    """Read the MIDI file at ``path`` (see :func:`read_midi`)."""
    return read_midi(read_bytes(Path(path)), fast=fast)


def save_midi(song: Song, path: str | os.PathLike[str], *, type: Literal[0, 1] = 1) -> None:
    """Write ``song`` to ``path`` as a MIDI file of format ``type`` (see :func:`write_midi`).

    Raises:
        FormatError: When the song cannot be encoded or the file cannot be written.
    """
    data = write_midi(song, type=type)
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise FormatError(f"cannot write {path}: {exc}") from exc
