"""The AI bandmate: chords, harmonizations, melodies, solos, bass, drums and backing tracks.

Everything takes and returns core types (:class:`~bandmate.music.song.Song`,
:class:`~bandmate.music.chord.Chord`, :class:`~bandmate.music.song.ChordEvent`). The models
are trained by ``scripts/train_chords.py`` and ``scripts/train_harmonizer.py`` on music21's
corpus; their weights and held-out scores are committed under ``bandmate/assist/weights``
and described in ``docs/models/chords.md`` and ``docs/models/harmonizer.md``. Melodies and
solos come from a GRU trained by ``scripts/train_melody.py`` on music21's folk collections
(``docs/models/melody.md``); bass lines, drum grooves and comping come from a hand-written
pattern library (``docs/models/bass.md``, ``drums.md``, ``backing.md``). Every part answers a
:class:`PartRequest` with :class:`PartSuggestion` values (see :mod:`bandmate.assist.parts`).
This package is the only one in Bandmate that imports torch.
"""

from __future__ import annotations

from bandmate.assist.band.styles import STYLES as BAND_STYLES
from bandmate.assist.chords.idioms import IDIOM_ALIASES as CHORD_STYLE_ALIASES
from bandmate.assist.chords.suggest import (
    CHORD_STYLES,
    ChordSuggestion,
    suggest_next_chords,
    suggest_progression,
)
from bandmate.assist.dataset import STYLES
from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.harmonize import harmonize_melody
from bandmate.assist.keyfind import estimate_key, estimate_song_key
from bandmate.assist.parts import (
    suggest_backing,
    suggest_bass,
    suggest_drums,
    suggest_melody,
    suggest_part,
    suggest_solo,
)
from bandmate.assist.request import PARTS, Part, PartRequest, PartSuggestion, apply_suggestion

__all__ = [
    "BAND_STYLES",
    "CHORD_STYLES",
    "CHORD_STYLE_ALIASES",
    "PARTS",
    "STYLES",
    "AssistError",
    "ChordSuggestion",
    "Part",
    "PartRequest",
    "PartSuggestion",
    "apply_suggestion",
    "estimate_key",
    "estimate_song_key",
    "harmonize_melody",
    "suggest_backing",
    "suggest_bass",
    "suggest_drums",
    "suggest_melody",
    "suggest_next_chords",
    "suggest_part",
    "suggest_progression",
    "suggest_solo",
]
