"""The jam layer's error family, and the WebSocket close codes its errors map to."""

from __future__ import annotations

from bandmate.errors import BandmateError


class JamError(BandmateError):
    """Root of the jam family: a bad value, or a connection that must close."""


class JamProtocolError(JamError):
    """A jam message that does not decode, or breaks a field's rule (close 4400)."""


class JamTooBigError(JamError):
    """A jam frame over the size cap (close 1009)."""


class JamFloodError(JamError):
    """A connection sent more jam messages per second than allowed (close 4429)."""


class JamDeniedError(JamError):
    """A connection did something its role forbids, e.g. a viewer playing (close 4403)."""


class SpoofError(JamError):
    """An event that claims another player's id (close 4409)."""


class TakeError(JamError):
    """A take that cannot be written into the song (too long, no notes, ...)."""
