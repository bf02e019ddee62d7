"""Pitches: spelled note names, MIDI numbers and frequencies.

A spelled pitch keeps its letter and accidental, so ``F#`` and ``Gb`` are
different names for pitch class 6. Octaves follow scientific pitch notation:
``C4`` is MIDI 60 and ``A4`` is 440 Hz. The octave number belongs to the
letter, so ``B#3`` is MIDI 60 and ``Cb4`` is MIDI 59.

Spelling a MIDI number uses the line of fifths (… Bb F C G D A E B F# …):
of the enharmonic names of a pitch class, the one nearest to a chosen point
on that line wins. :class:`bandmate.music.key.Key` picks the point for a key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from bandmate.errors import MusicError, ParseError

LETTERS = "CDEFGAB"
"""The seven letters in scale order from C."""

NATURAL_PCS = (0, 2, 4, 5, 7, 9, 11)
"""Pitch class of each letter of :data:`LETTERS` without accidental."""

MAX_ACCIDENTAL = 4
"""The largest number of sharps or flats a spelled pitch may carry."""

Accidentals = Literal["sharps", "flats"]

_FIFTHS_OF_LETTER = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
_LETTER_AT_FIFTHS = "FCGDAEB"
_AROUND = {"sharps": 4.5, "flats": -0.5}
_NAME_RE = re.compile(r"([A-Ga-g])(#*|b*|♯*|♭*|x?)(-?\d{1,3})?")


@dataclass(frozen=True, slots=True)
class Pitch:
    """A spelled pitch: letter, accidental and optional octave.

    Attributes:
        letter: One of ``"A"`` .. ``"G"``.
        accidental: Semitones added to the letter: ``1`` is ``#``, ``-2`` is ``bb``.
        octave: Scientific octave (``4`` for middle C's octave), or ``None`` for
            a pitch class name such as ``"F#"``. -2..10, since B#-2 is MIDI 0
            and Abb10 is MIDI 127.
    """

    letter: str
    accidental: int = 0
    octave: int | None = None

    def __post_init__(self) -> None:
        if self.letter not in LETTERS:
            raise MusicError(f"letter={self.letter!r} must be one of A..G")
        if not -MAX_ACCIDENTAL <= self.accidental <= MAX_ACCIDENTAL:
            raise MusicError(
                f"accidental={self.accidental} must be in {-MAX_ACCIDENTAL}..{MAX_ACCIDENTAL}"
            )
        if self.octave is not None and not -2 <= self.octave <= 10:
            raise MusicError(f"octave={self.octave} must be in -2..10")

    @property
    def step(self) -> int:
        """Index of the letter in :data:`LETTERS` (C=0 .. B=6)."""
        return LETTERS.index(self.letter)

    @property
    def pc(self) -> int:
        """Pitch class, 0 (C) .. 11 (B)."""
        return (NATURAL_PCS[self.step] + self.accidental) % 12

    @property
    def name(self) -> str:
        """The pitch class name without octave, e.g. ``"F#"``."""
        sign = "#" if self.accidental > 0 else "b"
        return self.letter + sign * abs(self.accidental)

    @property
    def fifths(self) -> int:
        """Position on the line of fifths: C=0, G=1, F=-1, F#=6, Bb=-2."""
        return _FIFTHS_OF_LETTER[self.letter] + 7 * self.accidental

    @property
    def midi(self) -> int:
        """The MIDI note number (``C4`` is 60).

        Raises:
            MusicError: The pitch has no octave, or lies outside 0..127.
        """
        if self.octave is None:
            raise MusicError(f"pitch {self.name!r} has no octave, so no MIDI number")
        number = 12 * (self.octave + 1) + NATURAL_PCS[self.step] + self.accidental
        if not 0 <= number <= 127:
            raise MusicError(f"pitch {self}: midi={number} must be in 0..127")
        return number

    def with_octave(self, octave: int | None) -> Pitch:
        """Return the same spelling in another octave (``None`` for a pitch class)."""
        return Pitch(self.letter, self.accidental, octave)

    def __str__(self) -> str:
        return self.name if self.octave is None else f"{self.name}{self.octave}"


def quote_text(text: str, *, limit: int = 24) -> str:
    """Quote user input for an error message, cut to about ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 4] + "...")


def parse_pitch(text: str) -> Pitch:
    """Parse a note name such as ``"C"``, ``"F#"``, ``"Ebb"``, ``"B#3"`` or ``"Gb-1"``.

    The letter may be lower case; ``♯``/``♭`` are read as ``#``/``b`` and ``x``
    as a double sharp.

    Raises:
        ParseError: The text is not a note name.
    """
    match = _NAME_RE.fullmatch(text.strip())
    if match is None:
        if not text.strip() or text.strip()[0].upper() not in LETTERS:
            raise ParseError(f"pitch name {quote_text(text)}: letter must be one of A..G")
        raise ParseError(
            f"pitch name {quote_text(text)}: must be a letter A..G, "
            "then '#'s or 'b's, then an octave"
        )
    letter, signs, octave = match.groups()
    accidental = 2 if signs == "x" else len(signs) * (1 if signs[:1] in ("#", "♯") else -1)
    if abs(accidental) > MAX_ACCIDENTAL:
        raise ParseError(
            f"pitch name {quote_text(text)}: accidentals must number at most {MAX_ACCIDENTAL}"
        )
    if octave is not None and not -2 <= int(octave) <= 10:
        raise ParseError(f"pitch name {quote_text(text)}: octave={octave} must be in -2..10")
    return Pitch(letter.upper(), accidental, None if octave is None else int(octave))


def parse_pitch_class(text: str) -> Pitch:
    """Parse a pitch class name (no octave), e.g. ``"Bb"``.

    Raises:
        ParseError: The text is not a note name, or it has an octave.
    """
    pitch = parse_pitch(text)
    if pitch.octave is not None:
        raise ParseError(f"pitch class name {quote_text(text)}: must not have an octave")
    return pitch


def pitch_from_fifths(fifths: int, *, octave: int | None = None) -> Pitch:
    """Return the pitch class at a position on the line of fifths (0 is C, -2 is Bb)."""
    letter = _LETTER_AT_FIFTHS[(fifths + 1) % 7]
    return Pitch(letter, (fifths + 1) // 7, octave)


def spell_pc(pc: int, *, around: float) -> Pitch:
    """Spell a pitch class as the name nearest to ``around`` on the line of fifths.

    Args:
        pc: Pitch class; any integer, taken modulo 12.
        around: Centre of the wanted names on the line of fifths. ``4.5`` gives
            sharps (C C# D D# ...), ``-0.5`` flats (C Db D Eb ...); a key picks
            the centre of its scale (see :meth:`bandmate.music.key.Key.spell`).
            Double sharps count as 2 fifths further off, double flats as 4.
    """
    base = (pc % 12) * 7 % 12  # a line-of-fifths position with that pitch class
    candidates = (base + 12 * k for k in range(-3, 3))
    return pitch_from_fifths(min(candidates, key=lambda f: _distance(f, around)))


def _distance(fifths: int, around: float) -> float:
    # Double sharps count 2 fifths further off and double flats 4: the leading tone
    # F## of G# minor still beats G, while D beats Ebb and A beats Bbb in Gb major.
    penalty = 4.0 if fifths < -8 else 2.0 if fifths > 12 else 0.0
    return abs(fifths - around) + penalty


def spell_midi(midi: int, *, around: float) -> Pitch:
    """Spell a MIDI number, choosing the name as :func:`spell_pc` does, with octave."""
    name = spell_pc(midi % 12, around=around)
    octave = (midi - NATURAL_PCS[name.step] - name.accidental) // 12 - 1
    return name.with_octave(octave)


def name_to_pc(name: str) -> int:
    """Return the pitch class of a note name (any octave is ignored): ``"Bb"`` -> 10."""
    return parse_pitch(name).pc


def name_to_midi(name: str) -> int:
    """Return the MIDI number of a note name with octave: ``"C4"`` -> 60.

    Raises:
        ParseError: The name is invalid or has no octave.
    """
    pitch = parse_pitch(name)
    if pitch.octave is None:
        raise ParseError(f"pitch name {name!r}: octave is required for a MIDI number")
    return pitch.midi


def midi_to_name(midi: int, *, accidentals: Accidentals = "sharps") -> str:
    """Return a name for a MIDI number, e.g. 61 -> ``"C#4"`` (or ``"Db4"`` with flats).

    Raises:
        MusicError: ``midi`` is outside 0..127.
    """
    if not 0 <= midi <= 127:
        raise MusicError(f"midi={midi} must be in 0..127")
    return str(spell_midi(midi, around=_AROUND[accidentals]))


def pc_to_name(pc: int, *, accidentals: Accidentals = "sharps") -> str:
    """Return a name for a pitch class, e.g. 10 -> ``"A#"`` (or ``"Bb"`` with flats)."""
    return spell_pc(pc, around=_AROUND[accidentals]).name


def midi_to_hz(midi: float, *, a4: float = 440.0) -> float:
    """Return the frequency in Hz of a (possibly fractional) MIDI number.

    Args:
        midi: MIDI note number; 69 is A4.
        a4: Tuning: the frequency of A4 in Hz.
    """
    if a4 <= 0:
        raise MusicError(f"a4={a4} must be > 0 Hz")
    return a4 * math.pow(2.0, (midi - 69.0) / 12.0)


def hz_to_midi(hz: float, *, a4: float = 440.0) -> float:
    """Return the fractional MIDI number of a frequency in Hz (440 Hz -> 69.0).

    Args:
        hz: Frequency in Hz, > 0.
        a4: Tuning: the frequency of A4 in Hz.
    """
    if hz <= 0:
        raise MusicError(f"hz={hz} must be > 0")
    if a4 <= 0:
        raise MusicError(f"a4={a4} must be > 0 Hz")
    return 69.0 + 12.0 * math.log2(hz / a4)
