"""Scales and modes on any spelled tonic.

A scale is a tonic name and a pattern of intervals above it, so its notes come
out correctly spelled: D major is D E F# G A B C#, and G# harmonic minor has
an F##. Degrees are 1-based, as musicians count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bandmate.errors import MusicError, ParseError
from bandmate.music.interval import Interval, add_interval, parse_interval
from bandmate.music.pitch import Pitch, parse_pitch_class, quote_text, spell_pc

ScaleName = Literal[
    "major",
    "minor",
    "harmonic_minor",
    "melodic_minor",
    "ionian",
    "dorian",
    "phrygian",
    "lydian",
    "mixolydian",
    "aeolian",
    "locrian",
    "major_pentatonic",
    "minor_pentatonic",
    "blues",
    "chromatic",
]


def _pattern(names: str) -> tuple[Interval, ...]:
    return tuple(parse_interval(name) for name in names.split())


_MAJOR = "P1 M2 M3 P4 P5 M6 M7"
_MINOR = "P1 M2 m3 P4 P5 m6 m7"
SCALE_INTERVALS: dict[ScaleName, tuple[Interval, ...]] = {
    "major": _pattern(_MAJOR),
    "minor": _pattern(_MINOR),
    "harmonic_minor": _pattern("P1 M2 m3 P4 P5 m6 M7"),
    "melodic_minor": _pattern("P1 M2 m3 P4 P5 M6 M7"),
    "ionian": _pattern(_MAJOR),
    "dorian": _pattern("P1 M2 m3 P4 P5 M6 m7"),
    "phrygian": _pattern("P1 m2 m3 P4 P5 m6 m7"),
    "lydian": _pattern("P1 M2 M3 A4 P5 M6 M7"),
    "mixolydian": _pattern("P1 M2 M3 P4 P5 M6 m7"),
    "aeolian": _pattern(_MINOR),
    "locrian": _pattern("P1 m2 m3 P4 d5 m6 m7"),
    "major_pentatonic": _pattern("P1 M2 M3 P5 M6"),
    "minor_pentatonic": _pattern("P1 m3 P4 P5 m7"),
    "blues": _pattern("P1 m3 P4 d5 P5 m7"),
    "chromatic": _pattern("P1 m2 M2 m3 M3 P4 A4 P5 m6 M6 m7 M7"),
}
"""The intervals above the tonic of each scale, ascending. ``minor`` is natural minor."""

SCALE_NAMES: tuple[ScaleName, ...] = tuple(SCALE_INTERVALS)


@dataclass(frozen=True, slots=True)
class Scale:
    """A scale: a spelled tonic and a scale name.

    Attributes:
        tonic: A pitch class name such as ``"F#"`` (normalized: ``"f♯"`` -> ``"F#"``).
        name: One of :data:`SCALE_NAMES`; ``"minor"`` is the natural minor.
    """

    tonic: str
    name: ScaleName = "major"

    def __post_init__(self) -> None:
        try:
            tonic = parse_pitch_class(self.tonic)
        except ParseError as exc:
            raise MusicError(f"scale tonic={self.tonic!r} must be a pitch class name") from exc
        object.__setattr__(self, "tonic", tonic.name)
        if self.name not in SCALE_INTERVALS:
            raise MusicError(f"scale name={self.name!r} must be one of {', '.join(SCALE_NAMES)}")

    @property
    def intervals(self) -> tuple[Interval, ...]:
        """The intervals of the degrees above the tonic."""
        return SCALE_INTERVALS[self.name]

    @property
    def pitches(self) -> tuple[Pitch, ...]:
        """The spelled degrees, without octave."""
        tonic = parse_pitch_class(self.tonic)
        if self.name == "chromatic":  # spelled as the tonic's major key spells them
            around = tonic.fifths + 1.5
            return tuple(spell_pc(tonic.pc + i.semitones, around=around) for i in self.intervals)
        return tuple(add_interval(tonic, interval) for interval in self.intervals)

    @property
    def notes(self) -> tuple[str, ...]:
        """The note names of the degrees: ``Scale("D").notes`` is D E F# G A B C#."""
        return tuple(p.name for p in self.pitches)

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """The pitch classes of the degrees, in degree order (not sorted)."""
        return tuple(p.pc for p in self.pitches)

    @property
    def tonic_pc(self) -> int:
        """The pitch class of the tonic."""
        return parse_pitch_class(self.tonic).pc

    def __len__(self) -> int:
        return len(self.intervals)

    def __contains__(self, pitch: object) -> bool:
        return isinstance(pitch, int) and self.contains(pitch)

    def contains(self, pitch: int) -> bool:
        """Whether a MIDI number (or pitch class) belongs to the scale."""
        return pitch % 12 in self.pitch_classes

    def note(self, degree: int) -> str:
        """Return the name of a 1-based degree; degrees wrap (8 is the tonic again)."""
        _check_degree(degree)
        return self.notes[(degree - 1) % len(self)]

    def degree_of(self, pitch: int) -> int | None:
        """Return the 1-based degree of a MIDI number or pitch class, or ``None``."""
        offset = (pitch - self.tonic_pc) % 12
        semitones = [i.semitones % 12 for i in self.intervals]
        return semitones.index(offset) + 1 if offset in semitones else None

    def degree_to_midi(self, degree: int, *, octave: int = 4) -> int:
        """Return the MIDI number of a degree above the tonic in ``octave``.

        The tonic of ``octave`` is the one at or above that octave's C (MIDI
        ``12 * (octave + 1)``); degrees past the scale length climb on, so in
        C major ``degree_to_midi(9, octave=4)`` is D5 (74).
        """
        _check_degree(degree)
        octaves, index = divmod(degree - 1, len(self))
        semitones = self.intervals[index].semitones
        return 12 * (octave + 1 + octaves) + self.tonic_pc + semitones

    def locate(self, pitch: int) -> tuple[int, int, int]:
        """Place a MIDI number on the scale: ``(degree, octave, offset)``.

        ``degree`` (1-based) is the nearest degree at or below ``pitch``,
        ``octave`` the octave argument of :meth:`degree_to_midi` that places it,
        and ``offset`` the semitones above it (0 for a note in the scale).
        In C major, 61 (C#4) is ``(1, 4, 1)``.
        """
        octave = (pitch - self.tonic_pc) // 12 - 1
        for degree in range(len(self), 0, -1):
            below = self.degree_to_midi(degree, octave=octave)
            if below <= pitch:
                return degree, octave, pitch - below
        raise AssertionError("the tonic of the octave is at or below the pitch")

    def shift_midi(self, pitch: int, steps: int) -> int:
        """Move a MIDI number by ``steps`` scale degrees (negative is down).

        A note outside the scale keeps its distance in semitones from the
        nearest degree below it: in C major, C# up one step is D#.
        """
        degree, octave, offset = self.locate(pitch)
        octaves, index = divmod(degree - 1 + steps, len(self))
        return self.degree_to_midi(index + 1, octave=octave + octaves) + offset


def _check_degree(degree: int) -> None:
    if degree < 1:
        raise MusicError(f"degree={degree} must be >= 1")


def parse_scale(text: str) -> Scale:
    """Parse ``"<tonic> <name>"``, e.g. ``"D dorian"`` or ``"A harmonic minor"``.

    Raises:
        ParseError: Unknown tonic or scale name.
    """
    tonic, _, rest = text.strip().partition(" ")
    key = "_".join(rest.lower().replace("-", " ").split()) or "major"
    if key == "natural_minor":
        key = "minor"
    names: dict[str, ScaleName] = {name: name for name in SCALE_NAMES}
    if key not in names:
        raise ParseError(f"scale {quote_text(text)}: name must be one of {', '.join(SCALE_NAMES)}")
    try:
        return Scale(parse_pitch_class(tonic).name, names[key])
    except ParseError as exc:
        raise ParseError(f"scale {quote_text(text)}: tonic {exc}") from exc
