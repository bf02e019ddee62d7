"""Chords: symbols such as ``Am7``, ``F#m7b5/E``, ``G7(b9)`` or ``Bbmaj9(#11)``.

A :class:`Chord` is a spelled root, a quality, added tones, altered tones and
an optional bass. :func:`parse_chord` reads the usual spellings of a symbol
(``Cm(maj7)``, ``CmMaj7`` and ``C-Δ7`` are one chord) and ``str`` prints the
canonical one, which parses back to the same chord. Alterations always print
in parentheses so that ``C(b5)`` is never read as ``Cb5``.

Voicing (MIDI pitches for a chord) lives here too: :func:`voice_chord` builds
close, open, drop-2 and spread voicings, and :func:`voice_lead` picks the one
nearest to the previous chord.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from bandmate.errors import MusicError, ParseError
from bandmate.music.interval import Interval, add_interval, interval_between, parse_interval
from bandmate.music.key import Key
from bandmate.music.pitch import parse_pitch_class, quote_text, spell_pc

ChordQuality = Literal[
    "", "m", "dim", "aug", "sus2", "sus4", "5", "6", "m6", "6/9", "m6/9",
    "7", "maj7", "m7", "mMaj7", "m7b5", "dim7", "7sus4",
    "9", "maj9", "m9", "9sus4", "11", "m11", "13", "maj13", "m13",
]  # fmt: skip
AddedTone = Literal["2", "4", "9", "11", "13"]
Alteration = Literal["b5", "#5", "b9", "#9", "#11", "b13"]
VoicingStyle = Literal["close", "open", "drop2", "spread"]

_QUALITY_TONES: dict[ChordQuality, str] = {
    "": "P1 M3 P5", "m": "P1 m3 P5", "dim": "P1 m3 d5", "aug": "P1 M3 A5",
    "sus2": "P1 M2 P5", "sus4": "P1 P4 P5", "5": "P1 P5",
    "6": "P1 M3 P5 M6", "m6": "P1 m3 P5 M6", "6/9": "P1 M3 P5 M6 M9", "m6/9": "P1 m3 P5 M6 M9",
    "7": "P1 M3 P5 m7", "maj7": "P1 M3 P5 M7", "m7": "P1 m3 P5 m7", "mMaj7": "P1 m3 P5 M7",
    "m7b5": "P1 m3 d5 m7", "dim7": "P1 m3 d5 d7", "7sus4": "P1 P4 P5 m7",
    "9": "P1 M3 P5 m7 M9", "maj9": "P1 M3 P5 M7 M9", "m9": "P1 m3 P5 m7 M9",
    "9sus4": "P1 P4 P5 m7 M9", "11": "P1 M3 P5 m7 M9 P11", "m11": "P1 m3 P5 m7 M9 P11",
    "13": "P1 M3 P5 m7 M9 M13", "maj13": "P1 M3 P5 M7 M9 M13", "m13": "P1 m3 P5 m7 M9 P11 M13",
}  # fmt: skip
QUALITIES: tuple[ChordQuality, ...] = tuple(_QUALITY_TONES)
ADDED_TONES: tuple[AddedTone, ...] = ("2", "4", "9", "11", "13")
ALTERATIONS: tuple[Alteration, ...] = ("b5", "#5", "b9", "#9", "#11", "b13")

_ADDED_OF: dict[str, AddedTone] = {t: t for t in ADDED_TONES}
_ALTERATION_OF: dict[str, Alteration] = {a: a for a in ALTERATIONS}
_QUALITY_INTERVALS = {
    quality: tuple(parse_interval(name) for name in names.split())
    for quality, names in _QUALITY_TONES.items()
}
_TONE_INTERVALS = {
    "2": "M2", "4": "P4", "9": "M9", "11": "P11", "13": "M13",  # added tones
    "b5": "d5", "#5": "A5", "b9": "m9", "#9": "A9", "#11": "A11", "b13": "m13",  # alterations
}  # fmt: skip
_TONE_INTERVAL = {tone: parse_interval(name) for tone, name in _TONE_INTERVALS.items()}

# Other accepted spellings of each quality; "+7" and friends also imply a raised fifth.
_ALIAS_GROUPS: tuple[tuple[str, ChordQuality, tuple[Alteration, ...]], ...] = (
    ("M maj", "", ()),
    ("min mi -", "m", ()),
    ("° o", "dim", ()),
    ("+", "aug", ()),
    ("sus", "sus4", ()),
    ("69", "6/9", ()),
    ("m69 min6/9 min69 -6/9 -69", "m6/9", ()),
    ("min6 -6", "m6", ()),
    ("M7 Maj7 ma7 Δ Δ7 ^ ^7", "maj7", ()),
    ("min7 mi7 -7", "m7", ()),
    ("mM7 mmaj7 m(maj7) m(M7) minmaj7 min(maj7) -maj7 -Δ7 mΔ7 mΔ", "mMaj7", ()),
    ("ø ø7 -7b5 min7b5 mi7b5", "m7b5", ()),
    ("°7 o7", "dim7", ()),
    ("7sus", "7sus4", ()),
    ("M9 Maj9 Δ9", "maj9", ()),
    ("min9 -9", "m9", ()),
    ("9sus", "9sus4", ()),
    ("min11 -11", "m11", ()),
    ("M13 Maj13 Δ13", "maj13", ()),
    ("min13 -13", "m13", ()),
    ("+7 aug7 7+", "7", ("#5",)),
    ("+maj7 augmaj7 +M7 maj7+", "maj7", ("#5",)),
)
_ALIASES: dict[str, tuple[ChordQuality, tuple[Alteration, ...]]] = {q: (q, ()) for q in QUALITIES}
_ALIASES.update(
    (name, (quality, implied))
    for names, quality, implied in _ALIAS_GROUPS
    for name in names.split()
)
_ALIASES_LONGEST_FIRST = sorted(_ALIASES, key=len, reverse=True)

MAX_SYMBOL_LENGTH = 64
_ROOT_RE = re.compile(r"[A-G](?:##|#|bb|b|♯♯|♯|♭♭|♭)?")
_SLASH_RE = re.compile(r"(.*)/([A-G](?:##|#|bb|b|♯♯|♯|♭♭|♭)?)")
_TAIL_RE = re.compile(r"add(2|4|9|11|13)|([b#♭♯])(5|9|11|13)|\(([^()]*)\)")
_PAREN_TOKEN_RE = re.compile(r"(?:add)?(2|4|9|11|13)|([b#♭♯])(5|9|11|13)")


@dataclass(frozen=True, slots=True)
class Chord:
    """A chord symbol.

    Attributes:
        root: The spelled root, e.g. ``"F#"`` (normalized, at most two accidentals).
        quality: One of :data:`QUALITIES`: ``""`` (major), ``"m"``, ``"7"``, ``"m7b5"``, ...
        added: Tones added to the quality (``"9"`` for ``add9``), sorted.
        alterations: Altered fifths and tensions (``"b9"``, ``"#11"``), sorted; each
            replaces the unaltered tone of the same number if the quality has it.
        bass: The bass note of a slash chord, or ``None`` (also when it equals the root).
    """

    root: str
    quality: ChordQuality = ""
    added: tuple[AddedTone, ...] = ()
    alterations: tuple[Alteration, ...] = ()
    bass: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", _normalize_name("chord root", self.root))
        if self.quality not in _QUALITY_TONES:
            raise MusicError(f"chord quality={self.quality!r} must be one of {QUALITIES}")
        for name, allowed in (("added", ADDED_TONES), ("alterations", ALTERATIONS)):
            values = tuple(getattr(self, name))
            for value in values:
                if value not in allowed:
                    raise MusicError(f"chord {name} value={value!r} must be one of {allowed}")
            object.__setattr__(self, name, tuple(v for v in allowed if v in values))
        if self.bass is not None:
            bass = _normalize_name("chord bass", self.bass)
            object.__setattr__(self, "bass", None if bass == self.root else bass)

    @property
    def intervals(self) -> tuple[Interval, ...]:
        """The chord tones as intervals above the root, lowest number first."""
        tones = list(_QUALITY_INTERVALS[self.quality])
        for alteration in self.alterations:
            interval = _TONE_INTERVAL[alteration]
            plain = [t for t in tones if t.number == interval.number and t.quality in ("P", "M")]
            tones = [t for t in tones if t not in plain]
            if interval not in tones:
                tones.append(interval)
        for added in self.added:
            interval = _TONE_INTERVAL[added]
            if all(t.number != interval.number for t in tones):
                tones.append(interval)
        return tuple(sorted(tones, key=lambda t: (t.number, t.semitones)))

    @property
    def tones(self) -> tuple[str, ...]:
        """Spelled chord tones from the root up: ``F#m7b5`` is F# A C E.

        The bass of a slash chord is not listed unless it is a chord tone.
        """
        root = parse_pitch_class(self.root)
        return tuple(add_interval(root, interval).name for interval in self.intervals)

    @property
    def root_pc(self) -> int:
        """The root's pitch class."""
        return parse_pitch_class(self.root).pc

    @property
    def bass_pc(self) -> int:
        """The pitch class of the lowest note: the bass of a slash chord, else the root."""
        return parse_pitch_class(self.bass or self.root).pc

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """The distinct pitch classes sounding, bass first: ``D/F#`` is (6, 2, 9)."""
        pcs = [self.bass_pc] + [(self.root_pc + i.semitones) % 12 for i in self.intervals]
        return tuple(dict.fromkeys(pcs))

    def __str__(self) -> str:
        symbol = self.root + self.quality + format_tensions(self)
        return symbol if self.bass is None else f"{symbol}/{self.bass}"


