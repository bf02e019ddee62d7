"""A written library of pop, rock, jazz and blues chord idioms, with stochastic variation.

No offline corpus of pop, jazz or blues chord progressions ships with our dependencies
(music21's corpus is Bach chorales, Monteverdi and folk tunes), so these styles are not
learned: each is written out by hand as roman-numeral *forms*, one chord a bar, with a
weight for how common it is. ``docs/models/chords.md`` says so plainly.

Two questions are answered from the forms:

* :func:`next_numerals`: what could follow the song's recent chords. The longest suffix
  of the context (up to :data:`MAX_ORDER` chords, repeats merged) is matched against every
  position of every form (loops wrap around), first by root and chord family, then by
  root alone, backing off to shorter suffixes; the weighted continuations are
  interpolated with the style's overall chord frequencies, smoothed, so every candidate
  has a probability and they sum to 1.
* :func:`progression_numerals`: a whole progression of ``bars`` bars, by choosing forms
  (preferring forms whose length divides ``bars``, so 12 bars of blues is one 12-bar
  chorus), often repeating the chosen loop, and varying chords with idiomatic extensions
  (``V7`` -> ``V9``/``V13`` in jazz and blues, ``Imaj7`` -> ``Imaj9``/``I6``...). The same
  seed gives the same progression.

Numerals are written for a major or a minor key (see :mod:`bandmate.music.roman`:
in minor, ``III``, ``VI`` and ``VII`` are the natural-minor chords and ``V`` is major).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np

from bandmate.assist.errors import AssistError
from bandmate.music.chord import Chord, ChordQuality
from bandmate.music.key import Key
from bandmate.music.pitch import parse_pitch_class
from bandmate.music.roman import roman_to_chord

Mode = Literal["major", "minor"]

MAX_ORDER = 4
"""The longest context suffix matched against the forms."""

IDIOM_STYLES: tuple[str, ...] = ("pop", "rock", "jazz", "blues")
"""The chord styles answered from this written library (not a trained model)."""

IDIOM_ALIASES: dict[str, str] = {
    "pop rock": "rock", "pop-rock": "rock", "swing": "jazz", "jazz swing": "jazz",
    "bebop": "jazz", "12-bar": "blues", "12-bar blues": "blues", "twelve bar": "blues",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Idiom:
    """One written chord form.

    Attributes:
        name: What musicians call it (``"I–V–vi–IV"``, ``"12-bar quick change"``).
        mode: The key mode it is written for.
        bars: One roman numeral a bar.
        weight: How common it is in the style, relative to the style's other forms.
        loop: Whether it is played round and round (its last chord leads to its first).
    """

    name: str
    mode: Mode
    bars: tuple[str, ...]
    weight: float
    loop: bool = True


def _forms(mode: Mode, *rows: tuple[str, str, float]) -> tuple[Idiom, ...]:
    return tuple(Idiom(name, mode, tuple(bars.split()), weight) for name, bars, weight in rows)


_BLUES_12 = "I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"
_BLUES_12_QUICK = "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"

LIBRARY: dict[str, tuple[Idiom, ...]] = {
    "pop": _forms(
        "major",
        ("I–V–vi–IV", "I V vi IV", 10),
        ("vi–IV–I–V", "vi IV I V", 7),
        ("V–vi–IV–I", "V vi IV I", 3),
        ("IV–I–V–vi", "IV I V vi", 4),
        ("I–vi–IV–V (fifties)", "I vi IV V", 6),
        ("I–IV–vi–V", "I IV vi V", 4),
        ("I–IV–I–V", "I IV I V", 3),
        ("I–V–IV–V", "I V IV V", 2),
        ("I–iii–IV–V", "I iii IV V", 2),
        ("ii–IV–I–V", "ii IV I V", 2),
        ("IV–V–iii–vi (royal road)", "IVmaj7 V iii7 vi", 2),
        ("canon", "I V vi iii IV I IV V", 3),
        ("I–bVII–IV–I (mixolydian)", "I bVII IV I", 2),
        ("I–IV–iv–I (borrowed iv)", "I IV iv I", 2),
        ("I–bVI–bVII–I", "I bVI bVII I", 2),
    )
    + _forms(
        "minor",
        ("i–VI–III–VII", "i VI III VII", 10),
        ("VI–VII–i–i", "VI VII i i", 4),
        ("i–VII–VI–VII", "i VII VI VII", 4),
        ("i–iv–VII–III", "i iv VII III", 3),
        ("i–VI–VII–i", "i VI VII i", 4),
        ("VI–III–VII–i", "VI III VII i", 3),
        ("i–VII–VI–V (Andalusian)", "i VII VI V", 3),
        ("i–iv–VI–V", "i iv VI V", 2),
        ("i–iv–v–i", "i iv v i", 2),
    ),
    "rock": _forms(
        "major",
        ("I–bVII–IV–I", "I bVII IV I", 8),
        ("I–IV–V–IV", "I IV V IV", 5),
        ("I–IV–I–V", "I IV I V", 4),
        ("I–V–vi–IV", "I V vi IV", 5),
        ("I–bIII–IV–I", "I bIII IV I", 3),
        ("I–bVI–bVII–I", "I bVI bVII I", 4),
        ("I–IV–iv–I (borrowed iv)", "I IV iv I", 2),
        ("I–V–IV–I", "I V IV I", 3),
        ("IV–I–V–V", "IV I V V", 2),
    )
    + _forms(
        "minor",
        ("i–VII–VI–VII", "i VII VI VII", 6),
        ("i–VI–VII–i", "i VI VII i", 6),
        ("i–VI–III–VII", "i VI III VII", 5),
        ("i–III–VII–VI", "i III VII VI", 3),
        ("i–VII–VI–V (Andalusian)", "i VII VI V", 3),
        ("i–iv–VI–VII", "i iv VI VII", 3),
        ("i–iv–i–VII", "i iv i VII", 2),
    ),
    "jazz": _forms(
        "major",
        ("ii–V–I", "ii7 V7 Imaj7 Imaj7", 10),
        ("I–vi–ii–V turnaround", "Imaj7 vi7 ii7 V7", 8),
        ("iii–vi–ii–V", "iii7 vi7 ii7 V7", 6),
        ("I–VI7–ii–V", "Imaj7 V7/ii ii7 V7", 5),
        ("iii–VI7–ii–V", "iii7 V7/ii ii7 V7", 3),
        ("ii–bII7–I (tritone substitution)", "ii7 bII7 Imaj7 Imaj7", 4),
        ("iv7–bVII7–I (backdoor)", "iv7 bVII7 Imaj7 Imaj7", 3),
        ("I–II7–ii–V (secondary dominant)", "Imaj7 V7/V ii7 V7", 3),
        ("II7–V7–I", "V7/V V7 Imaj7 Imaj7", 3),
        ("I–I7–IV–iv", "Imaj7 I7 IVmaj7 iv7", 3),
        (
            "rhythm changes, A section",
            "Imaj7 vi7 ii7 V7 Imaj7 vi7 ii7 V7 Imaj7 I7 IVmaj7 iv7 Imaj7 vi7 ii7 V7",
            3,
        ),
        (
            "jazz blues (ii–V into IV)",
            "I7 IV7 v7 I7 IV7 #iv°7 I7 V7/ii ii7 V7 I7 V7",
            3,
        ),
    )
    + _forms(
        "minor",
        ("minor ii–V–i", "iiø7 V7(b9) i7 i7", 10),
        ("i–iv–ii–V", "i7 iv7 iiø7 V7(b9)", 5),
        ("i–bVI–ii–V", "i7 bVImaj7 iiø7 V7(b9)", 4),
        ("minor turnaround", "i7 VI7 iiø7 V7(b9)", 2),
        ("iv–V–i", "iv7 V7(b9) i7 i7", 3),
    ),
    "blues": _forms(
        "major",
        ("12-bar blues", _BLUES_12, 8),
        ("12-bar blues, quick change", _BLUES_12_QUICK, 8),
        ("12-bar blues, V in bar 10", "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 V7 I7 V7", 3),
        ("12-bar blues, ending", "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 I7", 2),
        ("8-bar blues", "I7 V7 IV7 IV7 I7 V7 I7 V7", 4),
        ("8-bar blues, slow", "I7 I7 IV7 IV7 I7 V7 I7 V7", 3),
    )
    + _forms(
        "minor",
        ("minor blues", "i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7", 8),
        ("minor blues, quick change", "i7 iv7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7", 6),
        ("minor blues, V in bar 9", "i7 iv7 i7 i7 iv7 iv7 i7 i7 V7 iv7 i7 V7", 3),
        ("8-bar minor blues", "i7 i7 iv7 iv7 i7 V7 i7 V7", 3),
    ),
}
"""Every style's forms, major and minor."""

