"""The listening layer's errors: one family under :class:`bandmate.errors.BandmateError`."""

from __future__ import annotations

from bandmate.errors import BandmateError


class ListenError(BandmateError):
    """Audio or a song could not be analyzed (unreadable, too long, bad rate, ...).

    Messages name the field, the value and the rule, like every Bandmate error.
    """