def format_tensions(chord: Chord) -> str:
    """The part of a chord symbol after the quality and before the bass: ``add9(b9,#11)``."""
    text = "".join(f"add{tone}" for tone in chord.added)
    return text + (f"({','.join(chord.alterations)})" if chord.alterations else "")


def _normalize_name(field: str, name: str) -> str:
    try:
        pitch = parse_pitch_class(name)
    except ParseError as exc:
        raise MusicError(f"{field}={name!r} must be a note name such as 'F#' or 'Bb'") from exc
    if abs(pitch.accidental) > 2:
        raise MusicError(f"{field}={name!r} must have at most two sharps or flats")
    return pitch.name


def parse_chord(symbol: str) -> Chord:
    """Parse a chord symbol such as ``"F#m7b5/E"``, ``"G7(b9)"``, ``"C6/9"`` or ``"Cø7"``.

    Raises:
        ParseError: The symbol is empty, too long, or not a chord symbol; the
            message names the part that failed.
    """
    text = symbol.strip()
    shown = quote_text(text)
    if not text:
        raise ParseError(f"chord symbol {shown}: must not be empty")
    if len(text) > MAX_SYMBOL_LENGTH:
        raise ParseError(
            f"chord symbol {shown} ({len(text)} chars): must be at most "
            f"{MAX_SYMBOL_LENGTH} characters"
        )
    root_match = _ROOT_RE.match(text)
    if root_match is None:
        raise ParseError(f"chord symbol {shown}: root must be one of A..G")
    body, bass = text[root_match.end() :], None
    slash = _SLASH_RE.fullmatch(body)
    if slash is not None:
        body, bass = slash.group(1), parse_pitch_class(slash.group(2)).name
    elif "/" in body.replace("6/9", ""):
        raise ParseError(f"chord symbol {shown}: bass after '/' must be a note A..G")
    quality_name = next(a for a in _ALIASES_LONGEST_FIRST if body.startswith(a))
    quality, implied = _ALIASES[quality_name]
    added, alterations = _parse_tensions(body[len(quality_name) :], shown)
    root = parse_pitch_class(root_match.group()).name
    return Chord(root, quality, tuple(added), implied + tuple(alterations), bass)


