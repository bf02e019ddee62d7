"""Roman numerals: chords named by scale degree in a key, both ways.

Case gives the third (``V`` major, ``ii`` minor), markers the rest (``vii°``
diminished, ``viiø7`` half-diminished, ``III+`` augmented, ``Imaj7``).
Inversions use figured bass (``I6``, ``I64``, ``V65``, ``V43``, ``V42``);
other basses are written as a note after a slash (``Iadd9/D``). Secondary
chords name their target (``V7/V``, ``vii°7/ii``) and borrowed chords an
accidental (``bVI``, ``bVII``, ``bII6``, also spelled ``N6``).

In a minor key the third, sixth and seventh degrees come in two forms. The
plain numeral means the natural-minor form (``III`` is Eb, ``VI`` is Ab in C
minor), except that minor and diminished chords on 6 and 7 take the raised
form (``vii°`` is B, ``vi°`` is A). There ``b`` picks the natural form and
``#`` the raised one, so ``bVII`` is the same chord as ``VII`` and ``#VII`` is
B major. Elsewhere an accidental moves a degree of the major scale, as
modal harmony is usually written: D dorian is i ii bIII IV v vi° bVII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bandmate.errors import MusicError, ParseError
from bandmate.music.chord import Chord, ChordQuality, format_tensions, parse_chord
from bandmate.music.interval import interval_between
from bandmate.music.key import Key, KeyMode
from bandmate.music.pitch import Pitch, parse_pitch_class, quote_text
from bandmate.music.scale import Scale

_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_TRIAD_FIGURES = ("", "6", "64")
_SEVENTH_FIGURES = ("7", "65", "43", "42")

# chord quality -> (lower-case numeral, marker, "triad" | "seventh" | other token)
_FORMS: dict[ChordQuality, tuple[bool, str, str]] = {
    "": (False, "", "triad"),
    "m": (True, "", "triad"),
    "dim": (True, "°", "triad"),
    "aug": (False, "+", "triad"),
    "7": (False, "", "seventh"),
    "m7": (True, "", "seventh"),
    "maj7": (False, "maj", "seventh"),
    "mMaj7": (True, "maj", "seventh"),
    "m7b5": (True, "ø", "seventh"),
    "dim7": (True, "°", "seventh"),
    "sus2": (False, "", "sus2"),
    "sus4": (False, "", "sus4"),
    "5": (False, "", "5"),
    "6": (False, "", "add6"),
    "m6": (True, "", "add6"),
    "6/9": (False, "", "69"),
    "m6/9": (True, "", "69"),
    "7sus4": (False, "", "7sus4"),
    "9sus4": (False, "", "9sus4"),
    "9": (False, "", "9"),
    "m9": (True, "", "9"),
    "maj9": (False, "maj", "9"),
    "11": (False, "", "11"),
    "m11": (True, "", "11"),
    "13": (False, "", "13"),
    "m13": (True, "", "13"),
    "maj13": (False, "maj", "13"),
}
_QUALITY_OF_FORM = {form: quality for quality, form in _FORMS.items()}
_CASELESS = ("sus2", "sus4", "5", "7sus4", "9sus4")  # no third, so case is free
_DOMINANTS = ("", "7", "9", "13")
_LEADING_TONES = ("dim", "dim7", "m7b5")

_NUMERAL_RE = re.compile(r"(b+|#+)?([IVXivx]+)(.*)")
_BODY_RE = re.compile(
    r"(°|o|ø|\+|maj|M|Δ)?"
    r"(7sus4|9sus4|sus2|sus4|add6|69|64|65|43|42|13|11|9|7|6|5|2)?"
    r"((?:add(?:2|4|9|11|13))*(?:\([^()]*\))?)"
)
_MARKERS = {"°": "°", "o": "°", "ø": "ø", "+": "+", "maj": "maj", "M": "maj", "Δ": "maj"}
MAX_NUMERAL_LENGTH = 64


@dataclass(frozen=True, slots=True)
class _Context:
    """A tonal centre: the key itself or a tonicized degree (any spelling)."""

    tonic: Pitch
    mode: KeyMode

    def degree_note(self, degree: int) -> Pitch:
        """The degree in the mode's own scale."""
        return Scale(self.tonic.name, self.mode).pitches[degree - 1]

    def reference_note(self, degree: int) -> Pitch:
        """The degree that an unaltered numeral names (major scale for church modes)."""
        minor = self.mode == "minor"
        return Scale(self.tonic.name, "minor" if minor else "major").pitches[degree - 1]

    def raised(self, degree: int) -> bool:
        return self.mode == "minor" and degree in (3, 6, 7)

    def diatonic_names(self) -> set[str]:
        names = set(Scale(self.tonic.name, self.mode).notes)
        if self.mode == "minor":  # melodic and harmonic minor raise 6 and 7
            names |= {_shift(self.degree_note(d), 1).name for d in (6, 7)}
        return names


