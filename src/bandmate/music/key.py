"""Keys: a spelled tonic and a mode, with key signatures and spelling.

A key knows its signature in the MIDI convention (sharps positive, flats
negative, -7..7), its relative and parallel keys, its neighbours on the circle
of fifths, and how to spell any MIDI pitch: diatonic notes use the key's own
letters and chromatic notes the names a musician would write (F# and Bb in
C major, B natural and F# in C minor, Db as the Neapolitan in C minor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bandmate.errors import MusicError, ParseError
from bandmate.music.pitch import (
    Pitch,
    parse_pitch_class,
    pitch_from_fifths,
    quote_text,
    spell_midi,
    spell_pc,
)
from bandmate.music.scale import Scale

KeyMode = Literal["major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian"]

MODES: tuple[KeyMode, ...] = (
    "major",
    "minor",
    "dorian",
    "phrygian",
    "lydian",
    "mixolydian",
    "locrian",
)

# Signature minus the tonic's line-of-fifths position: C minor has 3 flats, C at 0.
_MODE_FIFTHS: dict[KeyMode, int] = {
    "lydian": 1,
    "major": 0,
    "mixolydian": -1,
    "dorian": -2,
    "minor": -3,
    "phrygian": -4,
    "locrian": -5,
}
# Where chromatic notes lean, relative to that major tonic on the line of fifths.
# 1.5 spells C major's chromatics C# Eb F# Ab Bb; minor leans sharp by 2 more so that
# the raised sixth and seventh (A, B in C minor) beat their flat enharmonics.
_LEAN: dict[KeyMode, float] = dict.fromkeys(MODES, 1.5) | {"minor": 3.5}

_MODE_WORDS: dict[str, KeyMode] = {
    "": "major",
    "M": "major",
    "maj": "major",
    "major": "major",
    "ionian": "major",
    "m": "minor",
    "min": "minor",
    "minor": "minor",
    "aeolian": "minor",
    "dorian": "dorian",
    "phrygian": "phrygian",
    "lydian": "lydian",
    "mixolydian": "mixolydian",
    "locrian": "locrian",
}
_KEY_RE = re.compile(r"\s*([A-Ga-g](?:#{1,2}|b{1,2}|♯|♭)?)\s*(.*?)\s*")


@dataclass(frozen=True, slots=True)
class Key:
    """A key: a spelled tonic (``"F#"``, ``"Bb"``) and a mode.

    The tonic is normalized (``"f♯"`` -> ``"F#"``). Keys needing more than seven
    sharps or flats (G# major, Fb major) are rejected: use their enharmonics.

    Attributes:
        tonic: The tonic's pitch class name.
        mode: ``"major"``, ``"minor"`` (natural minor) or a church mode.
    """

    tonic: str
    mode: KeyMode = "major"

    def __post_init__(self) -> None:
        if self.mode not in _MODE_FIFTHS:
            raise MusicError(f"key mode={self.mode!r} must be one of {', '.join(MODES)}")
        try:
            tonic = parse_pitch_class(self.tonic)
        except ParseError as exc:
            raise MusicError(
                f"key tonic={self.tonic!r} must be a pitch class name such as 'F#'"
            ) from exc
        object.__setattr__(self, "tonic", tonic.name)
        if not -7 <= self.signature <= 7:
            raise MusicError(
                f"key {self}: signature={self.signature} must be in -7..7 (use an enharmonic)"
            )

    @classmethod
    def from_signature(cls, sharps: int, minor: bool = False) -> Key:
        """Return the major or minor key of a key signature (MIDI ``key_signature``).

        Args:
            sharps: Sharps (positive) or flats (negative), -7..7.
            minor: The minor key rather than the major one.
        """
        if not -7 <= sharps <= 7:
            raise MusicError(f"key signature sharps={sharps} must be in -7..7")
        mode: KeyMode = "minor" if minor else "major"
        return cls(pitch_from_fifths(sharps - _MODE_FIFTHS[mode]).name, mode)

    @property
    def signature(self) -> int:
        """Sharps (positive) or flats (negative) in the key signature: D major is 2."""
        return parse_pitch_class(self.tonic).fifths + _MODE_FIFTHS[self.mode]

    @property
    def is_minor(self) -> bool:
        """Whether the mode is ``"minor"``."""
        return self.mode == "minor"

    @property
    def tonic_pc(self) -> int:
        """The tonic's pitch class."""
        return parse_pitch_class(self.tonic).pc

    @property
    def scale(self) -> Scale:
        """The key's seven-note scale (natural minor for minor keys)."""
        return Scale(self.tonic, self.mode)

    @property
    def notes(self) -> tuple[str, ...]:
        """The spelled scale: ``Key("Bb").notes`` is Bb C D Eb F G A."""
        return self.scale.notes

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """The scale's pitch classes in degree order."""
        return self.scale.pitch_classes

    def spell(self, midi: int) -> Pitch:
        """Spell a MIDI number in this key: 66 is F#4 in D major, Gb4 in Db major."""
        return spell_midi(midi, around=self._lean)

    def spell_pc(self, pc: int) -> str:
        """Spell a pitch class in this key: 11 is ``"B"`` in C minor, ``"Cb"`` in Gb major."""
        return spell_pc(pc, around=self._lean).name

    @property
    def _lean(self) -> float:
        return self.signature + _LEAN[self.mode]

    def relative(self) -> Key:
        """The relative key: A minor for C major, Eb major for C minor.

        A church mode's relative is the major key with the same signature.
        """
        mode: KeyMode = "minor" if self.mode == "major" else "major"
        return Key(pitch_from_fifths(self.signature - _MODE_FIFTHS[mode]).name, mode)

    def parallel(self, mode: KeyMode | None = None) -> Key:
        """The key on the same tonic in ``mode`` (default: minor, or major for a minor key).

        The tonic is respelled when the parallel key would need more than seven
        sharps or flats (the parallel minor of Db major is C# minor).
        """
        if mode is None:
            mode = "major" if self.mode == "minor" else "minor"
        return _key_on(self.tonic_pc, mode, near=self.signature)

    def shift_fifths(self, fifths: int) -> Key:
        """Move ``fifths`` steps round the circle of fifths, keeping the mode.

        ``Key("C").shift_fifths(1)`` is G major, ``shift_fifths(-1)`` F major.
        Beyond seven sharps or flats the key wraps to its enharmonic.
        """
        sharps = self.signature + fifths
        sharps = (sharps + 7) % 12 - 7 if not -7 <= sharps <= 7 else sharps
        return Key(pitch_from_fifths(sharps - _MODE_FIFTHS[self.mode]).name, self.mode)

    def neighbours(self) -> tuple[Key, Key]:
        """The subdominant and dominant keys: (F major, G major) for C major."""
        return self.shift_fifths(-1), self.shift_fifths(1)

    def transpose(self, semitones: int) -> Key:
        """Transpose by ``semitones``, spelling the tonic with the fewest accidentals.

        On a tie (F# / Gb major) the new key keeps the side (sharps or flats)
        of this one.
        """
        if semitones % 12 == 0:
            return self
        return _key_on(self.tonic_pc + semitones, self.mode, near=self.signature)

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


def _key_on(pc: int, mode: KeyMode, *, near: int) -> Key:
    """The key on pitch class ``pc`` in ``mode`` with the smallest signature."""
    base = (pc % 12) * 7 % 12 + _MODE_FIFTHS[mode]
    options = [s for s in (base - 24, base - 12, base, base + 12) if -7 <= s <= 7]
    sharps = min(options, key=lambda s: (abs(s), s < 0 if near >= 0 else s > 0))
    return Key(pitch_from_fifths(sharps - _MODE_FIFTHS[mode]).name, mode)


def parse_key(text: str) -> Key:
    """Parse a key name: ``"F# minor"``, ``"F#m"``, ``"Bb"``, ``"D dorian"``, ``"Eb maj"``.

    Raises:
        ParseError: Unknown tonic or mode, or a key beyond seven sharps or flats.
    """
    match = _KEY_RE.fullmatch(text)
    if match is None:
        raise ParseError(
            f"key {quote_text(text)}: tonic must be a note name A..G with optional #/b, then a mode"
        )
    tonic, word = match.groups()
    mode = _MODE_WORDS.get(word) or _MODE_WORDS.get(word.lower())
    if mode is None:
        raise ParseError(
            f"key {quote_text(text)}: mode {quote_text(word)} must be one of {', '.join(MODES)}"
        )
    try:
        return Key(parse_pitch_class(tonic).name, mode)
    except MusicError as exc:
        raise ParseError(f"key {quote_text(text)}: {exc}") from exc