# Idiomatic substitutions: numeral -> (variant, weight); the numeral itself is one variant.
VARIANTS: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "pop": {
        "I": (("I", 8), ("Iadd9", 1), ("Isus2", 1)),
        "IV": (("IV", 8), ("IVmaj7", 1), ("IVadd9", 1)),
        "V": (("V", 8), ("Vsus4", 1), ("V7", 1)),
        "vi": (("vi", 8), ("vi7", 2)),
        "i": (("i", 8), ("i7", 1)),
        "VI": (("VI", 8), ("VImaj7", 1)),
    },
    "rock": {
        "I": (("I", 8), ("Isus4", 1)),
        "V": (("V", 8), ("Vsus4", 1)),
        "IV": (("IV", 8), ("IVsus2", 1)),
    },
    "jazz": {
        "Imaj7": (("Imaj7", 4), ("Imaj9", 2), ("Iadd6", 1), ("I69", 1)),
        "IVmaj7": (("IVmaj7", 3), ("IVmaj9", 1)),
        "ii7": (("ii7", 3), ("ii9", 2), ("ii11", 1)),
        "iii7": (("iii7", 3), ("iii9", 1)),
        "vi7": (("vi7", 3), ("vi9", 1)),
        "V7": (("V7", 3), ("V9", 2), ("V13", 2), ("V7(b9)", 1)),
        "V7/ii": (("V7/ii", 3), ("V7(b9)/ii", 1)),
        "bII7": (("bII7", 3), ("bII9", 1)),
        "bVII7": (("bVII7", 3), ("bVII9", 1)),
        "I7": (("I7", 3), ("I9", 1), ("I13", 1)),
        "IV7": (("IV7", 3), ("IV9", 2)),
        "i7": (("i7", 4), ("iadd6", 2), ("i9", 1)),
        "iv7": (("iv7", 3), ("iv9", 1)),
    },
    "blues": {
        "I7": (("I7", 6), ("I9", 1), ("I13", 1)),
        "IV7": (("IV7", 6), ("IV9", 2)),
        "V7": (("V7", 6), ("V9", 1), ("V13", 1)),
        "i7": (("i7", 6), ("i9", 1)),
        "iv7": (("iv7", 6), ("iv9", 1)),
    },
}

