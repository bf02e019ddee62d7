"""Bandmate: a self-hostable studio for making music together, with an AI bandmate."""

from __future__ import annotations

from bandmate.errors import BandmateError

__all__ = ["BandmateError", "__version__"]
__version__ = "0.1.0"
