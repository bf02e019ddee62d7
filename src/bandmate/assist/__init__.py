"""The AI bandmate: chord suggestions, progressions and harmonizations from small models.

Everything takes and returns core types (:class:`~bandmate.music.song.Song`,
:class:`~bandmate.music.chord.Chord`, :class:`~bandmate.music.song.ChordEvent`). The models
are trained by ``scripts/train_chords.py`` and ``scripts/train_harmonizer.py`` on music21's
corpus; their weights and held-out scores are committed under ``bandmate/assist/weights``
and described in ``docs/models/chords.md`` and ``docs/models/harmonizer.md``. This package
is the only one in Bandmate that imports torch.
"""

from __future__ import annotations

from bandmate.assist.chords.suggest import ChordSuggestion, suggest_next_chords, suggest_progression
from bandmate.assist.dataset import STYLES
from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.harmonize import harmonize_melody
from bandmate.assist.keyfind import estimate_key, estimate_song_key

__all__ = [
    "STYLES",
    "AssistError",
    "ChordSuggestion",
    "estimate_key",
    "estimate_song_key",
    "harmonize_melody",
    "suggest_next_chords",
    "suggest_progression",
]