# How often the next form repeats the previous one (pop songs loop their four chords).
REPEAT: dict[str, float] = {"pop": 0.75, "rock": 0.7, "jazz": 0.4, "blues": 0.8}

_FAMILY: dict[ChordQuality, str] = {
    "": "M", "6": "M", "6/9": "M", "maj7": "M", "maj9": "M", "maj13": "M", "sus2": "M",
    "sus4": "M", "5": "M", "m": "m", "m7": "m", "m6": "m", "m6/9": "m", "m9": "m",
    "m11": "m", "m13": "m", "mMaj7": "m", "7": "7", "9": "7", "11": "7", "13": "7",
    "7sus4": "7", "9sus4": "7", "dim": "o", "dim7": "o", "m7b5": "ø", "aug": "+",
}  # fmt: skip

_C_KEYS: dict[Mode, Key] = {"major": Key("C", "major"), "minor": Key("C", "minor")}

Token = tuple[int, str]


def idiom_style(style: str | None) -> str | None:
    """The library style a requested style names (case and aliases folded), or ``None``."""
    if style is None:
        return None
    name = " ".join(style.strip().lower().split())
    name = IDIOM_ALIASES.get(name, name)
    return name if name in IDIOM_STYLES else None


def chord_token(chord: Chord, key: Key) -> Token:
    """A chord as matched against the forms: its root above the tonic and its family."""
    interval = (parse_pitch_class(chord.root).pc - key.tonic_pc) % 12
    return interval, _FAMILY[chord.quality]


