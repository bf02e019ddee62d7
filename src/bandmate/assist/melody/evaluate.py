"""Musical checks: melodies the models write against the held-out human tunes they continue.

For each test tune long enough, the first ``primer_bars`` bars are the context and the
next ``bars`` bars are written by the GRU and by the Markov baseline (seeded, temperature
1, top-p 0.95) over the chords the human bars outline (the same labelling as the training
data), and compared with what the human wrote there:

* ``in_key``: share of notes whose pitch class is in the key's scale (natural minor);
* ``chord_tones_on_beats``: share of notes that start on a beat and are chord tones;
* ``range``: highest minus lowest pitch (semitones);
* ``repeated_notes``: share of notes with the same pitch as the note before;
* ``repeated_bars``: share of bars whose rhythm and intervals repeat an earlier bar's;
* ``notes_per_bar``: density.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bandmate.assist.melody.data import (
    bar_length,
    beat_length,
    load_pieces,
    melody_manifest,
    spans_per_bar,
)
from bandmate.assist.melody.generate import (
    MelodyModelName,
    Setting,
    load_melody_models,
    sample_melody,
)
from bandmate.assist.melody.tokens import HIGH_REL, LOW_REL, UNIT, label_span, reference_tonic
from bandmate.assist.request import ChordLane
from bandmate.music.chord import Chord, ChordQuality
from bandmate.music.key import Key, parse_key
from bandmate.music.song import ChordEvent, MeterChange, Note, Song, Track
from bandmate.music.time import TempoMap

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
PPQ = 480
SCALE = PPQ // UNIT
METRICS = ("in_key", "chord_tones_on_beats", "range", "repeated_notes", "repeated_bars",
           "notes_per_bar")  # fmt: skip


def tune_song(piece: dict[str, Any]) -> Song:
    """A held-out tune as a song at 480 ppq: its melody, key, meter and labelled chords.

    A pickup is placed at the end of bar 1, so bar lines fall where the tune has them.
    """
    key = parse_key(piece["key"])
    num, den = (int(x) for x in piece["meter"].split("/"))
    length = bar_length(piece["meter"])
    spans = spans_per_bar(piece["meter"])
    events = piece["events"]
    t = events[0][1]  # the first onset's place in its bar
    notes: list[Note] = []
    for _, _, duration, midi in events:
        if midi >= 0:
            notes.append(Note(midi, t * SCALE, duration * SCALE))
        t += duration
    ref = reference_tonic(key.tonic_pc)
    mode = "minor" if key.is_minor else "major"
    span_len = length // spans
    by_span: dict[int, list[tuple[int, int, int]]] = {}
    for n in notes:
        u = n.start // SCALE
        by_span.setdefault(u // span_len, []).append((u % length, n.duration // SCALE,
                                                      n.pitch - ref))  # fmt: skip
    chords = []
    for span, span_notes in sorted(by_span.items()):
        pcs = label_span(span_notes, mode, beat_length(piece["meter"]))
        root = (key.tonic_pc + pcs[0]) % 12
        quality: ChordQuality = "m" if (pcs[1] - pcs[0]) % 12 == 3 else ""
        chords.append(ChordEvent(span * span_len * SCALE, span_len * SCALE,
                                 Chord(key.spell_pc(root), quality)))  # fmt: skip
    return Song(
        title=piece["id"], ppq=PPQ, meters=(MeterChange(0, num, den),), key=key,
        tracks=(Track("Melody", notes=tuple(notes)),), chords=tuple(chords),
    )  # fmt: skip


def melody_stats(notes: Sequence[Note], song: Song, start: int, end: int) -> dict[str, float]:
    """The checks of one melody inside ``start..end`` (see the module docstring)."""
    assert song.key is not None
    tempo_map = TempoMap.from_song(song)
    lane = ChordLane(song.chords)
    scale = set(song.key.pitch_classes)
    inside = [n for n in notes if start <= n.start < end]
    bars = max(1, tempo_map.bar_count(end) - tempo_map.bar_at(start) + 1)
    if not inside:
        return {"in_key": 0.0, "chord_tones_on_beats": 0.0, "range": 0.0,
                "repeated_notes": 0.0, "repeated_bars": 0.0, "notes_per_bar": 0.0}  # fmt: skip
    on_beats = [n for n in inside if tempo_map.tick_to_bar_beat(n.start).tick == 0]
    chord_tones = 0
    for n in on_beats:
        chord = lane.at(n.start)
        chord_tones += chord is not None and n.pitch % 12 in chord.pitch_classes
    pitches = [n.pitch for n in inside]
    patterns: list[tuple[tuple[int, int, int], ...]] = []
    for bar in range(tempo_map.bar_at(start), tempo_map.bar_count(end) + 1):
        b0 = tempo_map.bar_start_tick(bar)
        in_bar = [n for n in inside if b0 <= n.start < b0 + tempo_map.bar_length(bar)]
        patterns.append(
            tuple((n.start - b0, n.duration, n.pitch - in_bar[0].pitch) for n in in_bar)
        )
    repeated_bars = sum(1 for i, p in enumerate(patterns) if p and p in patterns[:i])
    return {
        "in_key": sum(p % 12 in scale for p in pitches) / len(pitches),
        "chord_tones_on_beats": chord_tones / len(on_beats) if on_beats else 0.0,
        "range": float(max(pitches) - min(pitches)),
        "repeated_notes": sum(a == b for a, b in itertools.pairwise(pitches))
        / max(1, len(pitches) - 1),
        "repeated_bars": repeated_bars / max(1, len(patterns)),
        "notes_per_bar": len(inside) / bars,
    }


def generate_for(song: Song, start: int, end: int, model: MelodyModelName, seed: int) -> list[Note]:
    """What ``model`` writes in ``start..end`` after the song's melody before ``start``."""
    assert song.key is not None
    key: Key = song.key
    melody = song.tracks[0].notes
    reference = reference_tonic(key.tonic_pc)
    low = max(min(n.pitch for n in melody) - 2, reference + LOW_REL)
    high = min(max(n.pitch for n in melody) + 2, reference + HIGH_REL)
    setting = Setting(key.tonic_pc, key.is_minor, reference, start, end, low, high)
    notes, _ = sample_melody(
        load_melody_models(), setting, TempoMap.from_song(song), ChordLane(song.chords),
        [n for n in melody if n.start < start], np.random.default_rng(seed), model=model,
    )  # fmt: skip
    return notes


