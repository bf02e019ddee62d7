"""What a project and a catalogue item are described by: key, tempo, mood and styles.

Both sides of a recommendation speak the same :class:`Descriptors`, built from a listening
analysis (:func:`descriptors_from_audio`, :func:`descriptors_from_song`) or given directly
(a loop library's metadata). A drum loop has no key, an instrument no tempo: ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bandmate.errors import MusicError
from bandmate.music.key import Key, parse_key
from bandmate.recommend.errors import RecommendError

if TYPE_CHECKING:
    # Types only: loading bandmate.listen pulls in decoders and torch (seconds of import).
    from bandmate.listen.result import AudioAnalysis
    from bandmate.listen.symbolic import SongAnalysis

ItemKind = Literal["loop", "sample", "instrument", "track", "collaborator"]
ITEM_KINDS: tuple[ItemKind, ...] = ("loop", "sample", "instrument", "track", "collaborator")

MIN_BPM = 20.0
MAX_BPM = 400.0


@dataclass(frozen=True, slots=True)
class Descriptors:
    """Key, tempo, mood and styles of a project or an item.

    Attributes:
        key: The key, or ``None`` for material without pitch (drums, noises).
        bpm: Tempo in beats per minute (``MIN_BPM..MAX_BPM``), or ``None`` (one-shots,
            instruments).
        valence: -1..1, as :class:`bandmate.listen.mood.Mood`.
        arousal: -1..1.
        styles: Style tags, lower case, sorted, without duplicates.
    """

    key: Key | None = None
    bpm: float | None = None
    valence: float = 0.0
    arousal: float = 0.0
    styles: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.bpm is not None and not (
            math.isfinite(self.bpm) and MIN_BPM <= self.bpm <= MAX_BPM
        ):
            raise RecommendError(f"bpm={self.bpm!r} must be in {MIN_BPM:g}..{MAX_BPM:g} or None")
        for name in ("valence", "arousal"):
            value = getattr(self, name)
            if not (math.isfinite(value) and -1.0 <= value <= 1.0):
                raise RecommendError(f"{name}={value!r} must be a number in -1..1")
        styles = tuple(sorted({s.strip().lower() for s in self.styles}))
        if any(not s for s in styles):
            raise RecommendError(f"styles={self.styles!r} must be non-empty names")
        object.__setattr__(self, "styles", styles)


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """Something that can be recommended.

    Attributes:
        id: Unique id within a catalogue.
        kind: ``"loop"``, ``"sample"``, ``"instrument"``, ``"track"`` or ``"collaborator"``.
        descriptors: Its key, tempo, mood and styles (a collaborator's: what they make).
        title: Shown to people.
    """

    id: str
    kind: ItemKind
    descriptors: Descriptors
    title: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise RecommendError("item id='' must be a non-empty string")
        if self.kind not in ITEM_KINDS:
            raise RecommendError(
                f"item {self.id!r}: kind={self.kind!r} must be one of {ITEM_KINDS}"
            )


def descriptors_from_audio(
    analysis: AudioAnalysis, *, styles: tuple[str, ...] = (), min_confidence: float = 0.0
) -> Descriptors:
    """Descriptors of an analyzed recording.

    Args:
        analysis: From :func:`bandmate.listen.analyze_file`.
        styles: Style tags (declared by the user, or from a tagger).
        min_confidence: Key confidence at or below which the key counts as unknown.

    Returns:
        The descriptors; tempo ``None`` where no beat was found, key ``None`` for silence.
    """
    # Silence has key confidence 0: no key rather than a guess.
    key = _parse(analysis.key.name) if analysis.key.confidence > min_confidence else None
    return _descriptors(key, analysis.bpm, analysis.mood.valence, analysis.mood.arousal, styles)


def descriptors_from_song(analysis: SongAnalysis, *, styles: tuple[str, ...] = ()) -> Descriptors:
    """Descriptors of an analyzed symbolic song (the stated key wins over the estimate)."""
    name = analysis.key_stated or analysis.key
    key = _parse(name) if name else None
    return _descriptors(key, analysis.bpm, analysis.mood.valence, analysis.mood.arousal, styles)


def _descriptors(
    key: Key | None, bpm: float, valence: float, arousal: float, styles: tuple[str, ...]
) -> Descriptors:
    """Descriptors from analysis readings: a tempo outside the plausible range reads as none,
    the mood is clipped to its plane."""
    return Descriptors(
        key=key,
        bpm=bpm if MIN_BPM <= bpm <= MAX_BPM else None,
        valence=_clip(valence),
        arousal=_clip(arousal),
        styles=styles,
    )


def _parse(name: str) -> Key:
    try:
        return parse_key(name)
    except MusicError as exc:
        raise RecommendError(f"key={name!r} is not a key name: {exc}") from exc


def _clip(value: float) -> float:
    if not math.isfinite(value):
        raise RecommendError(f"mood value={value!r} must be finite")
    return min(1.0, max(-1.0, value))
