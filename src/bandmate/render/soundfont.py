"""Finding and checking the SoundFont that renders a song.

The search order is: an explicit path, then the ``BANDMATE_SOUNDFONT``
environment variable, then Debian's FluidR3 GM (``fluid-soundfont-gm``, MIT,
148 MB) when installed, and last the small TimGM6mb (GPL-2, 6 MB) that ships
inside the pretty-midi wheel, so rendering works on any machine.

Every candidate is checked by its header (a RIFF file of form ``sfbk``) before
the C synthesizer sees it: a wrong file becomes a clear :class:`RenderError`
instead of a crash or garbage.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from bandmate.errors import RenderError

ENV_VAR = "BANDMATE_SOUNDFONT"
"""The environment variable that names a SoundFont to use when no path is given."""

FLUIDR3_PATH = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
"""Where Debian's ``fluid-soundfont-gm`` package installs FluidR3 GM."""

_HEADER_BYTES = 12


def check_soundfont(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is a readable SoundFont 2 file.

    Only the 12-byte header is read: ``RIFF``, a little-endian size and the
    form type ``sfbk``.

    Args:
        path: The file to check.

    Returns:
        The path as an absolute :class:`~pathlib.Path`.

    Raises:
        RenderError: When the file is missing, unreadable, truncated or not a
            RIFF ``sfbk`` file.
    """
    file = Path(path).expanduser().absolute()
    if not file.is_file():
        raise RenderError(f"soundfont={str(file)!r} does not exist or is not a file")
    try:
        with file.open("rb") as stream:
            header = stream.read(_HEADER_BYTES)
    except OSError as exc:
        raise RenderError(f"soundfont={str(file)!r} cannot be read: {exc}") from exc
    if len(header) < _HEADER_BYTES or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise RenderError(
            f"soundfont={str(file)!r} is not a SoundFont: "
            f"its header {header[:12]!r} must be RIFF....sfbk"
        )
    return file


def bundled_soundfont() -> Path:
    """Return the TimGM6mb SoundFont bundled with pretty-midi.

    Returns:
        The path of ``TimGM6mb.sf2`` in the installed ``pretty_midi`` package's folder.

    Raises:
        RenderError: When pretty-midi is not installed or lacks the file.
    """
    # find_spec locates the package without importing it (and its dependencies).
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        raise RenderError("pretty_midi is not installed: no bundled SoundFont")
    return check_soundfont(Path(spec.submodule_search_locations[0]) / "TimGM6mb.sf2")


def find_soundfont(path: str | os.PathLike[str] | None = None) -> Path:
    """Choose the SoundFont to render with.

    Args:
        path: An explicit SoundFont file. When given it must be valid: there
            is no silent fallback to another SoundFont.

    Returns:
        The checked path of the first candidate: ``path``, then
        ``$BANDMATE_SOUNDFONT``, then :data:`FLUIDR3_PATH` if installed, then
        :func:`bundled_soundfont`.

    Raises:
        RenderError: When the explicit path or the environment variable names
            a missing or invalid file, or no SoundFont exists at all.
    """
    if path is not None:
        return check_soundfont(path)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        try:
            return check_soundfont(from_env)
        except RenderError as exc:
            raise RenderError(f"${ENV_VAR}: {exc}") from exc
    if FLUIDR3_PATH.is_file():
        return check_soundfont(FLUIDR3_PATH)
    return bundled_soundfont()