def _shift(pitch: Pitch, semitones: int) -> Pitch:
    return Pitch(pitch.letter, pitch.accidental + semitones)


def _context_of(key: Key) -> _Context:
    return _Context(parse_pitch_class(key.tonic), key.mode)


def _root_of(ctx: _Context, accidental: int, degree: int, lower: bool) -> Pitch:
    """The root named by an accidental, a degree and a case in ``ctx``."""
    shift = accidental
    if ctx.raised(degree):
        default = 1 if lower and degree != 3 else 0
        shift = default if accidental == 0 else accidental + 1 if accidental < 0 else accidental
    return _shift(ctx.reference_note(degree), shift)


def _accidental_of(ctx: _Context, root: Pitch, lower: bool) -> tuple[int, int]:
    """The (accidental, degree) that :func:`_root_of` turns back into ``root``."""
    degree = (root.step - ctx.tonic.step) % 7 + 1
    delta = root.accidental - ctx.reference_note(degree).accidental
    if not ctx.raised(degree):
        return delta, degree
    default = 1 if lower and degree != 3 else 0
    return (0 if delta == default else delta - 1 if delta <= 0 else delta), degree


def _core(chord: Chord) -> list[str]:
    """The chord's root, third, fifth and seventh (first of each number)."""
    by_number: dict[int, str] = {}
    for interval, name in zip(chord.intervals, chord.tones, strict=True):
        if interval.number in (1, 3, 5, 7):
            by_number.setdefault(interval.number, name)
    return list(by_number.values())


def _format(chord: Chord, ctx: _Context) -> tuple[str, str | None]:
    """The numeral for ``chord`` in ``ctx`` (no secondary), and a slash bass if needed."""
    lower, marker, family = _FORMS[chord.quality]
    accidental, degree = _accidental_of(ctx, parse_pitch_class(chord.root), lower)
    numeral = _NUMERALS[degree - 1].lower() if lower else _NUMERALS[degree - 1]
    prefix = ("#" if accidental > 0 else "b") * abs(accidental)
    figures = {"triad": _TRIAD_FIGURES, "seventh": _SEVENTH_FIGURES}.get(family, (family,))
    core = _core(chord)
    position = core.index(chord.bass) if chord.bass in core else 0
    bass = None
    if chord.bass is not None and not 0 < position < len(figures):
        bass, position = chord.bass, 0
    text = prefix + numeral + marker + figures[position] + format_tensions(chord)
    return text, bass


def chord_to_roman(chord: Chord, key: Key) -> str:
    """Name a chord by its degree in ``key``: G7/B in C major is ``V65``.

    Chromatic dominant and leading-tone chords that resolve to a major or
    minor degree of the key are written as secondary chords (D7 -> ``V7/V``);
    other chromatic chords get an accidental (Ab in C major -> ``bVI``).
    """
    ctx = _context_of(key)
    root = parse_pitch_class(chord.root)
    on_tonic_triad = root == ctx.tonic and _FORMS[chord.quality][2] == "triad"
    if not on_tonic_triad and not _is_diatonic(chord, ctx):
        secondary = _format_secondary(chord, ctx)
        if secondary is not None:
            return secondary
    text, bass = _format(chord, ctx)
    return text if bass is None else f"{text}/{bass}"


def _is_diatonic(chord: Chord, ctx: _Context) -> bool:
    return set(_core(chord)) <= ctx.diatonic_names()


def _format_secondary(chord: Chord, ctx: _Context) -> str | None:
    if chord.quality in _DOMINANTS:
        wanted = 5
    elif chord.quality in _LEADING_TONES:
        wanted = 7
    else:
        return None
    lower = _FORMS[chord.quality][0]
    for degree in range(2, 8):
        target = ctx.degree_note(degree)
        mode = _triad_mode(ctx, degree)
        if mode is None:
            continue
        inner = _Context(target, mode)
        accidental, found = _accidental_of(inner, parse_pitch_class(chord.root), lower)
        if accidental == 0 and found == wanted:
            text, bass = _format(chord, inner)
            target_text, _ = _format(Chord(target.name, "" if mode == "major" else "m"), ctx)
            text = f"{text}/{target_text}"
            return text if bass is None else f"{text}/{bass}"
    return None


