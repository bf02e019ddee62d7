"""Loops, samples and instruments that fit a project: key, tempo, mood and style, with reasons.

Pure functions over :class:`~bandmate.recommend.descriptors.Descriptors`:

- key: same key best, then the relative major/minor, then neighbours on the circle of
  fifths (one step, then two), then the parallel key; a pitched loop may be *offered
  transposed* into the project's key (or its relative) by the smallest shift, -5..+6
  semitones, at a small cost per semitone (pitch shifting colours the sound);
- tempo: the loop plays at its own tempo, half or double time, whichever is nearest the
  project's, time-stretched by the remaining ratio (``project bpm / effective bpm``);
- mood: Euclidean distance on the valence/arousal plane;
- style: Jaccard overlap of the style tags.

The score is a weighted mean of the four parts (:class:`FitWeights`), each in 0..1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bandmate.music.key import Key
from bandmate.recommend.descriptors import CatalogueItem, Descriptors
from bandmate.recommend.errors import RecommendError

KeyRelation = Literal[
    "same", "relative", "neighbour", "second neighbour", "parallel", "distant", "unpitched"
]
TempoRelation = Literal["equal", "half-time", "double-time", "free"]

_KEY_SCORES: dict[KeyRelation, float] = {
    "same": 1.0,
    "relative": 0.9,
    "neighbour": 0.75,
    "parallel": 0.55,
    "second neighbour": 0.5,
    "unpitched": 1.0,
}
_MINOR_MODES = ("minor", "dorian", "phrygian", "locrian")
SHIFT_COST = 0.04
"""Key score lost per semitone of pitch shift when a loop is offered transposed."""
MAX_STRETCH_OCTAVES = math.log2(1.25)
"""Stretching beyond 25% either way scores 0 on tempo."""
HALF_DOUBLE_FACTOR = 0.9
"""Half- and double-time fit, but a little less than the same pulse."""


@dataclass(frozen=True, slots=True)
class FitWeights:
    """How much each part counts in the score (normalized by their sum)."""

    key: float = 0.4
    tempo: float = 0.3
    mood: float = 0.15
    style: float = 0.15

    def __post_init__(self) -> None:
        values = (self.key, self.tempo, self.mood, self.style)
        if not all(math.isfinite(v) and v >= 0 for v in values) or sum(values) <= 0:
            raise RecommendError(f"fit weights={values} must be >= 0, finite, with a positive sum")


@dataclass(frozen=True, slots=True)
class KeyFit:
    """How an item's key sits with the project's.

    Attributes:
        relation: The relation after any transposition.
        score: 0..1, including the cost of the shift.
        shift_semitones: Pitch shift applied to the item, -5..+6 (0: as recorded).
        offered_key: The item's key as offered (after the shift), or ``None``.
    """

    relation: KeyRelation
    score: float
    shift_semitones: int
    offered_key: Key | None


@dataclass(frozen=True, slots=True)
class TempoFit:
    """How an item's tempo sits with the project's.

    Attributes:
        relation: ``"equal"``, ``"half-time"`` (the item's pulse is half the project's),
            ``"double-time"`` or ``"free"`` (either side has no tempo).
        stretch: Time-stretch ratio that plays the item at the project's tempo
            (``project bpm / (item bpm x multiplier)``; 1.0 means none).
        score: 0..1.
    """

    relation: TempoRelation
    stretch: float
    score: float


@dataclass(frozen=True, slots=True)
class Fit:
    """One ranked item with its parts and the reasons shown to the user.

    Attributes:
        item: The catalogue item.
        score: 0..1, weighted mean of the parts.
        key: Key part.
        tempo: Tempo part.
        mood_distance: Distance on the valence/arousal plane, 0..2√2.
        mood_score: 0..1.
        style_score: 0..1 (Jaccard overlap; 0.5 where either side has no style).
        reasons: Short sentences, most important first.
    """

    item: CatalogueItem
    score: float
    key: KeyFit
    tempo: TempoFit
    mood_distance: float
    mood_score: float
    style_score: float
    reasons: tuple[str, ...]


def fifths_distance(a: Key, b: Key) -> int:
    """Steps between two keys' signatures round the circle of fifths, 0..6."""
    d = (a.signature - b.signature) % 12
    return min(d, 12 - d)


