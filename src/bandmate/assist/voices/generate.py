"""Harmony voices for a song's melody: one to three new voices under it, note against note.

:func:`suggest_voices` reads the melody (the highest pitched track, or the one asked for),
and writes each new voice one note per melody note, sampled from the GRU (or the Markov
baseline) with the temperature and top-p of the request and a seeded generator. Only
intervals that keep the voice in its range and under the voice above it are allowed (no
crossing). Chord tones on downbeats and half bars are made ``CHORD_BONUS`` times likelier
(half that elsewhere),
so the voices agree with the chord lane (or, in a song without chords, with the chords the
harmonizer hears in the melody, beat by beat), and a parallel fifth or octave with the
melody or the voice above is made ``PARALLEL_PENALTY`` times as likely. One voice is the
voice right under the melody; two are that voice and a bass; three are alto, tenor and bass.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from bandmate.assist.context import model_key, song_key
from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.harmonize import harmonize_melody, melody_track
from bandmate.assist.request import (
    AUTHOR,
    MAX_BARS,
    ChordLane,
    PartRequest,
    PartSuggestion,
    resolve_region,
)
from bandmate.assist.voices.baseline import IntervalMarkov
from bandmate.assist.voices.data import (
    MAX_INTERVAL,
    REST,
    START,
    VOICE_STYLES,
    VoiceStyle,
    load_split,
    step_features,
)
from bandmate.assist.voices.model import VoicesGRU, load_voices
from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.music.time import TempoMap

VoicesModelName = Literal["gru", "markov"]
CHORD_BONUS = 4.0
PARALLEL_PENALTY = 0.1
RANGES = {1: (53, 76), 2: (46, 69), 3: (36, 62)}
"""MIDI range of each depth for a melody in a soprano's range (moved down with the melody)."""
DEPTHS_FOR = {1: (1,), 2: (1, 3), 3: (1, 2, 3)}
NAMES = {1: "alto", 2: "tenor", 3: "bass"}
PROGRAM = 52  # GM choir aahs
MAX_VOICES = 3


class VoicesModels:
    """The committed voices GRU and its Markov baseline (fitted on first use, in a second)."""

    def __init__(self, model: VoicesGRU) -> None:
        self.model = model.eval()
        self._markov: IntervalMarkov | None = None

    @property
    def markov(self) -> IntervalMarkov:
        if self._markov is None:
            self._markov = IntervalMarkov().fit(load_split("train"))
        return self._markov


@cache
def load_voices_models(path: Path | None = None) -> VoicesModels:
    """Load (once per path) the committed voices model."""
    where = path or Path(str(resources.files("bandmate.assist") / "weights" / "voices.pt"))
    return VoicesModels(load_voices(where)[0])


@dataclass(frozen=True, slots=True)
class MelodySteps:
    """The melody note by note: what each new voice note sits under."""

    starts: list[int]
    ends: list[int]
    pitches: list[int]
    durations: list[int]  # in 24ths of a quarter note
    downbeat: list[bool]
    half_bar: list[bool]


def melody_steps(track: Track, tempo_map: TempoMap, start: int, end: int) -> MelodySteps:
    """The melody's notes that start in ``start..end`` (the highest of notes struck together),
    each lasting until the next one starts."""
    top: dict[int, int] = {}
    for note in track.notes:
        if start <= note.start < end:
            top[note.start] = max(top.get(note.start, 0), note.pitch)
    starts = sorted(top)
    ends_by_start: dict[int, int] = {}
    for note in track.notes:
        if note.start in top and note.pitch == top[note.start]:
            ends_by_start[note.start] = max(ends_by_start.get(note.start, 0), note.end)
    ends = [
        min(ends_by_start[s] if i + 1 == len(starts) else starts[i + 1], end)
        for i, s in enumerate(starts)
    ]
    ppq = tempo_map.ppq
    downbeat, half = [], []
    for s in starts:
        bar = tempo_map.bar_at(s)
        offset, length = s - tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar)
        downbeat.append(offset == 0)
        half.append(offset == 0 or 2 * offset == length)
    durations = [max(1, round((e - s) * 24 / ppq)) for s, e in zip(starts, ends, strict=True)]
    return MelodySteps(starts, ends, [top[s] for s in starts], durations, downbeat, half)


