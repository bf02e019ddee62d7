"""The chord API: what could come next, and whole progressions, in the song's key and meter.

Both functions read the song's chord lane as roman numerals in its key (see
:mod:`bandmate.assist.context` for keyless and modal songs), ask a chord model for the
next numeral and spell the answer as a core :class:`~bandmate.music.chord.Chord` in
that key. Without a seed :func:`suggest_next_chords` is the model's top ``k``; with a
seed it samples ``k`` different chords, and :func:`suggest_progression` samples bar
by bar. The same request with the same seed gives the same answer.

The pop, rock, jazz and blues styles are not a trained model: they are answered from the
written idiom library in :mod:`bandmate.assist.chords.idioms` (its ``model`` argument is
ignored), which matches the song's recent chords against idiomatic progressions and varies
chords with idiomatic extensions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bandmate.assist.chords.idioms import (
    IDIOM_STYLES,
    idiom_style,
    next_numerals,
    progression_numerals,
    vary,
)
from bandmate.assist.chords.predictor import ChordPredictor, ModelName, load_predictor
from bandmate.assist.context import (
    bar_start,
    chord_numerals,
    chords_before,
    model_key,
    position_tick,
    song_key,
)
from bandmate.assist.dataset import STYLES
from bandmate.assist.errors import AssistError
from bandmate.assist.labels import spellable
from bandmate.music.chord import Chord
from bandmate.music.key import Key
from bandmate.music.roman import chord_to_roman, roman_to_chord
from bandmate.music.song import ChordEvent, Song
from bandmate.music.time import TempoMap

MAX_K = 50
MAX_BARS = 256
CHORD_STYLES: tuple[str, ...] = (*STYLES, *IDIOM_STYLES)
"""Every chord style: the trained ones (bach, monteverdi), then the idiom library's."""


@dataclass(frozen=True, slots=True)
class ChordSuggestion:
    """One suggested next chord.

    Attributes:
        chord: The chord, spelled in the song's key.
        roman: Its roman numeral in the song's key (``"V65"``, ``"V7/V"``).
        probability: The model's probability for it at the requested temperature,
            renormalized over the chords it may suggest (0..1).
    """

    chord: Chord
    roman: str
    probability: float


def _check_temperature(temperature: float) -> None:
    if not (math.isfinite(temperature) and temperature > 0):
        raise AssistError(f"temperature={temperature} must be a finite number > 0")


def _candidates(
    predictor: ChordPredictor, ids: list[int], key: Key, *, model: ModelName, temperature: float
) -> tuple[list[str], np.ndarray]:
    """Numerals the model may suggest next (spellable in ``key``, not the current chord),
    and their probabilities at ``temperature``, summing to 1."""
    probs = predictor.distribution(ids, model=model)
    tokens, weights = [], []
    last = ids[-1] if len(ids) > 2 else None
    ok = spellable(predictor.vocab.tokens, key)
    for i in predictor.numeral_ids:
        if i == last or not ok[i]:
            continue  # the chord that is already sounding is no "next" chord
        tokens.append(predictor.vocab.tokens[i])
        weights.append(probs[i])
    logw = np.log(np.maximum(np.asarray(weights, dtype=np.float64), 1e-300)) / temperature
    w = np.exp(logw - logw.max())
    return tokens, w / w.sum()


def _spell(numeral: str, key: Key) -> Chord:
    return roman_to_chord(numeral, key)


def _route(style: str | None) -> tuple[str | None, str | None]:
    """``(trained style, idiom style)`` for a requested style; at most one is set.

    Raises:
        AssistError: A style neither the model nor the idiom library knows.
    """
    if style is None:
        return None, None
    idiom = idiom_style(style)
    if idiom is not None:
        return None, idiom
    name = style.strip().lower()
    if name in STYLES:
        return name, None
    raise AssistError(f"style={style!r} must be one of {', '.join(CHORD_STYLES)} (or None)")


def _pick(probs: np.ndarray, k: int, seed: int | None) -> tuple[np.ndarray, np.random.Generator]:
    """The top ``k`` indices, or ``k`` sampled without replacement with a seed."""
    rng = np.random.default_rng(seed)
    if seed is None:
        return np.argsort(-probs, kind="stable")[:k], rng
    gumbel = np.log(np.maximum(probs, 1e-300)) + rng.gumbel(size=len(probs))  # Gumbel top-k
    return np.argsort(-gumbel, kind="stable")[:k], rng