def _parse_tensions(text: str, shown: str) -> tuple[list[AddedTone], list[Alteration]]:
    added: list[AddedTone] = []
    alterations: list[Alteration] = []

    def take(number: str | None, sign: str | None, tone: str | None) -> None:
        if number is not None:
            added.append(_ADDED_OF[number])
            return
        name = ("b" if sign in ("b", "♭") else "#") + str(tone)
        if name not in _ALTERATION_OF:
            raise ParseError(
                f"chord symbol {shown}: alteration {name!r} must be one of {', '.join(ALTERATIONS)}"
            )
        alterations.append(_ALTERATION_OF[name])

    pos = 0
    while pos < len(text):
        match = _TAIL_RE.match(text, pos)
        if match is None:
            raise ParseError(
                f"chord symbol {shown}: {text[pos:]!r} must be a quality (m, 7, maj7, dim, "
                "sus4, ...), an alteration (b9, #11) or an added tone (add9)"
            )
        if match.group(4) is not None:
            for token in filter(None, re.split(r"[,\s]+", match.group(4))):
                inner = _PAREN_TOKEN_RE.fullmatch(token)
                if inner is None:
                    raise ParseError(
                        f"chord symbol {shown}: ({token}) must be an alteration or added tone"
                    )
                take(*inner.groups())
        else:
            take(*match.groups()[:3])
        pos = match.end()
    return added, alterations


def transpose_chord(chord: Chord, semitones: int, *, key: Key | None = None) -> Chord:
    """Transpose a chord by ``semitones``.

    Args:
        chord: The chord to move.
        semitones: Distance, positive is up.
        key: Spell the new root and bass as this key does (E/G# rather than Fb/Ab
            in E major). Without a key the root takes the usual chart spelling
            (C Db D Eb E F F# G Ab A Bb B) and the bass keeps its interval above it.
    """
    if key is not None:
        bass = None if chord.bass is None else key.spell_pc(chord.bass_pc + semitones)
        return replace(chord, root=key.spell_pc(chord.root_pc + semitones), bass=bass)
    root = spell_pc(chord.root_pc + semitones, around=0.5)
    if chord.bass is None:
        return replace(chord, root=root.name)
    try:
        interval = interval_between(parse_pitch_class(chord.root), parse_pitch_class(chord.bass))
        return replace(chord, root=root.name, bass=add_interval(root, interval).name)
    except MusicError:  # the bass would need a triple sharp or flat
        bass = spell_pc(chord.bass_pc + semitones, around=0.5).name
        return replace(chord, root=root.name, bass=bass)