def _mode(key: Key) -> Mode:
    return "minor" if key.mode == "minor" else "major"


@dataclass(frozen=True, slots=True)
class _Table:
    numerals: tuple[str, ...]  # the candidates, in library order, one per token
    tokens: tuple[Token, ...]
    sequences: tuple[tuple[tuple[int, ...], float, bool], ...]  # candidate indices, weight, loop
    unigram: np.ndarray


@cache
def _table(style: str, mode: Mode) -> _Table:
    key = _C_KEYS[mode]
    numerals: list[str] = []
    tokens: list[Token] = []
    sequences = []
    for idiom in LIBRARY[style]:
        if idiom.mode != mode:
            continue
        seq: list[int] = []
        for numeral in idiom.bars:
            token = chord_token(roman_to_chord(numeral, key), key)
            if token not in tokens:  # one candidate per root and family: the first spelling
                numerals.append(numeral)
                tokens.append(token)
            index = tokens.index(token)
            if not seq or tokens[seq[-1]] != tokens[index]:
                seq.append(index)
        while idiom.loop and len(seq) > 1 and tokens[seq[0]] == tokens[seq[-1]]:
            seq.pop()
        sequences.append((tuple(seq), idiom.weight, idiom.loop))
    unigram = np.zeros(len(numerals))
    for indices, weight, _ in sequences:
        for i in indices:
            unigram[i] += weight
    return _Table(tuple(numerals), tuple(tokens), tuple(sequences), unigram)


def _continuations(
    table: _Table, context: Sequence[Token], coarse: bool
) -> tuple[np.ndarray, float]:
    """Weighted counts of what follows the longest suffix of ``context`` found in the forms,
    and the share of probability they get (more for a longer match)."""

    def same(a: Token, b: Token) -> bool:
        return a[0] == b[0] if coarse else a == b

    counts = np.zeros(len(table.numerals))
    for n in range(min(len(context), MAX_ORDER), 0, -1):
        suffix = context[-n:]
        for seq, weight, loop in table.sequences:
            length = len(seq)
            if loop and n > length:
                continue
            for j in range(0 if loop else n, length):
                history = [table.tokens[seq[(j - n + i) % length]] for i in range(n)]
                if all(same(h, s) for h, s in zip(history, suffix, strict=True)):
                    counts[seq[j % length]] += weight
        if counts.sum() > 0:
            return counts, 0.9 if n > 1 else 0.8
    return counts, 0.0


