"""The starter loops library: what each loop is (its spec) and how to find one.

A loop is *MIDI first*: its :class:`LoopSpec` (role, style, key, tempo, bars, chord
progression, seed) rebuilds its notes exactly (:func:`bandmate.loops.generate.loop_song`),
so the library ships as a small JSON manifest (``manifest.json`` beside this module, made by
``scripts/build_loops.py``) and audio is rendered on demand. The mood of each loop
(valence/arousal, as :mod:`bandmate.listen.mood`) was measured from its notes when the
manifest was built.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from bandmate.errors import MusicError
from bandmate.loops.errors import LoopError
from bandmate.music.key import Key, parse_key
from bandmate.recommend.descriptors import CatalogueItem, Descriptors

LoopRole = Literal["drums", "bass", "chords", "pad"]
ROLES: tuple[LoopRole, ...] = get_args(LoopRole)
MoodLabel = Literal["happy", "tense", "sad", "calm"]
MOODS: tuple[MoodLabel, ...] = get_args(MoodLabel)
MANIFEST = Path(__file__).with_name("manifest.json")
MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class LoopSpec:
    """One loop of the library.

    Attributes:
        id: Stable id (``"lib-bass-funk-e-minor-104-0"``), also the taste model's item id.
        role: ``"drums"``, ``"bass"``, ``"chords"`` or ``"pad"``.
        style: One of the band's styles (:data:`bandmate.assist.band.styles.STYLES`).
        key: Key name (``"E minor"``), or ``None`` for drums.
        bpm: Tempo, beats per minute.
        bars: Length in 4/4 bars.
        progression: Chord symbols, one per bar, in ``key`` (empty for drums).
        seed: Seeds the band's pattern choices.
        valence: -1..1, measured from the notes.
        arousal: -1..1, measured from the notes.
        mood: The valence/arousal quadrant.
        program: General MIDI program of the loop's instrument (drums: the kit).
    """

    id: str
    role: LoopRole
    style: str
    key: str | None
    bpm: float
    bars: int
    progression: tuple[str, ...]
    seed: int
    valence: float
    arousal: float
    mood: MoodLabel
    program: int

    @property
    def title(self) -> str:
        """How people see it: ``"Funk bass, E minor, 104 bpm"``."""
        what = {"drums": "drums", "bass": "bass", "chords": "chords", "pad": "pad"}[self.role]
        where = f", {self.key}" if self.key else ""
        return f"{self.style.capitalize()} {what}{where}, {self.bpm:g} bpm"

    @property
    def seconds(self) -> float:
        """Duration of one pass, seconds."""
        return self.bars * 4 * 60.0 / self.bpm

    def parsed_key(self) -> Key | None:
        """The key as a :class:`~bandmate.music.key.Key`."""
        return None if self.key is None else parse_key(self.key)

    def descriptors(self) -> Descriptors:
        """Key, tempo, mood and style for the recommenders."""
        return Descriptors(
            key=self.parsed_key(),
            bpm=self.bpm,
            valence=self.valence,
            arousal=self.arousal,
            styles=(self.style,),
        )

    def catalogue_item(self) -> CatalogueItem:
        """The loop as an item of a recommendation catalogue."""
        return CatalogueItem(self.id, "loop", self.descriptors(), self.title)


def spec_from_dict(data: dict[str, Any]) -> LoopSpec:
    """Rebuild a spec from its JSON form, checking every field.

    Raises:
        LoopError: for a missing or out-of-range field.
    """
    try:
        spec = LoopSpec(
            id=str(data["id"]),
            role=data["role"],
            style=str(data["style"]),
            key=None if data["key"] is None else str(data["key"]),
            bpm=float(data["bpm"]),
            bars=int(data["bars"]),
            progression=tuple(str(s) for s in data["progression"]),
            seed=int(data["seed"]),
            valence=float(data["valence"]),
            arousal=float(data["arousal"]),
            mood=data["mood"],
            program=int(data["program"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LoopError(f"loop entry {str(data)[:80]!r} is malformed: {exc!r}") from exc
    if spec.role not in ROLES:
        raise LoopError(f"loop {spec.id!r}: role={spec.role!r} must be one of {ROLES}")
    if spec.mood not in MOODS:
        raise LoopError(f"loop {spec.id!r}: mood={spec.mood!r} must be one of {MOODS}")
    if not (math.isfinite(spec.bpm) and 40 <= spec.bpm <= 240) or not 1 <= spec.bars <= 16:
        raise LoopError(f"loop {spec.id!r}: bpm={spec.bpm} or bars={spec.bars} out of range")
    if (spec.role == "drums") != (spec.key is None):
        raise LoopError(f"loop {spec.id!r}: drums have no key, every other role has one")
    if spec.key is not None:
        try:
            parse_key(spec.key)
        except MusicError as exc:
            raise LoopError(f"loop {spec.id!r}: key={spec.key!r} is not a key") from exc
    return spec


def specs_to_json(specs: Sequence[LoopSpec]) -> str:
    """The manifest text for ``specs`` (sorted, one loop a line, stable across runs)."""
    lines = [json.dumps(asdict(s), sort_keys=True, separators=(",", ":")) for s in specs]
    body = ",\n".join(f"  {line}" for line in lines)
    return f'{{"version": {MANIFEST_VERSION}, "loops": [\n{body}\n]}}\n'


def read_manifest(path: str | Path) -> tuple[LoopSpec, ...]:
    """Read a manifest file.

    Raises:
        LoopError: for a missing or malformed file, or duplicate ids.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoopError(f"loop manifest {str(path)!r} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        raise LoopError(f"loop manifest {str(path)!r} must be version {MANIFEST_VERSION}")
    specs = tuple(spec_from_dict(d) for d in data.get("loops", []))
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        raise LoopError(f"loop manifest {str(path)!r} repeats an id")
    return specs


@cache
def library() -> tuple[LoopSpec, ...]:
    """The starter library shipped with Bandmate (read once)."""
    return read_manifest(MANIFEST)


@cache
def _by_id() -> dict[str, LoopSpec]:
    return {s.id: s for s in library()}


def get_loop(loop_id: str) -> LoopSpec:
    """The library loop with this id.

    Raises:
        LoopError: when there is none (the server answers 404).
    """
    spec = _by_id().get(loop_id)
    if spec is None:
        raise LoopError(f"loop_id={loop_id[:80]!r} is not in the library")
    return spec


@dataclass(frozen=True, slots=True)
class LoopQuery:
    """A search of the library; every field narrows it, ``None`` means any.

    Attributes:
        text: Words that must all appear in the title (case-insensitive).
        role: Drums, bass, chords or pad.
        style: A style name.
        key: A key name; matches that key only (use the fit endpoint for neighbours).
        mood: A mood quadrant.
        bpm_min: Slowest tempo.
        bpm_max: Fastest tempo.
    """

    text: str | None = None
    role: LoopRole | None = None
    style: str | None = None
    key: str | None = None
    mood: MoodLabel | None = None
    bpm_min: float | None = None
    bpm_max: float | None = None

    def matches(self, spec: LoopSpec) -> bool:
        """Whether ``spec`` passes every given filter."""
        if self.role is not None and spec.role != self.role:
            return False
        if self.style is not None and spec.style != self.style.strip().lower():
            return False
        if self.mood is not None and spec.mood != self.mood:
            return False
        if self.bpm_min is not None and spec.bpm < self.bpm_min:
            return False
        if self.bpm_max is not None and spec.bpm > self.bpm_max:
            return False
        if self.key is not None and (spec.key is None or parse_key(spec.key) != self._key()):
            return False
        if self.text:
            title = spec.title.lower()
            return all(word in title for word in self.text.lower().split())
        return True

    def _key(self) -> Key:
        assert self.key is not None
        try:
            return parse_key(self.key)
        except MusicError as exc:
            raise LoopError(f"key={self.key[:40]!r} is not a key name such as 'E minor'") from exc


def search(query: LoopQuery, specs: Iterable[LoopSpec] | None = None) -> list[LoopSpec]:
    """The loops that match ``query``, in library order.

    Raises:
        LoopError: for a key that is not a key name.
    """
    if query.key is not None:
        query._key()  # refuse a bad key even when nothing else would be searched
    return [s for s in (library() if specs is None else specs) if query.matches(s)]
