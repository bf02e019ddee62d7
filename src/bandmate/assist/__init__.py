"""The AI bandmate: chords, harmonizations, melodies, solos, bass, drums and backing tracks.

Everything takes and returns core types (:class:`~bandmate.music.song.Song`,
:class:`~bandmate.music.chord.Chord`, :class:`~bandmate.music.song.ChordEvent`). The models
are trained by ``scripts/train_chords.py`` and ``scripts/train_harmonizer.py`` on music21's
corpus; their weights and held-out scores are committed under ``bandmate/assist/weights``
and described in ``docs/models/chords.md`` and ``docs/models/harmonizer.md``. Melodies and
solos come from a GRU trained by ``scripts/train_melody.py`` on music21's folk collections
(``docs/models/melody.md``); bass lines, drum grooves and comping come from a hand-written
pattern library (``docs/models/bass.md``, ``drums.md``, ``backing.md``); harmony voices under
a melody from a GRU trained on Palestrina and the Bach chorales (``docs/models/voices.md``).
Every part answers a :class:`PartRequest` with :class:`PartSuggestion` values (see
:mod:`bandmate.assist.parts`). This package is the only one in Bandmate that imports torch,
and only when a model is used: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from bandmate.assist.voices.data import VOICE_STYLES
    from bandmate.assist.voices.generate import suggest_voices

_EXPORTS: dict[str, tuple[str, str]] = {
    "AssistError": ("bandmate.assist.errors", "AssistError"),
    "BAND_STYLES": ("bandmate.assist.band.styles", "STYLES"),
    "CHORD_STYLES": ("bandmate.assist.chords.suggest", "CHORD_STYLES"),
    "CHORD_STYLE_ALIASES": ("bandmate.assist.chords.idioms", "IDIOM_ALIASES"),
    "ChordSuggestion": ("bandmate.assist.chords.suggest", "ChordSuggestion"),
    "PARTS": ("bandmate.assist.request", "PARTS"),
    "Part": ("bandmate.assist.request", "Part"),
    "PartRequest": ("bandmate.assist.request", "PartRequest"),
    "PartSuggestion": ("bandmate.assist.request", "PartSuggestion"),
    "STYLES": ("bandmate.assist.dataset", "STYLES"),
    "VOICE_STYLES": ("bandmate.assist.voices.data", "VOICE_STYLES"),
    "apply_suggestion": ("bandmate.assist.request", "apply_suggestion"),
    "estimate_key": ("bandmate.assist.keyfind", "estimate_key"),
    "estimate_song_key": ("bandmate.assist.keyfind", "estimate_song_key"),
    "harmonize_melody": ("bandmate.assist.harmony.harmonize", "harmonize_melody"),
    "suggest_backing": ("bandmate.assist.parts", "suggest_backing"),
    "suggest_bass": ("bandmate.assist.parts", "suggest_bass"),
    "suggest_drums": ("bandmate.assist.parts", "suggest_drums"),
    "suggest_melody": ("bandmate.assist.parts", "suggest_melody"),
    "suggest_next_chords": ("bandmate.assist.chords.suggest", "suggest_next_chords"),
    "suggest_part": ("bandmate.assist.parts", "suggest_part"),
    "suggest_progression": ("bandmate.assist.chords.suggest", "suggest_progression"),
    "suggest_solo": ("bandmate.assist.parts", "suggest_solo"),
    "suggest_voices": ("bandmate.assist.voices.generate", "suggest_voices"),
}
"""Each public name and where it lives: loaded on first use, so that importing one
submodule (the band's style library, say) does not load torch and the models."""


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first used (PEP 562)."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'bandmate.assist' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "BAND_STYLES",
    "CHORD_STYLES",
    "CHORD_STYLE_ALIASES",
    "PARTS",
    "STYLES",
    "VOICE_STYLES",
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
    "suggest_voices",
]
