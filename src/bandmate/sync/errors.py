"""The sync layer's error family."""

from __future__ import annotations

from bandmate.errors import BandmateError


class DocumentError(BandmateError):
    """A song document (or an update to one) breaks the schema or cannot be decoded.

    The message names the path of the offending value inside the document, the
    value and the rule, e.g. ``tracks/Xk3.../notes/9aQ.../pitch=200 must be in 0..127``.
    """