def voice_chord(
    chord: Chord,
    *,
    low: int = 48,
    high: int = 72,
    inversion: int = 0,
    style: VoicingStyle = "close",
) -> tuple[int, ...]:
    """Return MIDI pitches for a chord, lowest first, as low as ``low`` allows.

    Args:
        chord: The chord; a slash chord's bass is the lowest note.
        low: Lowest allowed MIDI pitch.
        high: Highest allowed MIDI pitch.
        inversion: Which chord tone (0 = root, 1 = third, 2 = fifth, ...) is lowest
            (above the bass of a slash chord).
        style: ``"close"`` (all voices within an octave above the lowest),
            ``"open"`` (close, with every second voice up an octave), ``"drop2"``
            (close, with the second voice from the top down an octave) or
            ``"spread"`` (the lowest voice an octave below the others).

    Raises:
        MusicError: Bad range or inversion, or the voicing does not fit in low..high.
    """
    for voicing in _placements(chord, low=low, high=high, inversion=inversion, style=style):
        return voicing
    raise MusicError(
        f"voicing of {str(chord)!r} ({style}, inversion={inversion}) does not fit in "
        f"low={low}..high={high}"
    )


def voice_lead(
    previous: tuple[int, ...] | list[int], chord: Chord, *, low: int = 48, high: int = 72
) -> tuple[int, ...]:
    """Voice ``chord`` with the least total motion from the ``previous`` pitches.

    Every inversion, style and octave within ``low..high`` is tried; with equal
    motion the earlier inversion and style of :func:`voice_chord` wins.

    Raises:
        MusicError: No voicing fits in low..high.
    """
    if not previous:
        return voice_chord(chord, low=low, high=high)
    best: tuple[int, ...] | None = None
    best_cost = 0
    styles: tuple[VoicingStyle, ...] = ("close", "open", "drop2", "spread")
    for inversion in range(len(_upper_pcs(chord))):
        for style in styles:
            for voicing in _placements(chord, low=low, high=high, inversion=inversion, style=style):
                cost = _motion(previous, voicing)
                if best is None or cost < best_cost:
                    best, best_cost = voicing, cost
    if best is None:
        raise MusicError(f"no voicing of {str(chord)!r} fits in low={low}..high={high}")
    return best


def _motion(previous: tuple[int, ...] | list[int], voicing: tuple[int, ...]) -> int:
    old = sorted(previous)
    if len(old) == len(voicing):
        return sum(abs(a - b) for a, b in zip(old, voicing, strict=True))
    there = sum(min(abs(p - q) for q in voicing) for p in old)
    back = sum(min(abs(p - q) for q in old) for p in voicing)
    return there + back


def _upper_pcs(chord: Chord) -> list[int]:
    pcs = list(dict.fromkeys((chord.root_pc + i.semitones) % 12 for i in chord.intervals))
    if chord.bass is not None and chord.bass_pc in pcs and len(pcs) > 2:
        pcs.remove(chord.bass_pc)  # the bass already sounds it
    return pcs


def _placements(
    chord: Chord, *, low: int, high: int, inversion: int, style: VoicingStyle
) -> list[tuple[int, ...]]:
    """All placements of one voicing shape within low..high, lowest first."""
    if not 0 <= low < high <= 127:
        raise MusicError(
            f"voicing range low={low}, high={high} must satisfy 0 <= low < high <= 127"
        )
    pcs = _upper_pcs(chord)
    if not 0 <= inversion < len(pcs):
        raise MusicError(f"inversion={inversion} must be in 0..{len(pcs) - 1} for {chord}")
    order = pcs[inversion:] + pcs[:inversion]
    stack = [order[0], *sorted(order[0] + (pc - order[0]) % 12 for pc in order[1:])]
    shape = _shape_stack(stack, style)
    basses = [b for b in range(low, high + 1) if b % 12 == chord.bass_pc] if chord.bass else [None]
    found = []
    for bass in basses:
        floor = low if bass is None else bass + 1
        start = floor + (shape[0] - floor) % 12
        for shift in range(start - shape[0], high - shape[-1] + 1, 12):
            upper = tuple(p + shift for p in shape)
            found.append(upper if bass is None else (bass, *upper))
    return found


def _shape_stack(stack: list[int], style: VoicingStyle) -> list[int]:
    if style == "open":
        stack = [p + 12 * (i % 2) for i, p in enumerate(stack)]
    elif style == "drop2" and len(stack) >= 3:
        stack = [*stack[:-2], stack[-2] - 12, stack[-1]]
    elif style == "spread" and len(stack) >= 2:
        stack = [stack[0] - 12, *stack[1:]]
    return sorted(stack)
