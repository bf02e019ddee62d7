"""Benchmark: the bandmate's latency, each neural model against its baseline.

* Chord suggestions: a song whose chord lane is a held-out progression from the test
  split (spelled in its local key, up to 32 chords, one per bar), and a call to
  :func:`bandmate.assist.suggest_next_chords` with ``k=5``: transformer vs Kneser–Ney.
* Harmonization: a 16-bar song whose melody is a held-out chorale soprano, and a call to
  :func:`bandmate.assist.harmonize_melody` per beat: GRU vs HMM (Viterbi).

Both models of a pair answer the same requests in alternation, in this one process pinned
to one core with one torch thread. Loading the models happens before the clock starts.
The goal is p95 < 50 ms.

Run: ``.venv/bin/python bench/assist.py [--requests 300] [--core 0]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

import torch

from bandmate.assist import harmonize_melody, suggest_next_chords
from bandmate.assist.chords.predictor import load_predictor
from bandmate.assist.dataset import load_pieces, load_sequences, manifest
from bandmate.assist.harmony.harmonize import load_harmonizer_models
from bandmate.assist.labels import token_chord
from bandmate.music import ChordEvent, Key, Note, Song, Track

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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(title: str, times: dict[str, list[float]], names: tuple[str, str]) -> None:
    """p50 / p95 / mean per model, and the ratio of the first model's p50 to the second's."""
    print(title)
    print(f"{'model':<14}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for name, values in times.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"{name:<14}{p50:9.2f}{p95:9.2f}{statistics.fmean(values):9.2f}")
    ratio = percentile(times[names[0]], 50) / percentile(times[names[1]], 50)
    p95 = percentile(times[names[0]], 95)
    print(f"{names[0]} / {names[1]} (p50): {ratio:.2f}x; {names[0]} p95 < 50 ms: {p95 < 50.0}\n")


def time_calls(
    songs: list[Song], calls: dict[str, Callable[[Song], object]]
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


if __name__ == "__main__":
    main()