def _nucleus(probs: np.ndarray, temperature: float, top_p: float) -> np.ndarray:
    logits = np.log(np.maximum(probs, 1e-12)) / temperature
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p)
    keep = np.cumsum(p[order]) - p[order] < top_p
    out = np.zeros_like(p)
    out[order[keep]] = p[order[keep]]
    result: np.ndarray = out / out.sum()
    return result


def sample_voice(
    models: VoicesModels,
    steps: MelodySteps,
    *,
    tonic_pc: int,
    minor: bool,
    depth: int,
    style: VoiceStyle,
    low: int,
    high: int,
    above: list[int | None] | None,
    chords: list[tuple[int, ...] | None],
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_p: float = 0.95,
    model: VoicesModelName = "gru",
) -> tuple[list[int | None], float]:
    """One new voice: a pitch (or ``None``, a rest) per melody note, and its mean log-prob.

    Args:
        above: The pitches of the voice above it (it stays at or below them), or ``None``.
        chords: The chord's pitch classes at each note (``None``: no chord there).
    """
    n = len(steps.pitches)
    features = torch.from_numpy(step_features(
        steps.pitches, steps.durations, steps.downbeat, steps.half_bar,
        tonic_pc=tonic_pc, minor=minor, depth=depth, style=style,
    ))  # fmt: skip
    intervals = np.arange(MAX_INTERVAL + 1)
    previous, state = START, None
    out: list[int | None] = []
    total = 0.0
    for t in range(n):
        melody = steps.pitches[t]
        if model == "gru":
            with torch.inference_mode():
                logits, state = models.model(
                    features[t].view(1, 1, -1), torch.tensor([[previous]]), state
                )
                probs = torch.softmax(logits[0, 0].double(), dim=-1).numpy()
        else:
            pc = (melody - tonic_pc) % 12
            probs = models.markov.distribution(style, depth, previous, pc)
        pitches = melody - intervals
        ceiling = melody if above is None or above[t] is None else min(melody, above[t] or 0)
        allowed = (pitches >= low) & (pitches <= min(high, ceiling))
        weights = np.zeros(len(probs))
        weights[: MAX_INTERVAL + 1] = probs[: MAX_INTERVAL + 1] * allowed
        chord = chords[t]
        if chord:
            bonus = CHORD_BONUS if steps.downbeat[t] or steps.half_bar[t] else CHORD_BONUS / 2
            tones = np.isin(pitches % 12, chord)
            weights[: MAX_INTERVAL + 1] *= np.where(tones, bonus, 1.0)
        if t and out[-1] is not None:
            # Parallel fifths and octaves against the melody and the voice above: rarer.
            for upper in (steps.pitches, above):
                if upper is None or upper[t] is None or upper[t - 1] is None:
                    continue
                now, before = int(upper[t] or 0), int(upper[t - 1] or 0)
                gap = (before - int(out[-1])) % 12
                if gap not in (0, 7) or now == before:
                    continue
                same = ((now - pitches) % 12 == gap) & ((pitches - out[-1]) * (now - before) > 0)
                weights[: MAX_INTERVAL + 1] *= np.where(same, PARALLEL_PENALTY, 1.0)
        if weights.sum() <= 0:
            weights[REST] = 1.0  # nowhere to go in range: rest under this note
        weights /= weights.sum()
        choice = int(rng.choice(len(weights), p=_nucleus(weights, temperature, top_p)))
        total += float(np.log(max(probs[choice], 1e-12)))
        out.append(None if choice == REST else int(melody - choice))
        previous = choice
    return out, total / max(1, n)


def _ranges(pitches: list[int]) -> dict[int, tuple[int, int]]:
    shift = min(0, int(np.median(pitches)) - 70)  # a melody lower than a soprano's
    return {d: (max(24, lo + shift), hi + shift) for d, (lo, hi) in RANGES.items()}


