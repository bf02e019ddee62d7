"""Song files: MIDI, MusicXML and ABC.

:func:`load_song` and :func:`save_song` pick the format from the file name
and check it against the content, so that a ``.mid`` holding XML fails with
a clear :class:`~bandmate.errors.UnsupportedFormatError` instead of a parser's
confusion. :data:`FORMATS` describes each format for the command line.

Importing this package is cheap: music21 loads only when a MusicXML or ABC
file is read or written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bandmate.errors import FormatError, UnsupportedFormatError
from bandmate.formats.abc import read_abc
from bandmate.formats.midi import load_midi, read_midi, save_midi, write_midi
from bandmate.formats.midi_read import read_bytes
from bandmate.formats.musicxml import read_musicxml, write_musicxml
from bandmate.music.song import Song

__all__ = [
    "FORMATS",
    "FileFormat",
    "FormatName",
    "format_for_path",
    "load_midi",
    "load_song",
    "read_abc",
    "read_midi",
    "read_musicxml",
    "save_midi",
    "save_song",
    "sniff_format",
    "write_midi",
    "write_musicxml",
]

FormatName = Literal["midi", "musicxml", "abc"]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest song file :func:`load_song` reads (64 MiB)."""


@dataclass(frozen=True, slots=True)
class FileFormat:
    """One file format: its name, a description, its extensions and what Bandmate does with it."""

    name: FormatName
    description: str
    extensions: tuple[str, ...]
    can_read: bool
    can_write: bool


FORMATS: dict[FormatName, FileFormat] = {
    "midi": FileFormat("midi", "Standard MIDI File (format 0 or 1)", (".mid", ".midi"), True, True),
    "musicxml": FileFormat(
        "musicxml",
        "MusicXML score (.mxl is compressed)",
        (".musicxml", ".xml", ".mxl"),
        True,
        True,
    ),
    "abc": FileFormat("abc", "ABC notation (folk tunes; read only)", (".abc",), True, False),
}

_BY_EXTENSION = {ext: fmt.name for fmt in FORMATS.values() for ext in fmt.extensions}
_ABC_FIELD = re.compile(rb"^[XTMLKQ]:", re.MULTILINE)


def format_for_path(path: str | os.PathLike[str]) -> FormatName | None:
    """The format a file name claims by its extension, or None for an unknown extension."""
    return _BY_EXTENSION.get(Path(path).suffix.lower())


def sniff_format(data: bytes) -> FormatName | None:
    """The format a file's first bytes show, or None when they match none.

    MIDI starts with ``MThd``; MusicXML is XML (or a zip archive, .mxl); ABC
    is text with header fields such as ``X:`` or ``K:`` at line starts.
    """
    if data.startswith(b"MThd"):
        return "midi"
    if data[:4] == b"PK\x03\x04":
        return "musicxml"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<score-", b"<!DOCTYPE")) or head[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    ):
        return "musicxml"
    if _ABC_FIELD.search(head):
        return "abc"
    return None


def _resolve(path: Path, data: bytes) -> FormatName:
    claimed = format_for_path(path)
    found = sniff_format(data)
    if claimed is None:
        if found is None:
            known = ", ".join(sorted(_BY_EXTENSION))
            raise UnsupportedFormatError(
                f"{path.name}: extension {path.suffix!r} is not one of {known}, "
                "and the content matches no known format"
            )
        return found
    if found is not None and found != claimed:
        raise UnsupportedFormatError(
            f"{path.name}: the name says {FORMATS[claimed].description}, "
            f"but the content is {FORMATS[found].description}"
        )
    return claimed


def load_song(path: str | os.PathLike[str]) -> Song:
    """Read a song file of any supported format.

    Args:
        path: The file; its extension names the format, which the content
            must not contradict (an unknown extension falls back to the content).

    Returns:
        The song.

    Raises:
        UnsupportedFormatError: For an unknown format, or a name and content
            that disagree.
        FormatError: When the file is over 64 MiB, unreadable or malformed.
    """
    where = Path(path)
    data = read_bytes(where, limit=MAX_FILE_BYTES)
    name = _resolve(where, data)
    try:
        if name == "midi":
            return read_midi(data)
        if name == "musicxml":
            return read_musicxml(data)
        return read_abc(data)
    except FormatError as exc:
        # Name the file: a user converting a folder needs to know which one is broken.
        raise type(exc)(f"{where.name}: {exc}") from exc


def save_song(song: Song, path: str | os.PathLike[str]) -> None:
    """Write a song in the format its file name's extension names.

    Raises:
        UnsupportedFormatError: For an extension Bandmate does not write.
        FormatError: When the song cannot be encoded or the file written.
    """
    where = Path(path)
    name = format_for_path(where)
    if name == "midi":
        data = write_midi(song)
    elif name == "musicxml":
        data = write_musicxml(song, compressed=where.suffix.lower() == ".mxl")
    else:
        writable = [ext for fmt in FORMATS.values() if fmt.can_write for ext in fmt.extensions]
        raise UnsupportedFormatError(
            f"{where.name}: cannot write {where.suffix or 'files without an extension'!r}; "
            f"use one of {', '.join(writable)}"
        )
    try:
        where.write_bytes(data)
    except OSError as exc:
        raise FormatError(f"cannot write {where}: {exc}") from exc
