"""The loops library's error family."""

from __future__ import annotations

from bandmate.errors import BandmateError


class LoopError(BandmateError):
    """A loop that does not exist, a bad search, or audio that cannot be transformed."""