def _notes(steps: MelodySteps, pitches: list[int | None]) -> list[Note]:
    """One note per pitch; repeated pitches over short melody notes are held as one."""
    notes: list[Note] = []
    for start, end, pitch in zip(steps.starts, steps.ends, pitches, strict=True):
        if pitch is None or end <= start:
            continue
        if notes and notes[-1].pitch == pitch and notes[-1].end == start:
            last = notes[-1]
            notes[-1] = Note(pitch, last.start, end - last.start, last.velocity)
            continue
        notes.append(Note(pitch, start, end - start, 80))
    return notes


def resolve_voice_style(name: str | None) -> VoiceStyle:
    """``"chorale"`` (the default, also ``"bach"``) or ``"palestrina"``."""
    key = (name or "chorale").strip().lower()
    key = {"bach": "chorale", "chorales": "chorale", "renaissance": "palestrina"}.get(key, key)
    for style in VOICE_STYLES:
        if key == style:
            return style
    raise AssistError(f"style={name!r} for voices must be one of chorale, palestrina")


def suggest_voices(
    song: Song,
    request: PartRequest | None = None,
    *,
    voices: int = 1,
    model: VoicesModelName = "gru",
) -> list[PartSuggestion]:
    """Harmony voices under the song's melody, one new track per voice.

    Args:
        song: The song: its melody (the highest pitched track, or ``request.track``), key
            and chords.
        request: Where (default: the whole melody), style (``"chorale"`` or
            ``"palestrina"``), temperature, top-p, seed and alternatives.
        voices: How many voices, 1..3.
        model: ``"gru"`` (the trained model) or ``"markov"`` (the baseline).

    Raises:
        AssistError: No melody, no key, a bad request, or a span without melody notes.
    """
    req = request or PartRequest(temperature=0.8)
    if not 1 <= voices <= MAX_VOICES:
        raise AssistError(f"voices={voices} must be in 1..{MAX_VOICES}")
    if model not in ("gru", "markov"):
        raise AssistError(f"model={model!r} must be 'gru' or 'markov'")
    style = resolve_voice_style(req.style)
    source = melody_track(song, req.track)
    key = model_key(song_key(song))
    tempo_map = TempoMap.from_song(song)
    start_bar = req.start_bar or tempo_map.bar_at(min(n.start for n in source.notes))
    bars = req.bars or min(MAX_BARS, tempo_map.bar_count(source.end) - start_bar + 1)
    region = resolve_region(song, start_bar, max(1, bars))
    steps = melody_steps(source, tempo_map, region.start_tick, region.end_tick)
    if not steps.pitches:
        last = region.start_bar + region.bars - 1
        raise AssistError(f"the melody has no notes in bars {region.start_bar}..{last}")
    # Without a chord lane the voices agree on the chords the harmonizer hears, beat by beat.
    lane = ChordLane(song.chords or harmonize_melody(song, track=req.track, rhythm="beat"))
    chords: list[tuple[int, ...] | None] = []
    for s in steps.starts:
        chord = lane.at(s)
        chords.append(None if chord is None else tuple(chord.pitch_classes))
    ranges = _ranges(steps.pitches)
    models = load_voices_models()
    out = []
    for seed in req.seeds():
        rng = np.random.default_rng([seed, 7])
        tracks = []
        above: list[int | None] | None = None
        scores = []
        for depth in DEPTHS_FOR[voices]:
            low, high = ranges[depth]
            pitches, score = sample_voice(
                models, steps, tonic_pc=key.tonic_pc, minor=key.is_minor, depth=depth,
                style=style, low=low, high=high, above=above, chords=chords, rng=rng,
                temperature=req.temperature, top_p=req.top_p, model=model,
            )  # fmt: skip
            scores.append(score)
            above = pitches
            name = f"{AUTHOR} {NAMES[depth if voices > 1 else 1]}"
            tracks.append(Track(name, Instrument(PROGRAM), tuple(_notes(steps, pitches))))
        out.append(
            PartSuggestion("voices", tuple(tracks), region.start_bar, region.bars,
                           region.start_tick, region.end_tick, style, seed,
                           float(np.mean(scores)))
        )  # fmt: skip
    return out
