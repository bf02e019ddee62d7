"""The harmonizer API: chords for a song's melody, in its key, on its bars or beats.

The melody is read on the song's beat grid (compound meters in dotted beats, 7/8 in
eighths), each beat becomes features in the song's key (see
:mod:`bandmate.assist.harmony.features`), and a model gives every beat a distribution over
chords: the bidirectional GRU (default) or the HMM baseline's posteriors. With
``rhythm="bar"`` each bar gets the chord that is most likely over all of its beats
together; with ``rhythm="beat"`` each beat gets its own chord (the HMM's Viterbi path) and
repeats merge into longer events. The answer is deterministic.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from bandmate.assist.context import model_key, song_key
from bandmate.assist.dataset import Vocabulary
from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.data import load_examples
from bandmate.assist.harmony.features import Beat, beat_features, main_pitch_class
from bandmate.assist.harmony.hmm import ChordHMM
from bandmate.assist.harmony.model import HarmonizerGRU, load_harmonizer
from bandmate.assist.labels import spellable, token_chord
from bandmate.music.key import Key
from bandmate.music.song import ChordEvent, Song, Track
from bandmate.music.time import TempoMap

Rhythm = Literal["bar", "beat"]
HarmonizerName = Literal["gru", "hmm"]
MAX_BARS = 1024


class Harmonizer:
    """The committed harmonizer GRU and its HMM baseline (fitted on first use)."""

    def __init__(self, model: HarmonizerGRU, vocab: Vocabulary, *, hmm_alpha: float) -> None:
        self.model = model.eval()
        self.vocab = vocab
        self.hmm_alpha = hmm_alpha
        self._hmm: ChordHMM | None = None
        self.chord_ids = np.array(vocab.numeral_ids, dtype=np.int64)

    @property
    def hmm(self) -> ChordHMM:
        if self._hmm is None:
            triples = [
                (e.minor, main_pitch_class(e.features), e.labels(self.vocab))
                for e in load_examples("train")
            ]
            self._hmm = ChordHMM(len(self.vocab), alpha=self.hmm_alpha).fit(triples)
        return self._hmm

    def log_probs(self, features: np.ndarray, *, minor: bool, model: HarmonizerName) -> np.ndarray:
        """log P(chord on beat t | the whole melody), shape ``(T, V)``."""
        if model == "hmm":
            return self.hmm.posteriors(main_pitch_class(features), minor=minor)
        if model != "gru":
            raise AssistError(f"model={model!r} must be 'gru' or 'hmm'")
        with torch.inference_mode():
            logits = self.model(torch.from_numpy(features).unsqueeze(0))[0]  # (T, V)
            out: np.ndarray = torch.log_softmax(logits.double(), dim=-1).numpy()
        return out


@cache
def load_harmonizer_models(path: Path | None = None) -> Harmonizer:
    """Load (once per path) the committed harmonizer."""
    where = path or Path(str(resources.files("bandmate.assist") / "weights" / "harmonizer.pt"))
    model, tokens, meta = load_harmonizer(where)
    return Harmonizer(model, Vocabulary(tokens), hmm_alpha=float(meta["hmm_alpha"]))


def melody_track(song: Song, track: int | str | None) -> Track:
    """The track to harmonize: by index, by name, or the highest-sounding pitched track."""
    pitched = [t for t in song.tracks if not t.instrument.drums and t.notes]
    if track is None:
        if not pitched:
            raise AssistError("song has no pitched notes to harmonize (drum tracks do not count)")
        return max(pitched, key=lambda t: sum(n.pitch for n in t.notes) / len(t.notes))
    if isinstance(track, int):
        if not 0 <= track < len(song.tracks):
            raise AssistError(f"track={track} must be in 0..{len(song.tracks) - 1}")
        chosen = song.tracks[track]
    else:
        named = [t for t in song.tracks if t.name == track]
        if not named:
            raise AssistError(f"track={track!r} must name one of the song's tracks")
        chosen = named[0]
    if chosen.instrument.drums or not chosen.notes:
        raise AssistError(f"track {chosen.name!r} must be a pitched track with notes")
    return chosen


def beat_grid(song: Song, end_tick: int) -> list[tuple[int, list[Beat]]]:
    """Each bar up to ``end_tick`` with its beats (ticks), as ``(bar, beats)``."""
    tempo_map = TempoMap.from_song(song, compound=True)
    bars = tempo_map.bar_count(end_tick)
    if bars > MAX_BARS:
        raise AssistError(f"melody of {bars} bars: must be at most {MAX_BARS} bars")
    grid = []
    for bar in range(1, bars + 1):
        start, length = tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar)
        count = tempo_map.beats_per_bar(bar)
        edges = [start + length * j // count for j in range(count + 1)]
        beats = [Beat(edges[j], edges[j + 1] - edges[j], j == 0) for j in range(count)]
        grid.append((bar, [b for b in beats if b.length > 0]))
    return grid


def harmonize_melody(
    song: Song,
    *,
    track: int | str | None = None,
    rhythm: Rhythm = "bar",
    model: HarmonizerName = "gru",
) -> list[ChordEvent]:
    """Chords for the song's melody, spelled in the song's key.

    Args:
        song: The song; its key (or the key its notes suggest) and meter are used.
        track: The melody: a track index, a track name, or ``None`` for the pitched
            track that sounds highest on average.
        rhythm: ``"bar"`` for one chord per bar, ``"beat"`` for a chord per beat
            (repeats merged).
        model: ``"gru"`` (default) or the ``"hmm"`` baseline.

    Returns:
        Chord events covering the melody's bars, in time order.

    Raises:
        AssistError: No melody, a drum or empty track, an unknown option, or a song
            with no key and nothing pitched.
    """
    if rhythm not in ("bar", "beat"):
        raise AssistError(f"rhythm={rhythm!r} must be 'bar' or 'beat'")
    melody = melody_track(song, track)
    key = model_key(song_key(song))
    harmonizer = load_harmonizer_models()
    grid = beat_grid(song, melody.end)
    beats = [b for _, bar_beats in grid for b in bar_beats]
    notes = [(float(n.start), float(n.duration), n.pitch) for n in melody.notes]
    features = beat_features(notes, beats, tonic_pc=key.tonic_pc, minor=key.is_minor)
    log_probs = harmonizer.log_probs(features, minor=key.is_minor, model=model)  # (T, V)
    ok = spellable(harmonizer.vocab.tokens, key)
    ids = np.array([i for i in harmonizer.chord_ids if ok[i]], dtype=np.int64)
    if rhythm == "bar":
        events, t = [], 0
        for _, bar_beats in grid:
            span = log_probs[t : t + len(bar_beats)][:, ids].sum(axis=0)  # (V_chords,)
            token = harmonizer.vocab.tokens[int(ids[int(np.argmax(span))])]
            start, end = bar_beats[0].start, bar_beats[-1].start + bar_beats[-1].length
            events.append(_event(int(start), int(end - start), token, key))
            t += len(bar_beats)
        return events
    if model == "hmm":
        path = harmonizer.hmm.viterbi(main_pitch_class(features), minor=key.is_minor)
        best = [
            int(p) if p in ids else int(ids[np.argmax(lp[ids])])  # an <unk> state: next best
            for p, lp in zip(path, log_probs, strict=True)
        ]
    else:
        best = [int(ids[int(np.argmax(lp[ids]))]) for lp in log_probs]
    runs: list[tuple[int, int, str]] = []  # (start, end, numeral), repeats merged
    for beat, token_id in zip(beats, best, strict=True):
        token = harmonizer.vocab.tokens[token_id]
        end = int(beat.start + beat.length)
        if runs and runs[-1][2] == token:
            runs[-1] = (runs[-1][0], end, token)
        else:
            runs.append((int(beat.start), end, token))
    return [_event(start, end - start, token, key) for start, end, token in runs]


def _event(tick: int, duration: int, token: str, key: Key) -> ChordEvent:
    chord = token_chord(token, key)
    assert chord is not None  # only spellable tokens are chosen
    return ChordEvent(tick, duration, chord)