def next_numerals(
    style: str, key: Key, context: Sequence[Chord], *, temperature: float = 1.0
) -> list[tuple[str, float]]:
    """What could follow ``context`` in ``style``, most likely first.

    Args:
        style: A library style (see :func:`idiom_style`).
        key: The song's key (major or minor; other modes are read as the nearer one).
        context: The song's chords so far, oldest first.
        temperature: Above 1 flattens the distribution, below 1 sharpens it.

    Returns:
        ``(numeral, probability)`` pairs over every chord of the style in that mode
        except the one already sounding; the probabilities are positive and sum to 1.

    Raises:
        AssistError: Unknown style or a bad temperature.
    """
    table = _table(_library_style(style), _mode(key))
    _check_temperature(temperature)
    tokens: list[Token] = []
    for chord in context:
        token = chord_token(chord, key)
        if not tokens or tokens[-1] != token:
            tokens.append(token)
    found, share = _continuations(table, tokens, coarse=False)
    if share == 0:
        found, share = _continuations(table, tokens, coarse=True)
        share *= 0.75  # a root-only match is weaker evidence
    smoothed = (table.unigram + 0.5) / (table.unigram.sum() + 0.5 * len(table.unigram))
    probs = smoothed if share == 0 else share * found / found.sum() + (1 - share) * smoothed
    keep = [i for i, t in enumerate(table.tokens) if not tokens or t != tokens[-1]]
    weights = np.log(probs[keep]) / temperature
    weights = np.exp(weights - weights.max())
    weights /= weights.sum()
    order = np.argsort(-weights, kind="stable")
    return [(table.numerals[keep[i]], float(weights[i])) for i in order]


def vary(style: str, numeral: str, rng: np.random.Generator, *, temperature: float = 1.0) -> str:
    """An idiomatic variant of ``numeral`` (an extension or colour), chosen with ``rng``."""
    variants = VARIANTS[_library_style(style)].get(numeral)
    if not variants:
        return numeral
    weights = np.array([w for _, w in variants], dtype=np.float64) ** (1 / temperature)
    return variants[int(rng.choice(len(variants), p=weights / weights.sum()))][0]


def progression_numerals(
    style: str,
    key: Key,
    bars: int,
    *,
    seed: int | None = None,
    temperature: float = 1.0,
    context: Sequence[Chord] = (),
) -> list[str]:
    """A progression of ``bars`` bars in ``style``, one numeral a bar.

    Forms whose length divides ``bars`` are preferred (12 bars of blues is one 12-bar
    chorus, 8 bars of pop two four-bar loops). When the song already has chords, the
    first form is weighted by how well its first chord follows them.

    Args:
        style: A library style (see :func:`idiom_style`).
        key: The key (major or minor; other modes are read as the nearer one).
        bars: How many bars (at least 1).
        seed: The same seed gives the same progression; ``None`` a fresh one.
        temperature: Above 1 favours rarer forms and colours, below 1 common ones.
        context: The song's chords before the progression, oldest first.

    Raises:
        AssistError: Unknown style, bad bar count or temperature.
    """
    name = _library_style(style)
    _check_temperature(temperature)
    if bars < 1:
        raise AssistError(f"bars={bars} must be at least 1")
    mode = _mode(key)
    forms = [f for f in LIBRARY[name] if f.mode == mode]
    fitting = [f for f in forms if bars % len(f.bars) == 0] or forms
    weights = np.array([f.weight for f in fitting], dtype=np.float64) ** (1 / temperature)
    if context:
        following = dict(next_numerals(name, key, context, temperature=temperature))
        first = np.array([following.get(f.bars[0], 0.0) for f in fitting])
        weights = weights * (0.25 + first)
    rng = np.random.default_rng(seed)
    numerals: list[str] = []
    current: Idiom | None = None
    while len(numerals) < bars:
        if current is None or rng.random() >= REPEAT[name]:
            current = fitting[int(rng.choice(len(fitting), p=weights / weights.sum()))]
        numerals.extend(vary(name, n, rng, temperature=temperature) for n in current.bars)
    return numerals[:bars]


def _library_style(style: str) -> str:
    name = idiom_style(style)
    if name is None:
        raise AssistError(f"style={style!r} must be one of {', '.join(IDIOM_STYLES)}")
    return name


def _check_temperature(temperature: float) -> None:
    if not (math.isfinite(temperature) and temperature > 0):
        raise AssistError(f"temperature={temperature} must be a finite number > 0")