def _is_minor(key: Key) -> bool:
    return key.mode in _MINOR_MODES


def key_relation(project: Key, item: Key) -> KeyRelation:
    """Name the relation of ``item``'s key to ``project``'s (modes count as major or minor).

    >>> key_relation(Key("C"), Key("A", "minor"))
    'relative'
    """
    d = fifths_distance(project, item)
    same_mode = _is_minor(project) == _is_minor(item)
    if d == 0:
        return "same" if same_mode else "relative"
    if project.tonic_pc == item.tonic_pc:
        return "parallel"
    if d == 1:
        return "neighbour"
    if d == 2:
        return "second neighbour"
    return "distant"


def key_relation_score(relation: KeyRelation, distance: int) -> float:
    """Score of a relation (``distant`` falls linearly to 0 at six fifths)."""
    if relation == "distant":
        return max(0.0, 0.4 * (6 - distance) / 3)
    return _KEY_SCORES[relation]


def transpose_shift(project: Key, item: Key) -> int:
    """Smallest shift in semitones (-5..+6) that puts ``item`` in ``project``'s key.

    A minor loop goes to the project's relative minor when the project is major, and the
    reverse, so its mode is kept.
    """
    target = project
    if _is_minor(project) != _is_minor(item):
        target = project.relative()
    return (target.tonic_pc - item.tonic_pc + 5) % 12 - 5


def fit_key(project: Key | None, item: Key | None, *, allow_transpose: bool = True) -> KeyFit:
    """The key part of a fit, offering the item transposed where that scores better."""
    if project is None or item is None:
        return KeyFit("unpitched", _KEY_SCORES["unpitched"], 0, item)
    relation = key_relation(project, item)
    best = KeyFit(relation, key_relation_score(relation, fifths_distance(project, item)), 0, item)
    if allow_transpose:
        shift = transpose_shift(project, item)
        if shift != 0:
            moved = item.transpose(shift)
            moved_relation = key_relation(project, moved)
            score = key_relation_score(moved_relation, 0) - SHIFT_COST * abs(shift)
            if score > best.score:
                best = KeyFit(moved_relation, score, shift, moved)
    return best


def fit_tempo(project_bpm: float | None, item_bpm: float | None) -> TempoFit:
    """The tempo part: the item's pulse (x1, x2 or x1/2) nearest the project's, and the stretch."""
    if project_bpm is None or item_bpm is None:
        return TempoFit("free", 1.0, 1.0)
    options: tuple[tuple[TempoRelation, float], ...] = (
        ("equal", 1.0),
        ("half-time", 2.0),
        ("double-time", 0.5),
    )
    relation, multiplier = min(
        options, key=lambda o: abs(math.log2(project_bpm / (item_bpm * o[1])))
    )
    stretch = project_bpm / (item_bpm * multiplier)
    score = max(0.0, 1.0 - abs(math.log2(stretch)) / MAX_STRETCH_OCTAVES)
    if relation != "equal":
        score *= HALF_DOUBLE_FACTOR
    return TempoFit(relation, stretch, score)


def mood_distance(a: Descriptors, b: Descriptors) -> float:
    """Euclidean distance on the valence/arousal plane, 0..2√2."""
    return math.hypot(a.valence - b.valence, a.arousal - b.arousal)


