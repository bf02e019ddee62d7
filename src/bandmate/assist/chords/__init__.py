"""Chord models: a small transformer over roman numerals, a Kneser–Ney baseline, the API."""

from __future__ import annotations

from bandmate.assist.chords.suggest import ChordSuggestion, suggest_next_chords, suggest_progression

__all__ = ["ChordSuggestion", "suggest_next_chords", "suggest_progression"]