def evaluate(
    *, tunes: int = 120, primer_bars: int = 4, bars: int = 8, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Mean checks of the human continuations, the GRU's and the Markov baseline's."""
    pieces = load_pieces()
    sources: dict[str, list[dict[str, float]]] = {"human": [], "gru": [], "markov": []}
    for piece_id in melody_manifest()["splits"]["test"]:
        if len(sources["human"]) >= tunes:
            break
        song = tune_song(pieces[piece_id])
        tempo_map = TempoMap.from_song(song)
        if tempo_map.bar_count(song.end_tick) < primer_bars + bars + 1:
            continue
        start = tempo_map.bar_start_tick(primer_bars + 1)
        end = tempo_map.bar_start_tick(primer_bars + bars + 1)
        sources["human"].append(melody_stats(song.tracks[0].notes, song, start, end))
        models: tuple[MelodyModelName, ...] = ("gru", "markov")
        for i, model in enumerate(models):
            notes = generate_for(song, start, end, model, seed + 1000 * i + len(sources["gru"]))
            sources[model].append(melody_stats(notes, song, start, end))
    return {
        name: {m: statistics.fmean(r[m] for r in rows) for m in METRICS} | {"tunes": len(rows)}
        for name, rows in sources.items()
    }


def main() -> dict[str, Any]:
    """Add the checks to ``weights/melody.json`` and print them."""
    checks = evaluate()
    print(f"\n{'checks (8 bars after 4)':<24}" + "".join(f"{m:>22}" for m in METRICS))
    for name, row in checks.items():
        print(f"{name:<24}" + "".join(f"{row[m]:22.3f}" for m in METRICS))
    path = WEIGHTS / "melody.json"
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    report["checks"] = checks
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