def style_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Jaccard overlap of two style sets; 0.5 (no evidence) where either is empty."""
    if not a or not b:
        return 0.5
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)


def fit_item(
    project: Descriptors,
    item: CatalogueItem,
    *,
    weights: FitWeights = FitWeights(),
    allow_transpose: bool = True,
) -> Fit:
    """Score one item against a project, with reasons."""
    d = item.descriptors
    key = fit_key(project.key, d.key, allow_transpose=allow_transpose)
    tempo = fit_tempo(project.bpm, d.bpm)
    dist = mood_distance(project, d)
    mood_score = max(0.0, 1.0 - dist / 2.0)
    style = style_similarity(project.styles, d.styles)
    total = weights.key + weights.tempo + weights.mood + weights.style
    score = (
        weights.key * key.score
        + weights.tempo * tempo.score
        + weights.mood * mood_score
        + weights.style * style
    ) / total
    reasons = (
        _key_reason(project.key, d.key, key),
        _tempo_reason(project.bpm, d.bpm, tempo),
        f"mood distance {dist:.2f} (valence {d.valence:+.2f}, arousal {d.arousal:+.2f})",
        _style_reason(project.styles, d.styles),
    )
    return Fit(item, score, key, tempo, dist, mood_score, style, reasons)


def rank_fits(
    project: Descriptors,
    catalogue: Iterable[CatalogueItem],
    *,
    n: int | None = 10,
    weights: FitWeights = FitWeights(),
    allow_transpose: bool = True,
) -> list[Fit]:
    """Rank a catalogue by fit to a project, best first (ties by item id).

    Args:
        project: The project's descriptors.
        catalogue: The candidates (loops, samples, instruments, ...).
        n: How many to return (``None``: all).
        weights: Weights of the parts.
        allow_transpose: Offer pitched items transposed into the project's key.

    Raises:
        RecommendError: for an empty catalogue, duplicate ids or ``n < 1``.
    """
    items = list(catalogue)
    if not items:
        raise RecommendError("catalogue is empty: there is nothing to recommend")
    if n is not None and n < 1:
        raise RecommendError(f"n={n} must be >= 1")
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[0]
        raise RecommendError(f"catalogue item id={dup!r} must be unique")
    fits = [fit_item(project, it, weights=weights, allow_transpose=allow_transpose) for it in items]
    fits.sort(key=lambda f: (-f.score, f.item.id))
    return fits if n is None else fits[:n]


def _key_reason(project: Key | None, item: Key | None, fit: KeyFit) -> str:
    if project is None:
        return "the project has no key yet: any key fits"
    if item is None:
        return "no pitched content: fits any key"
    words = {
        "same": f"same key ({project})",
        "relative": f"relative {'minor' if not _is_minor(project) else 'major'}",
        "neighbour": "a neighbour on the circle of fifths",
        "second neighbour": "two steps round the circle of fifths",
        "parallel": "the parallel key",
        "distant": f"a distant key ({fifths_distance(project, item)} fifths away)",
        "unpitched": "no pitched content",
    }
    if fit.shift_semitones:
        return (
            f"offered transposed {fit.shift_semitones:+d} semitones from {item} to "
            f"{fit.offered_key}: {words[fit.relation]}"
        )
    return f"{item}: {words[fit.relation]}"


def _tempo_reason(project: float | None, item: float | None, fit: TempoFit) -> str:
    if project is None or item is None:
        return "no tempo to match: fits any tempo"
    what = {"equal": "same pulse", "half-time": "half-time", "double-time": "double-time"}
    text = f"{item:g} bpm, {what[fit.relation]}"
    if abs(fit.stretch - 1.0) < 5e-4:
        return f"{text}: plays at {project:g} bpm unstretched (ratio 1)"
    return f"{text}: time-stretched by ratio {fit.stretch:.3f} to {project:g} bpm"


def _style_reason(project: tuple[str, ...], item: tuple[str, ...]) -> str:
    if not project or not item:
        return "no style to compare"
    shared = sorted(set(project) & set(item))
    if not shared:
        return f"different style ({', '.join(item)})"
    return f"shared style: {', '.join(shared)}"
