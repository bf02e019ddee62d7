"""The recommendation layer's errors: one family under :class:`bandmate.errors.BandmateError`."""

from __future__ import annotations

from bandmate.errors import BandmateError


class RecommendError(BandmateError):
    """Recommendations could not be made from the input (empty catalogue, unknown user, NaN, ...).

    Messages name the field, the value and the rule, like every Bandmate error.
    """
