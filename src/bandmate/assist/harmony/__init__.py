"""The harmonizer: chords for a melody (a bidirectional GRU, with an HMM baseline)."""

from __future__ import annotations

from bandmate.assist.harmony.harmonize import harmonize_melody

__all__ = ["harmonize_melody"]
