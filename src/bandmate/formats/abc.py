"""ABC notation (folk tunes) through music21.

A file may hold several tunes, each starting with an ``X:`` reference
number line; :func:`read_abc` picks one (the first by default) and hands only
that tune to music21. Key (``K:``), meter (``M:``), tempo (``Q:``), title
(``T:``), the melody, and chord symbols in double quotes (``"Am"``) become
the song's key, meter, tempo, title, one track and its chord lane. Modal
keys (``K:Ador``) keep their mode.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from bandmate.errors import FormatError
from bandmate.formats._m21 import guarded, m21, score_to_song
from bandmate.formats.midi_read import read_bytes
from bandmate.music.song import DEFAULT_PPQ, Song

MAX_ABC_BYTES = 8 * 1024 * 1024
"""The largest ABC file read (8 MiB: the biggest folk collections are under 2 MiB)."""

AbcSource = str | bytes | os.PathLike[str]
"""ABC text (a ``str`` with a line break, or ``bytes``), or a path (PathLike, or one-line str)."""

_TUNE_START = re.compile(r"^X:[ \t]*(\d*)", re.MULTILINE)


def _text(source: AbcSource) -> str:
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        if len(source) > MAX_ABC_BYTES:
            raise FormatError(f"ABC text of {len(source)} characters exceeds {MAX_ABC_BYTES}")
        return source
    data = read_bytes(source if isinstance(source, bytes) else Path(source), limit=MAX_ABC_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older collections are Latin-1


def tune_numbers(text: str) -> list[int]:
    """The ``X:`` reference numbers of the tunes in ``text``, in order (0 when blank)."""
    return [int(m.group(1) or 0) for m in _TUNE_START.finditer(text)]


def select_tune(text: str, tune: int | None = None) -> str:
    """The text of one tune: the one numbered ``tune``, or the first.

    Raises:
        FormatError: When no tune has that number.
    """
    starts = list(_TUNE_START.finditer(text))
    if not starts:
        if tune is not None:
            raise FormatError(f"ABC tune X:{tune} not found: the text has no X: lines")
        return text
    for i, match in enumerate(starts):
        if tune is None or int(match.group(1) or 0) == tune:
            stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            return text[match.start() : stop]
    raise FormatError(f"ABC tune X:{tune} not found; the file holds X:{tune_numbers(text)}")


def read_abc(source: AbcSource, *, tune: int | None = None, ppq: int = DEFAULT_PPQ) -> Song:
    """Read one tune of an ABC file.

    Args:
        source: ABC text, or the path of an ``.abc`` file.
        tune: The ``X:`` number of the tune to read; the first tune when None.
        ppq: Ticks per quarter note of the song returned.

    Returns:
        The tune as a one-track song.

    Raises:
        FormatError: When the tune is missing, or music21 cannot read it.
    """
    chosen = select_tune(_text(source), tune)
    key_field = re.search(r"^K:", chosen, re.MULTILINE)
    if key_field is None:
        raise FormatError("ABC tune has no K: (key) field, which ends every tune header")
    header = chosen[: key_field.start()]
    if not re.search(r"^[LM]:", header, re.MULTILINE):
        # The standard's default unit without L: or M: is an eighth; music21 wants it stated.
        chosen = f"{header}L:1/8\n{chosen[key_field.start() :]}"

    def parse() -> Any:
        return m21("converter").parseData(chosen, format="abc")

    score = guarded("ABC could not be parsed", parse)
    return guarded("ABC does not fit the song model", lambda: score_to_song(score, ppq=ppq))
