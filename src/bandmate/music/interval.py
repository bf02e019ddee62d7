"""Intervals: a quality and a number, such as ``M3``, ``P5``, ``A4`` or ``m9``.

The number counts letters (a third spans three letters: C-D-E), the quality
fixes the size in semitones. Intervals here are ascending and at least a
unison; :func:`subtract_interval` goes down. Between pitch classes (no octave)
the interval is the simple one, less than an octave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bandmate.errors import MusicError, ParseError
from bandmate.music.pitch import LETTERS, NATURAL_PCS, Pitch, quote_text

IntervalQuality = Literal["dd", "d", "m", "M", "P", "A", "AA"]

_MAJOR_SEMITONES = (0, 2, 4, 5, 7, 9, 11)  # major or perfect form of 1..7
_PERFECT_OFFSETS: dict[IntervalQuality, int] = {"dd": -2, "d": -1, "P": 0, "A": 1, "AA": 2}
_IMPERFECT_OFFSETS: dict[IntervalQuality, int] = {
    "dd": -3,
    "d": -2,
    "m": -1,
    "M": 0,
    "A": 1,
    "AA": 2,
}
_QUALITY_OF: dict[str, IntervalQuality] = {q: q for q in _IMPERFECT_OFFSETS | _PERFECT_OFFSETS}
_FLIPPED: dict[IntervalQuality, IntervalQuality] = {
    "dd": "AA",
    "d": "A",
    "m": "M",
    "M": "m",
    "P": "P",
    "A": "d",
    "AA": "dd",
}
_INTERVAL_RE = re.compile(r"(dd|d|m|M|P|AA|A)(\d{1,2})")


def _is_perfect(number: int) -> bool:
    return (number - 1) % 7 in (0, 3, 4)


@dataclass(frozen=True, slots=True)
class Interval:
    """An ascending interval.

    Attributes:
        quality: ``P`` perfect, ``M``/``m`` major/minor, ``A``/``d`` augmented/
            diminished, ``AA``/``dd`` doubly so.
        number: 1 (unison), 2 (second), ... 8 (octave), 9 (ninth), ...
    """

    quality: IntervalQuality
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 99:
            raise MusicError(f"interval number={self.number} must be in 1..99")
        allowed = _PERFECT_OFFSETS if _is_perfect(self.number) else _IMPERFECT_OFFSETS
        if self.quality not in allowed:
            kind = "perfect" if _is_perfect(self.number) else "imperfect"
            raise MusicError(
                f"interval quality={self.quality!r} for number={self.number} must be one of "
                f"{', '.join(allowed)} ({kind} interval)"
            )

    @property
    def steps(self) -> int:
        """Letters spanned above the lower note: 0 for a unison, 2 for a third."""
        return self.number - 1

    @property
    def semitones(self) -> int:
        """Size in semitones: ``M3`` is 4, ``P8`` is 12, ``m9`` is 13."""
        octaves, simple = divmod(self.steps, 7)
        offsets = _PERFECT_OFFSETS if _is_perfect(self.number) else _IMPERFECT_OFFSETS
        return 12 * octaves + _MAJOR_SEMITONES[simple] + offsets[self.quality]

    @property
    def simple(self) -> Interval:
        """The interval reduced to less than an octave (``M9`` -> ``M2``; ``P8`` stays)."""
        if self.number <= 8:
            return self
        return Interval(self.quality, (self.number - 2) % 7 + 2)

    def invert(self) -> Interval:
        """Return the inversion within the octave: ``M3`` -> ``m6``, ``A4`` -> ``d5``.

        Raises:
            MusicError: The interval is compound (larger than an octave).
        """
        if self.number > 8:
            raise MusicError(f"interval {self}: only simple intervals (up to 8) invert")
        return Interval(_FLIPPED[self.quality], 9 - self.number)

    def __str__(self) -> str:
        return f"{self.quality}{self.number}"


def parse_interval(text: str) -> Interval:
    """Parse an interval name such as ``"M3"``, ``"P5"``, ``"A4"``, ``"d7"``, ``"m9"``.

    Raises:
        ParseError: The text is not an interval name.
    """
    match = _INTERVAL_RE.fullmatch(text.strip())
    if match is None:
        raise ParseError(
            f"interval {quote_text(text)}: must be a quality (P, M, m, A, d, AA, dd) and a number"
        )
    quality, number = match.groups()
    try:
        return Interval(_QUALITY_OF[quality], int(number))
    except MusicError as exc:
        raise ParseError(f"interval {quote_text(text)}: {exc}") from exc


def interval_from_parts(steps: int, semitones: int) -> Interval:
    """Return the interval spanning ``steps`` letters and ``semitones`` semitones.

    Raises:
        MusicError: No quality (up to doubly augmented/diminished) fits.
    """
    if steps < 0:
        raise MusicError(f"interval steps={steps} must be >= 0 (intervals ascend)")
    number = steps + 1
    octaves, simple = divmod(steps, 7)
    offset = semitones - 12 * octaves - _MAJOR_SEMITONES[simple]
    offsets = _PERFECT_OFFSETS if _is_perfect(number) else _IMPERFECT_OFFSETS
    for quality, value in offsets.items():
        if value == offset:
            return Interval(quality, number)
    raise MusicError(
        f"no interval spans {number} letters and {semitones} semitones "
        "(at most doubly augmented or diminished)"
    )


def interval_between(low: Pitch, high: Pitch) -> Interval:
    """Return the ascending interval from ``low`` up to ``high``.

    With both octaves given the interval may be compound (C4 to D5 is ``M9``);
    otherwise it is the simple interval from the lower name up to the next
    ``high`` (E to C is ``m6``).

    Raises:
        MusicError: ``high`` is below ``low`` by letter, or no quality fits.
    """
    if low.octave is not None and high.octave is not None:
        steps = (high.octave * 7 + high.step) - (low.octave * 7 + low.step)
        semitones = _absolute(high) - _absolute(low)
    else:
        steps = (high.step - low.step) % 7
        semitones = (NATURAL_PCS[high.step] - NATURAL_PCS[low.step]) % 12
        semitones += high.accidental - low.accidental
    if steps < 0:
        raise MusicError(f"interval from {low} to {high}: {high} must not be below {low}")
    return interval_from_parts(steps, semitones)


def _absolute(pitch: Pitch) -> int:
    octave = 0 if pitch.octave is None else pitch.octave
    return 12 * octave + NATURAL_PCS[pitch.step] + pitch.accidental


def add_interval(pitch: Pitch, interval: Interval) -> Pitch:
    """Return ``pitch`` raised by ``interval``, correctly spelled: E + M3 = G#.

    The octave, if any, is carried (B3 + m2 = C4).

    Raises:
        MusicError: The result needs more accidentals than a pitch may carry.
    """
    return _move(pitch, interval.steps, interval.semitones)


def subtract_interval(pitch: Pitch, interval: Interval) -> Pitch:
    """Return ``pitch`` lowered by ``interval``, correctly spelled: G# - M3 = E."""
    return _move(pitch, -interval.steps, -interval.semitones)


def _move(pitch: Pitch, steps: int, semitones: int) -> Pitch:
    octaves, step = divmod(pitch.step + steps, 7)
    natural = NATURAL_PCS[step] + 12 * octaves - NATURAL_PCS[pitch.step]
    accidental = pitch.accidental + semitones - natural
    octave = None if pitch.octave is None else pitch.octave + octaves
    try:
        return Pitch(LETTERS[step], accidental, octave)
    except MusicError as exc:
        raise MusicError(f"moving {pitch} by {semitones} semitones: {exc}") from exc