def _triad_mode(ctx: _Context, degree: int) -> KeyMode | None:
    """The mode a degree's triad tonicizes (V in minor counts as major), or None."""
    if ctx.mode == "minor" and degree == 5:
        return "major"
    root, third, fifth = (ctx.degree_note((degree + i - 1) % 7 + 1) for i in (0, 2, 4))
    if interval_between(root, fifth).semitones != 7:
        return None
    return "major" if interval_between(root, third).semitones == 4 else "minor"


def roman_to_chord(numeral: str, key: Key) -> Chord:
    """Build the chord a roman numeral names in ``key``: ``V7/V`` in C is D7.

    Raises:
        ParseError: The numeral is malformed; the message names the part.
    """
    text = numeral.strip()
    shown = quote_text(text)
    if not text:
        raise ParseError(f"roman numeral {shown}: must not be empty")
    if len(text) > MAX_NUMERAL_LENGTH:
        raise ParseError(f"roman numeral {shown}: must be at most {MAX_NUMERAL_LENGTH} characters")
    text = re.sub(r"^N(?=6|64|/|$)", "bII", text)  # the Neapolitan
    parts = text.split("/")
    bass = parts.pop() if len(parts) > 1 and parts[-1][:1] in "ABCDEFG" else None
    ctx = _context_of(key)
    try:
        for target in reversed(parts[1:]):
            ctx = _tonicize(target, ctx, shown)
        chord, position = _build(parts[0], ctx, shown)
        if bass is not None:
            if position:
                raise ParseError(f"roman numeral {shown}: use a figure or a bass, not both")
            return Chord(chord.root, chord.quality, chord.added, chord.alterations, bass)
    except ParseError:
        raise
    except MusicError as exc:
        raise ParseError(f"roman numeral {shown}: {exc}") from exc
    if position:
        bass = _core(chord)[position]
        return Chord(chord.root, chord.quality, chord.added, chord.alterations, bass)
    return chord


def _tonicize(text: str, ctx: _Context, shown: str) -> _Context:
    chord, position = _build(text, ctx, shown)
    if chord.quality not in ("", "m") or position or chord.added or chord.alterations:
        raise ParseError(
            f"roman numeral {shown}: target {text!r} must be a plain major or minor numeral"
        )
    return _Context(parse_pitch_class(chord.root), "major" if chord.quality == "" else "minor")


def _build(text: str, ctx: _Context, shown: str) -> tuple[Chord, int]:
    """The root-position chord a numeral (no slash) names, and its inversion."""
    match = _NUMERAL_RE.fullmatch(text)
    if (
        match is None
        or match.group(2).upper() not in _NUMERALS
        or not (match.group(2).isupper() or match.group(2).islower())
    ):
        raise ParseError(
            f"roman numeral {shown}: numeral must be one of I..VII "
            "(upper case major, lower case minor), after an optional b or #"
        )
    signs, roman, rest = match.groups()
    accidental = len(signs or "") * (-1 if (signs or "#")[0] == "b" else 1)
    lower, degree = roman.islower(), _NUMERALS.index(roman.upper()) + 1
    body = _BODY_RE.fullmatch(rest)
    if body is None:
        raise ParseError(
            f"roman numeral {shown}: {rest!r} after {roman!r} must be a marker (°, ø, +, maj), "
            "a figure (6, 64, 7, 65, 43, 42) or a chord suffix (9, sus4, add9, (b9))"
        )
    marker, figure, tail = _MARKERS.get(body.group(1) or "", ""), body.group(2) or "", body.group(3)
    quality, position = _quality_of(lower, marker, figure, shown)
    root = _root_of(ctx, accidental, degree, lower)
    try:
        chord = parse_chord(root.name + quality + tail)
    except ParseError as exc:
        raise ParseError(f"roman numeral {shown}: {exc}") from exc
    return chord, position


def _quality_of(lower: bool, marker: str, figure: str, shown: str) -> tuple[ChordQuality, int]:
    figure = "42" if figure == "2" else figure
    if marker == "ø" and figure == "":
        figure = "7"
    for family, figures in (("triad", _TRIAD_FIGURES), ("seventh", _SEVENTH_FIGURES)):
        if figure in figures:
            form = (lower, marker, family)
            position = figures.index(figure)
            break
    else:
        form, position = (lower and figure not in _CASELESS, marker, figure), 0
    if form not in _QUALITY_OF_FORM:
        case = "a lower" if lower else "an upper"
        raise ParseError(
            f"roman numeral {shown}: {marker or 'no marker'} with figure {figure or 'none'!r} "
            f"names no chord on {case}-case numeral"
        )
    return _QUALITY_OF_FORM[form], position
