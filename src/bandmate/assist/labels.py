"""Chord labels: the chord that a handful of sounding pitches spell, and its roman numeral.

The data script reads a chorale as slices of sounding pitches; :func:`identify_chord`
names the triad or seventh chord those pitches best fit (template matching on a
duration-weighted pitch-class histogram, the bass deciding the inversion), spelled
in the local key. :func:`chord_token` turns a chord into the roman numeral the models
are trained on, and only accepts numerals that :func:`~bandmate.music.roman.roman_to_chord`
turns back into the same pitches, so every token the bandmate suggests is playable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from bandmate.errors import MusicError
from bandmate.music.chord import Chord, ChordQuality
from bandmate.music.key import Key
from bandmate.music.roman import chord_to_roman, roman_to_chord

# Qualities of common-practice harmony, the semitones of their tones, and a prior bonus that
# breaks ties the way an analyst would: a triad before a seventh (a passing eighth note in one
# voice must not turn a triad into a seventh chord: -0.3 was the best of 0, -0.2, -0.3, -0.4
# against the human chorale analyses), major and minor before diminished, augmented last.
_TEMPLATES: tuple[tuple[ChordQuality, tuple[int, ...], float], ...] = (
    ("", (0, 4, 7), 0.06),
    ("m", (0, 3, 7), 0.06),
    ("dim", (0, 3, 6), 0.02),
    ("aug", (0, 4, 8), -0.04),
    ("7", (0, 4, 7, 10), -0.27),
    ("m7", (0, 3, 7, 10), -0.3),
    ("maj7", (0, 4, 7, 11), -0.32),
    ("m7b5", (0, 3, 6, 10), -0.3),
    ("dim7", (0, 3, 6, 9), -0.3),
)
_MISSING_FIFTH = 0.05  # an omitted fifth is routine in four-part writing
_MISSING_OTHER = 0.35  # an omitted third or seventh is not
_BASS_IS_ROOT = 0.04


@dataclass(frozen=True, slots=True)
class ChordFit:
    """The best chord for a histogram and how well it fits.

    Attributes:
        chord: The chord, spelled in the key, with the bass as a slash bass.
        score: Weight on chord tones minus weight off them and penalties (at most ~1.1).
        coverage: The share of the weight that falls on chord tones (0..1).
    """

    chord: Chord
    score: float
    coverage: float


def identify_chord(weights: Sequence[float], bass_pc: int | None, key: Key) -> ChordFit | None:
    """Name the chord that a pitch-class histogram spells.

    Args:
        weights: 12 non-negative weights, index = pitch class (durations of sounding notes).
        bass_pc: The pitch class of the lowest note, or ``None`` if unknown.
        key: The key that spells the root and bass.

    Returns:
        The best fit, or ``None`` when fewer than two pitch classes sound.
    """
    total = float(sum(weights))
    if total <= 0 or sum(1 for w in weights if w > 0) < 2:
        return None
    norm = [w / total for w in weights]
    best: tuple[float, float, int, ChordQuality] | None = None
    for root in range(12):
        for quality, steps, prior in _TEMPLATES:
            pcs = [(root + s) % 12 for s in steps]
            coverage = sum(norm[pc] for pc in pcs)
            missing = sum(
                _MISSING_FIFTH if s in (6, 7, 8) else _MISSING_OTHER
                for s, pc in zip(steps, pcs, strict=True)
                if norm[pc] == 0
            )
            score = 2 * coverage - 1 - missing + prior
            score += _BASS_IS_ROOT if bass_pc == root else 0.0
            if bass_pc is not None and bass_pc not in pcs:
                score -= 0.1  # a non-chord bass is possible but rare
            if best is None or score > best[0] + 1e-12:
                best = (score, coverage, root, quality)
    assert best is not None  # the loops always run
    score, coverage, root, quality = best
    chord = spell_chord(root, quality, bass_pc, key)
    return ChordFit(chord, score, coverage)


def spell_chord(root_pc: int, quality: ChordQuality, bass_pc: int | None, key: Key) -> Chord:
    """A chord on ``root_pc`` spelled in ``key``; a bass that is a chord tone keeps its spelling."""
    chord = Chord(key.spell_pc(root_pc), quality)
    if bass_pc is None or bass_pc % 12 == chord.root_pc:
        return chord
    for tone, pc in zip(chord.tones, _tone_pcs(chord), strict=True):
        if pc == bass_pc % 12:
            try:
                return Chord(chord.root, quality, bass=tone)
            except MusicError:  # a triple flat, as in the seventh of Cb dim7: respell
                break
    return Chord(chord.root, quality, bass=key.spell_pc(bass_pc))


def _tone_pcs(chord: Chord) -> list[int]:
    return [(chord.root_pc + i.semitones) % 12 for i in chord.intervals]


def chord_token(chord: Chord, key: Key) -> str | None:
    """The roman numeral of ``chord`` in ``key``, if it reads back as the same sounding chord.

    Returns:
        The numeral (``"V65"``, ``"V7/V"``, ``"bVI"``), or ``None`` when
        :func:`roman_to_chord` would not rebuild the same pitch classes and bass.
    """
    try:
        numeral = chord_to_roman(chord, key)
        back = roman_to_chord(numeral, key)
    except MusicError:
        return None
    same = back.bass_pc == chord.bass_pc and set(back.pitch_classes) == set(chord.pitch_classes)
    return numeral if same else None


def token_chord(token: str, key: Key) -> Chord | None:
    """The chord a roman-numeral token names in ``key``, or ``None`` if it names none there."""
    try:
        return roman_to_chord(token, key)
    except MusicError:
        return None


@cache
def spellable(tokens: tuple[str, ...], key: Key) -> tuple[bool, ...]:
    """Which tokens name a chord in ``key`` (a few chromatic numerals need triple sharps
    or flats in remote keys). Cached per vocabulary and key."""
    return tuple(token_chord(t, key) is not None for t in tokens)
