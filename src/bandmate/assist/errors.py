"""The assist layer's errors: one family under :class:`bandmate.errors.BandmateError`."""

from __future__ import annotations

from bandmate.errors import BandmateError


class AssistError(BandmateError):
    """The bandmate cannot answer this request (no key to work in, bad bar, missing weights, ...).

    Messages name the field, the value and the rule, like every Bandmate error.
    """
