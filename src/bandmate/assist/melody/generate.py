"""Sampling melodies from the GRU (or its Markov baseline) inside a span of bars.

:func:`sample_melody` writes one note or rest at a time. Before each step it knows the
onset's place in the bar and the chord sounding there (from the song's chord lane), and
it only allows tokens that fit: pitches inside the range, lengths that end inside the
span and last at least one tick at the song's resolution. The model's distribution over
what is allowed is reshaped by the temperature and cut to its top-p nucleus, then sampled
with a seeded generator, so the same seed gives the same notes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from bandmate.assist.cache import cache_dir, corpus_digest
from bandmate.assist.chords.ngram import KneserNey
from bandmate.assist.errors import AssistError
from bandmate.assist.melody.data import load_split
from bandmate.assist.melody.model import MelodyGRU, load_melody
from bandmate.assist.melody.tokens import (
    DURATIONS,
    HIGH_REL,
    LOW_REL,
    UNIT,
    VOCAB,
    chord_vector,
    meter_token,
    mode_token,
    position_bucket,
)
from bandmate.assist.request import ChordLane
from bandmate.music.song import Note
from bandmate.music.time import TempoMap

MelodyModelName = Literal["gru", "markov"]
PRIMER_NOTES = 64
"""At most this many notes of the melody before the span are read as context."""


class MelodyModels:
    """The committed melody GRU and its Markov baseline (cached, see :func:`markov_baseline`)."""

    def __init__(self, model: MelodyGRU, *, ngram_order: int) -> None:
        self.model = model.eval()
        self.ngram_order = ngram_order
        self._ngram: KneserNey | None = None
        self.note_ids = np.arange(VOCAB.first_note, len(VOCAB))
        meanings = [VOCAB.meaning(int(i)) for i in self.note_ids]
        self.rels = np.array([m.rel if m.rel is not None else 0 for m in meanings])  # (N,)
        self.is_rest = np.array([m.rel is None for m in meanings])  # (N,)
        self.durations = np.array([m.duration for m in meanings])  # (N,) in 24ths

    @property
    def ngram(self) -> KneserNey:
        """The Markov baseline: loaded from the cache, or fitted (and cached) on first use."""
        if self._ngram is None:
            self._ngram = markov_baseline(self.ngram_order)
        return self._ngram


def markov_cache_path(order: int) -> Path:
    """Where the fitted Markov baseline of this corpus and ``order`` is cached."""
    digest = corpus_digest(("melodies.json.gz", "melody_manifest.json"), order, VOCAB.tokens)
    return cache_dir() / f"melody-markov-{digest}.npz"


def markov_baseline(order: int, *, refit: bool = False) -> KneserNey:
    """The melody Markov baseline fitted on the training split, cached between processes.

    Args:
        order: The n-gram order (the one saved with the GRU's weights).
        refit: Fit anew and overwrite the cache (``scripts/train_melody.py`` does).
    """
    path = markov_cache_path(order)
    if path.exists() and not refit:
        try:
            return KneserNey.load(path)
        except AssistError:
            pass  # a truncated or foreign file: fit again and replace it
    model = KneserNey(len(VOCAB), order=order).fit([t.ids for t in load_split("train")])
    with contextlib.suppress(OSError):  # a read-only data folder: it works, only uncached
        model.save(path)
    return model


@cache
def load_melody_models(path: Path | None = None) -> MelodyModels:
    """Load (once per path) the committed melody model."""
    where = path or Path(str(resources.files("bandmate.assist") / "weights" / "melody.pt"))
    model, meta = load_melody(where)
    return MelodyModels(model, ngram_order=int(meta["ngram_order"]))


@dataclass(frozen=True, slots=True)
class Setting:
    """Where a melody is written: key, span, range and chords.

    Attributes:
        tonic_pc: The key's tonic pitch class.
        minor: Whether the key is read as minor.
        reference: The MIDI pitch that relative pitch 0 stands for (a tonic).
        start_tick: First tick of the span.
        end_tick: End of the span (exclusive).
        low: Lowest MIDI pitch allowed.
        high: Highest MIDI pitch allowed.
    """

    tonic_pc: int
    minor: bool
    reference: int
    start_tick: int
    end_tick: int
    low: int
    high: int


def _meter_name(tempo_map: TempoMap, tick: int) -> str:
    meter = tempo_map.meter_at(tick)
    return f"{meter.numerator}/{meter.denominator}"


def _nearest_duration(units: float) -> int:
    return min(DURATIONS, key=lambda d: (abs(d - units), d))


def primer_tokens(
    notes: Sequence[Note], setting: Setting, tempo_map: TempoMap
) -> list[tuple[int, int]]:
    """The melody before the span as ``(token id, onset tick)`` steps.

    Overlapping notes keep the highest; gaps become rests; lengths snap to the nearest
    token length; pitches move by octaves into the vocabulary's range.
    """
    ppq = tempo_map.ppq
    before = sorted((n for n in notes if n.start < setting.start_tick), key=lambda n: n.start)
    line: list[Note] = []
    for n in before:
        if line and n.start == line[-1].start:
            if n.pitch > line[-1].pitch:
                line[-1] = n
            continue
        line.append(n)
    line = line[-PRIMER_NOTES:]
    steps: list[tuple[int, int]] = []
    for i, n in enumerate(line):
        nxt = line[i + 1].start if i + 1 < len(line) else setting.start_tick
        length = max(1, min(n.end, nxt) - n.start)
        rel = n.pitch - setting.reference
        while rel > HIGH_REL:
            rel -= 12
        while rel < LOW_REL:
            rel += 12
        token = VOCAB.note_id(rel, _nearest_duration(length * UNIT / ppq))
        assert token is not None  # every snapped length and range-bound pitch has a token
        steps.append((token, n.start))
        gap = nxt - (n.start + length)
        if gap * UNIT >= 3 * ppq:
            rest = VOCAB.note_id(None, _nearest_duration(gap * UNIT / ppq))
            assert rest is not None
            steps.append((rest, n.start + length))
    return steps


def _sample(
    probs: np.ndarray, rng: np.random.Generator, *, temperature: float, top_p: float
) -> int:
    """An index of ``probs`` (which sum to 1), reshaped by temperature and cut by top-p."""
    logp = np.log(np.maximum(probs, 1e-300)) / temperature
    w = np.exp(logp - logp.max())
    w /= w.sum()
    order = np.argsort(-w, kind="stable")
    cumulative = np.cumsum(w[order])
    keep = order[: int(np.searchsorted(cumulative, top_p - 1e-12)) + 1]
    kept = w[keep] / w[keep].sum()
    return int(keep[rng.choice(len(keep), p=kept)])


def sample_melody(
    models: MelodyModels,
    setting: Setting,
    tempo_map: TempoMap,
    lane: ChordLane,
    primer: Sequence[Note],
    rng: np.random.Generator,
    *,
    temperature: float = 1.0,
    top_p: float = 0.95,
    model: MelodyModelName = "gru",
) -> tuple[list[Note], float]:
    """Notes filling ``setting``'s span, and their mean log-probability per note (nats).

    Raises:
        AssistError: Unknown model name, or a range that holds no token.
    """
    if model not in ("gru", "markov"):
        raise AssistError(f"model={model!r} must be 'gru' or 'markov'")
    ppq = tempo_map.ppq
    mode = "minor" if setting.minor else "major"
    prefix_ids = [VOCAB.id(meter_token(_meter_name(tempo_map, setting.start_tick))),
                  VOCAB.id(mode_token(mode))]  # fmt: skip
    pitches = setting.reference + models.rels
    in_range = models.is_rest | ((pitches >= setting.low) & (pitches <= setting.high))
    if not in_range[~models.is_rest].any():
        raise AssistError(f"pitch range {setting.low}..{setting.high} holds no melody note")

    def features(tick: int) -> tuple[int, list[float]]:
        bar = tempo_map.bar_at(tick)
        position = round((tick - tempo_map.bar_start_tick(bar)) * UNIT / ppq)
        chord = lane.at(tick)
        pcs = chord.pitch_classes if chord is not None else None
        return position_bucket(position), chord_vector(pcs, setting.tonic_pc)

    history = list(prefix_ids)
    prefix = torch.tensor([prefix_ids])  # (1, 2)
    state: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    steps = primer_tokens(primer, setting, tempo_map)

    def advance(prev: int, tick: int) -> None:
        nonlocal state, logits
        if model != "gru":
            return
        position, chord = features(tick)
        with torch.inference_mode():
            out, state = models.model(
                torch.tensor([[prev]]),
                torch.tensor([[position]]),
                torch.tensor([[chord]], dtype=torch.float32),
                prefix,
                state,
            )  # (1, 1, V)
        logits = out[0, -1]

    prev = prefix_ids[1]
    for token, tick in steps:
        advance(prev, tick)
        history.append(token)
        prev = token

    notes: list[Note] = []
    total_logp = 0.0
    units = 0  # 24ths of a quarter since the span's start
    span_units = (setting.end_tick - setting.start_tick) * UNIT / ppq
    while True:
        tick = setting.start_tick + round(units * ppq / UNIT)
        remaining = span_units - units
        ends = setting.start_tick + np.rint((units + models.durations) * ppq / UNIT).astype(int)
        allowed = in_range & (models.durations <= remaining + 1e-9) & (ends - tick >= 1)
        if not allowed.any():
            break
        advance(prev, tick)
        if model == "gru":
            assert logits is not None
            full = torch.softmax(logits.double(), dim=-1).numpy()
        else:
            full = models.ngram.distribution(history)
        probs = np.where(allowed, full[models.note_ids], 0.0)
        if probs.sum() <= 0:
            probs = allowed.astype(np.float64)
        probs /= probs.sum()
        choice = _sample(probs, rng, temperature=temperature, top_p=top_p)
        total_logp += float(np.log(max(probs[choice], 1e-300)))
        token = int(models.note_ids[choice])
        duration = int(models.durations[choice])
        if not models.is_rest[choice]:
            accent = 10 if tempo_map.tick_to_bar_beat(tick).beat == 1 else 0
            velocity = int(np.clip(80 + accent + rng.normal(0, 4), 1, 127))
            notes.append(Note(int(pitches[choice]), tick, int(ends[choice]) - tick, velocity))
        history.append(token)
        prev = token
        units += duration
    count = max(1, len(history) - len(prefix_ids) - len(steps))
    return notes, total_logp / count
