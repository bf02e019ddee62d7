"""Benchmark: the bandmate's latency, each neural model against its baseline.

* Chord suggestions: a song whose chord lane is a held-out progression from the test
  split (spelled in its local key, up to 32 chords, one per bar), and a call to
  :func:`bandmate.assist.suggest_next_chords` with ``k=5``: transformer vs Kneser–Ney.
* Harmonization: a 16-bar song whose melody is a held-out chorale soprano, and a call to
  :func:`bandmate.assist.harmonize_melody` per beat: GRU vs HMM (Viterbi).
* Melody: a held-out folk tune's first 4 bars and its chords, and a call to
  :func:`bandmate.assist.suggest_melody` for the next 8 bars: GRU vs Markov (Kneser–Ney).
  Goal: p95 < 300 ms.
* Backing track: a 16-bar held-out progression (one chord a bar) and a call to
  :func:`bandmate.assist.suggest_backing` (comping, bass, drums) in each style in turn,
  next to :func:`bandmate.assist.suggest_drums` alone. Goal: p95 < 300 ms.
* Harmony voices: 8 bars of a held-out chorale soprano and a call to
  :func:`bandmate.assist.suggest_voices` for alto, tenor and bass: GRU vs Markov. Goal (as
  for 8 bars of melody): p95 < 300 ms.

Both models of a pair answer the same requests in alternation, in this one process pinned
to one core with one torch thread. Loading the models happens before the clock starts.
The goal for chords and harmonization is p95 < 50 ms.

Run: ``.venv/bin/python bench/assist.py [--requests 300] [--core 0]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from bandmate.assist import (
    BAND_STYLES,
    PartRequest,
    harmonize_melody,
    suggest_backing,
    suggest_drums,
    suggest_melody,
    suggest_next_chords,
    suggest_voices,
)
from bandmate.assist.chords.predictor import load_predictor
from bandmate.assist.dataset import load_pieces, load_sequences, manifest
from bandmate.assist.harmony.harmonize import load_harmonizer_models
from bandmate.assist.labels import token_chord
from bandmate.assist.melody.data import load_pieces as load_tunes
from bandmate.assist.melody.data import melody_manifest
from bandmate.assist.melody.evaluate import tune_song
from bandmate.assist.melody.generate import load_melody_models
from bandmate.assist.voices.generate import load_voices_models
from bandmate.music import ChordEvent, Key, Note, Song, TempoMap, Track

BAR = 1920  # one bar of 4/4 at 480 ppq


def build_requests(count: int, seed: int = 7) -> list[Song]:
    """Songs whose chord lanes are held-out progressions, cut at a random point."""
    rng = random.Random(seed)
    sequences = load_sequences("test")
    songs: list[Song] = []
    while len(songs) < count:
        seq = rng.choice(sequences)
        tonic, mode = seq.key.split()
        key = Key(tonic, "minor" if mode == "minor" else "major")
        cut = rng.randint(1, min(32, len(seq.numerals)))
        chords = [token_chord(n, key) for n in seq.numerals[:cut]]
        lane = tuple(ChordEvent(i * BAR, BAR, c) for i, c in enumerate(chords) if c is not None)
        songs.append(Song(key=key, chords=lane))
    return songs


def build_melodies(count: int, seed: int = 7) -> list[Song]:
    """16-bar songs whose melody is a held-out chorale soprano (one beat = one quarter)."""
    rng = random.Random(seed)
    pieces = load_pieces()
    ids = [i for i in manifest()["splits"]["test"] if pieces[i].get("melody")]
    songs: list[Song] = []
    while len(songs) < count:
        piece = pieces[rng.choice(ids)]
        notes = tuple(
            Note(midi, round(onset * 480), max(1, round(dur * 480)))
            for onset, dur, midi in piece["melody"]
            if onset < 64
        )
        tonic, mode = piece["key"].split()
        key = Key(tonic, "minor" if mode == "minor" else "major")
        songs.append(Song(key=key, tracks=(Track("Soprano", notes=notes),)))
    return songs


def build_tunes(count: int, seed: int = 7) -> list[tuple[Song, PartRequest]]:
    """Held-out folk tunes cut after bar 4, and a request for the next 8 bars."""
    rng = random.Random(seed)
    tunes = load_tunes()
    songs = [tune_song(tunes[i]) for i in melody_manifest()["splits"]["test"][:200]]
    out: list[tuple[Song, PartRequest]] = []
    while len(out) < count:
        song = rng.choice(songs)
        bar_5 = TempoMap.from_song(song).bar_start_tick(5)
        cut = tuple(n for n in song.tracks[0].notes if n.start < bar_5)
        tracks = (Track("Melody", notes=cut),)
        request = PartRequest(start_bar=5, bars=8, seed=len(out))
        out.append((Song(key=song.key, meters=song.meters, tracks=tracks, chords=song.chords),
                    request))  # fmt: skip
    return out


def build_backings(count: int, seed: int = 7) -> list[tuple[Song, PartRequest]]:
    """16-bar held-out progressions (shorter ones repeated), one chord a bar, each with a
    style in turn."""
    rng = random.Random(seed)
    sequences = [s for s in load_sequences("test") if len(s.numerals) >= 4]
    out: list[tuple[Song, PartRequest]] = []
    while len(out) < count:
        seq = rng.choice(sequences)
        tonic, mode = seq.key.split()
        key = Key(tonic, "minor" if mode == "minor" else "major")
        numerals = (seq.numerals * (16 // len(seq.numerals) + 1))[:16]  # repeated to 16 bars
        chords = [token_chord(n, key) for n in numerals]
        lane = tuple(ChordEvent(i * BAR, BAR, c) for i, c in enumerate(chords) if c is not None)
        style = BAND_STYLES[len(out) % len(BAND_STYLES)]
        out.append((Song(key=key, chords=lane), PartRequest(style=style, seed=len(out))))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(
    title: str, times: dict[str, list[float]], names: tuple[str, str], goal_ms: float = 50.0
) -> None:
    """p50 / p95 / mean per model, and the ratio of the first model's p50 to the second's."""
    print(title)
    print(f"{'model':<14}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for name, values in times.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"{name:<14}{p50:9.2f}{p95:9.2f}{statistics.fmean(values):9.2f}")
    ratio = percentile(times[names[0]], 50) / percentile(times[names[1]], 50)
    p95 = percentile(times[names[0]], 95)
    print(
        f"{names[0]} / {names[1]} (p50): {ratio:.2f}x; "
        f"{names[0]} p95 < {goal_ms:.0f} ms: {p95 < goal_ms}\n"
    )


def time_calls(
    songs: list[Song] | list[tuple[Song, PartRequest]], calls: dict[str, Callable[[Any], object]]
) -> dict[str, list[float]]:
    """Milliseconds per call for each named call on each song, alternating, after a warm-up."""
    for song in songs[:10]:
        for call in calls.values():
            call(song)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for song in songs:
        for name, call in calls.items():
            started = time.perf_counter()
            call(song)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--core", type=int, default=0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    torch.set_num_threads(1)

    _ = load_predictor().ngram  # load and fit both models of each pair before timing
    _ = load_harmonizer_models().hmm
    _ = load_melody_models().ngram
    _ = load_voices_models().markov

    chords = time_calls(
        build_requests(args.requests),
        {
            "transformer": lambda s: suggest_next_chords(s, k=5, model="transformer"),
            "ngram": lambda s: suggest_next_chords(s, k=5, model="ngram"),
        },
    )
    report(
        f"suggest_next_chords(k=5), {args.requests} held-out requests, one core, one thread",
        chords,
        ("transformer", "ngram"),
    )
    melodies = time_calls(
        build_melodies(max(20, args.requests // 5)),
        {
            "gru": lambda s: harmonize_melody(s, rhythm="beat", model="gru"),
            "hmm": lambda s: harmonize_melody(s, rhythm="beat", model="hmm"),
        },
    )
    report(
        f"harmonize_melody(16 bars, per beat), {max(20, args.requests // 5)} held-out sopranos",
        melodies,
        ("gru", "hmm"),
    )
    count = max(20, args.requests // 5)
    melodies_8 = time_calls(
        build_tunes(count),
        {
            "gru": lambda sr: suggest_melody(sr[0], sr[1], model="gru"),
            "markov": lambda sr: suggest_melody(sr[0], sr[1], model="markov"),
        },
    )
    report(
        f"suggest_melody(8 bars after 4 held-out bars), {count} folk tunes",
        melodies_8,
        ("gru", "markov"),
        goal_ms=300.0,
    )
    backings = time_calls(
        build_backings(count),
        {
            "backing": lambda sr: suggest_backing(sr[0], sr[1]),
            "drums": lambda sr: suggest_drums(sr[0], sr[1]),
        },
    )
    report(
        f"suggest_backing(16 bars, comping + bass + drums, each style), {count} progressions",
        backings,
        ("backing", "drums"),
        goal_ms=300.0,
    )
    sopranos = [
        (song, PartRequest(start_bar=1, bars=8, seed=i, voices=3))
        for i, song in enumerate(build_melodies(count, seed=11))
    ]
    voices = time_calls(
        sopranos,
        {
            "gru": lambda sr: suggest_voices(sr[0], sr[1], voices=3, model="gru"),
            "markov": lambda sr: suggest_voices(sr[0], sr[1], voices=3, model="markov"),
        },
    )
    report(
        f"suggest_voices(alto, tenor, bass under 8 bars), {count} held-out sopranos",
        voices,
        ("gru", "markov"),
        goal_ms=300.0,
    )


if __name__ == "__main__":
    main()
