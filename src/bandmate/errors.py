"""The exception hierarchy: one root, one family per layer.

Messages name the field, the value and the rule that was broken, e.g.
``velocity=130 must be in 0..127``. Foreign exceptions are converted at the
edge and chained with ``raise ... from exc``.
"""

from __future__ import annotations


class BandmateError(Exception):
    """Root of every error Bandmate raises on purpose."""


class MusicError(BandmateError):
    """An invalid value in the music core (pitch, chord symbol, time, ...)."""


class ParseError(MusicError):
    """A text (note name, chord symbol, roman numeral, key name) could not be parsed."""


class FormatError(BandmateError):
    """A file could not be read or written in the requested format."""


class UnsupportedFormatError(FormatError):
    """The file's format (by name or content) is not one Bandmate reads or writes."""


class RenderError(BandmateError):
    """A song could not be rendered to audio (no SoundFont, bad sample rate, ...)."""


class MasterError(BandmateError):
    """Mastering was given input it cannot measure (audio, sample rate, channel layout, ...)."""


class CliError(BandmateError):
    """A command-line usage problem reported to the user with a non-zero exit."""