def suggest_next_chords(
    song: Song,
    *,
    at_tick: int | None = None,
    bar: int | None = None,
    k: int = 5,
    style: str | None = None,
    temperature: float = 1.0,
    seed: int | None = None,
    model: ModelName = "transformer",
) -> list[ChordSuggestion]:
    """Suggest chords that could follow the song's chords at a position.

    Args:
        song: The song; its chord lane before the position is the context.
        at_tick: Suggest for this tick (chords starting before it are context).
        bar: Or for the start of this bar (1-based). Neither: after the last chord.
        k: How many different chords to return (1..50).
        style: A trained style (``"bach"``, ``"monteverdi"``), an idiom-library style
            (``"pop"``, ``"rock"``, ``"jazz"``, ``"blues"``) or ``None`` for any.
        temperature: Above 1 flattens the distribution, below 1 sharpens it.
        seed: ``None`` returns the ``k`` most likely chords; a seed samples ``k``
            different chords (deterministically for that seed), and idiom styles
            also vary them with idiomatic extensions.
        model: ``"transformer"`` (default) or the ``"ngram"`` baseline.

    Returns:
        Up to ``k`` suggestions, most likely first (sampling order with a seed).

    Raises:
        AssistError: Bad arguments, or a song with no key and nothing pitched.
    """
    if not 1 <= k <= MAX_K:
        raise AssistError(f"k={k} must be in 1..{MAX_K}")
    _check_temperature(temperature)
    trained, idiom = _route(style)
    key = song_key(song)
    inner = model_key(key)
    tick = position_tick(song, at_tick=at_tick, bar=bar)
    context = [c.chord for c in chords_before(song, tick)]
    if idiom is not None:
        pairs = next_numerals(idiom, inner, context, temperature=temperature)
        tokens = [numeral for numeral, _ in pairs]
        probs = np.array([p for _, p in pairs], dtype=np.float64)
    else:
        predictor = load_predictor()
        numerals = chord_numerals(
            context, inner, predictor.vocab, unknown=predictor.vocab.tokens[predictor.unk_id]
        )
        ids = predictor.context_ids(trained, inner.mode, numerals)
        tokens, probs = _candidates(predictor, ids, inner, model=model, temperature=temperature)
    order, rng = _pick(probs, k, seed)
    suggestions = []
    for i in order:
        numeral = tokens[i]
        if idiom is not None and seed is not None:
            numeral = vary(idiom, numeral, rng, temperature=temperature)
        chord = _spell(numeral, inner)
        suggestions.append(ChordSuggestion(chord, chord_to_roman(chord, key), float(probs[i])))
    return suggestions


def suggest_progression(
    song_or_key: Song | Key,
    *,
    bars: int = 8,
    start_bar: int | None = None,
    style: str | None = None,
    temperature: float = 1.0,
    seed: int | None = None,
    model: ModelName = "transformer",
) -> list[ChordEvent]:
    """Write a progression, one chord per bar, continuing the song's chords.

    Args:
        song_or_key: A song (its key, meter, resolution and chords are used) or just
            a key (a new 4/4 song at 480 ticks per quarter).
        bars: How many bars to fill (1..256).
        start_bar: The first bar to fill (1-based); default: the bar after the last
            chord, or bar 1 when the song has none. Chords before it are context.
        style: A trained style (``"bach"``, ``"monteverdi"``), an idiom-library style
            (``"pop"``, ``"rock"``, ``"jazz"``, ``"blues"``) or ``None`` for any.
        temperature: Above 1 is more adventurous, below 1 more conventional.
        seed: The same seed gives the same progression; ``None`` is a fresh one.
        model: ``"transformer"`` (default) or the ``"ngram"`` baseline.

    Returns:
        ``bars`` chord events, each starting on its bar's first tick and lasting the bar.

    Raises:
        AssistError: Bad arguments, or a song with no key and nothing pitched.
    """
    if not 1 <= bars <= MAX_BARS:
        raise AssistError(f"bars={bars} must be in 1..{MAX_BARS}")
    _check_temperature(temperature)
    trained, idiom = _route(style)
    song = Song(key=song_or_key) if isinstance(song_or_key, Key) else song_or_key
    key = song_key(song)
    inner = model_key(key)
    tempo_map = TempoMap.from_song(song)
    if start_bar is None:
        start_bar = tempo_map.bar_at(song.chords[-1].end - 1) + 1 if song.chords else 1
    tick = bar_start(song, start_bar)
    if idiom is not None:
        written = progression_numerals(
            idiom, inner, bars, seed=seed, temperature=temperature,
            context=[c.chord for c in chords_before(song, tick)],
        )  # fmt: skip
        return [
            ChordEvent(tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar), _spell(n, inner))
            for bar, n in zip(range(start_bar, start_bar + bars), written, strict=True)
        ]
    predictor = load_predictor()
    unknown = predictor.vocab.tokens[predictor.unk_id]
    numerals = chord_numerals(
        [c.chord for c in chords_before(song, tick)], inner, predictor.vocab, unknown=unknown
    )
    rng = np.random.default_rng(seed)
    events = []
    for bar in range(start_bar, start_bar + bars):
        ids = predictor.context_ids(trained, inner.mode, numerals)
        tokens, probs = _candidates(predictor, ids, inner, model=model, temperature=temperature)
        numeral = tokens[int(rng.choice(len(tokens), p=probs))]
        numerals.append(numeral)
        events.append(
            ChordEvent(
                tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar), _spell(numeral, inner)
            )
        )
    return events
