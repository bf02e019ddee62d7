"""Benchmark: our audio analysis against a plain librosa baseline on the evaluation set.

The set is built by ``scripts/build_listen_eval.py`` (rendered songs with exact key,
beats and chords; a clean split and a degraded one: noise, reverb, MP3). For every clip
both sides run on the same file, on the same single core (this process is pinned with
``os.sched_setaffinity`` and BLAS/FFT thread pools are limited to one thread):

- ours: :func:`bandmate.listen.analyze_file` (decode, onset and chroma features, tempo,
  beats, meter, chords, key, R128 loudness, mood) with no cache;
- baseline (librosa 0.11): ``librosa.load`` at 22050 Hz, Krumhansl–Kessler profiles
  correlated with the mean ``chroma_stft``, ``librosa.beat.beat_track`` for tempo and
  beats, and major/minor templates matched to beat-synchronous ``chroma_stft`` (no
  smoothing).

Scores (mir_eval 0.8): MIREX-weighted key score, tempo Acc1 (within 4 %) and Acc2 (also
at 1/3, 1/2, 2 and 3 times), beat F-measure (±70 ms, first 5 s skipped), chord majmin
WCSR (duration-weighted over the set). Speed: audio seconds per second of analysis
(realtime factor) over the whole split, after one warm-up clip (librosa's numba JIT).

Speed includes the musicnn tagger as the analysis runs it (one 3-second patch per 45 s of
audio, so one per 24 s clip).

Tag quality (``--tags``, on by default; the set has no style truth): the rendered
instruments are known, so the MagnaTagATune model's ``drums``, ``piano``, ``strings`` and
``guitar`` scores (two patches per clean clip) are scored by ROC-AUC against whether the
clip has that instrument. Chance is 0.5; it checks that the converted network hears our
material, not the style tags themselves.

Run: ``.venv/bin/python bench/analysis_eval.py [--data data/listen_eval] [--core 0]``.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402 - the thread limits above must precede numpy's import
import json  # noqa: E402 - the thread limits above must precede numpy's import
import statistics  # noqa: E402 - the thread limits above must precede numpy's import
import time  # noqa: E402 - the thread limits above must precede numpy's import
import warnings  # noqa: E402 - the thread limits above must precede numpy's import
from dataclasses import dataclass, field  # noqa: E402 - the thread limits above must precede numpy's import
from pathlib import Path  # noqa: E402 - the thread limits above must precede numpy's import
from typing import Any  # noqa: E402 - the thread limits above must precede numpy's import

import librosa  # noqa: E402 - the thread limits above must precede numpy's import
import mir_eval  # noqa: E402 - the thread limits above must precede numpy's import
import numpy as np  # noqa: E402 - the thread limits above must precede numpy's import

from bandmate.listen import analyze_file, decode_file, tag_audio  # noqa: E402 - the thread limits above must precede numpy's import

ROOT = Path(__file__).resolve().parents[1]
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass
class Estimate:
    key: str
    bpm: float
    beats: np.ndarray
    chords: list[tuple[float, float, str]]
    seconds: float
    downbeats: np.ndarray | None = None  # the baseline finds none


@dataclass
class Scores:
    key: list[float] = field(default_factory=list)
    acc1: list[float] = field(default_factory=list)
    acc2: list[float] = field(default_factory=list)
    beat_f: list[float] = field(default_factory=list)
    downbeat_f: list[float] = field(default_factory=list)
    chord_hits: float = 0.0
    chord_total: float = 0.0
    time: float = 0.0
    audio: float = 0.0
    per_clip_rtf: list[float] = field(default_factory=list)

    def add(self, truth: dict[str, Any], est: Estimate, elapsed: float) -> None:
        self.key.append(float(mir_eval.key.weighted_score(truth["key"], est.key)))
        ratio = est.bpm / truth["bpm"] if truth["bpm"] else 0.0
        self.acc1.append(float(abs(ratio - 1.0) <= 0.04))
        self.acc2.append(float(any(abs(ratio / m - 1.0) <= 0.04 for m in (1, 2, 3, 1 / 2, 1 / 3))))
        ref_beats = mir_eval.beat.trim_beats(np.array(truth["beats"]))
        est_beats = mir_eval.beat.trim_beats(np.asarray(est.beats, dtype=float))
        self.beat_f.append(float(mir_eval.beat.f_measure(ref_beats, est_beats)))
        if est.downbeats is not None:
            ref_down = mir_eval.beat.trim_beats(np.array(truth["downbeats"]))
            est_down = mir_eval.beat.trim_beats(np.asarray(est.downbeats, dtype=float))
            self.downbeat_f.append(float(mir_eval.beat.f_measure(ref_down, est_down)))
        hits, total = chord_overlap(truth["chords"], est.chords)
        self.chord_hits += hits
        self.chord_total += total
        self.time += elapsed
        self.audio += est.seconds
        self.per_clip_rtf.append(est.seconds / elapsed)

    def row(self) -> dict[str, float]:
        return {
            "key_weighted": float(np.mean(self.key)),
            "tempo_acc1": float(np.mean(self.acc1)),
            "tempo_acc2": float(np.mean(self.acc2)),
            "beat_f": float(np.mean(self.beat_f)),
            "downbeat_f": float(np.mean(self.downbeat_f)) if self.downbeat_f else float("nan"),
            "chord_majmin": self.chord_hits / max(self.chord_total, 1e-9),
            "realtime_x": self.audio / max(self.time, 1e-9),
            "median_clip_realtime_x": statistics.median(self.per_clip_rtf),
            "clips": float(len(self.key)),
        }


def chord_overlap(
    truth: list[list[Any]], est: list[tuple[float, float, str]]
) -> tuple[float, float]:
    """Seconds where majmin comparison agrees, and seconds compared (mir_eval weights)."""
    ref_iv = np.array([[s, e] for s, e, _ in truth])
    ref_lab = [lab for _, _, lab in truth]
    est_iv = np.array([[s, e] for s, e, _ in est]) if est else np.array([[0.0, ref_iv[-1, 1]]])
    est_lab = [lab for _, _, lab in est] if est else ["N"]
    est_iv, est_lab = mir_eval.util.adjust_intervals(
        est_iv,
        est_lab,
        ref_iv.min(),
        ref_iv.max(),
        mir_eval.chord.NO_CHORD,
        mir_eval.chord.NO_CHORD,
    )
    intervals, ref_m, est_m = mir_eval.util.merge_labeled_intervals(
        ref_iv, ref_lab, est_iv, est_lab
    )
    durations = mir_eval.util.intervals_to_durations(intervals)
    comparisons = mir_eval.chord.majmin(ref_m, est_m)
    weights = durations * (comparisons >= 0)
    return float(np.sum(weights * np.maximum(comparisons, 0))), float(np.sum(weights))


def ours(path: Path) -> Estimate:
    result = analyze_file(path)
    return Estimate(
        key=result.key.name,
        bpm=result.bpm,
        beats=np.array(result.beats),
        chords=[(c.start, c.end, c.label) for c in result.chords],
        seconds=result.seconds,
        downbeats=np.array(result.downbeats),
    )


def _templates() -> tuple[list[str], np.ndarray]:
    labels, rows = [], []
    for quality, steps in (("maj", (0, 4, 7)), ("min", (0, 3, 7))):
        for root in range(12):
            row = np.zeros(12)
            row[[(root + s) % 12 for s in steps]] = 1.0
            labels.append(f"{NAMES[root]}:{quality}")
            rows.append(row / np.linalg.norm(row))
    return labels, np.array(rows)


LABELS, TEMPLATES = _templates()


def baseline(path: Path) -> Estimate:
    y, sr = librosa.load(path, sr=22050, mono=True)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)  # (12, frames)
    mean = chroma.mean(axis=1)
    best, best_name = -2.0, "C major"
    for mode, profile in (("major", KK_MAJOR), ("minor", KK_MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(mean, np.roll(profile, tonic))[0, 1])
            if r > best:
                best, best_name = r, f"{NAMES[tonic]} {mode}"
    tempo, frames = librosa.beat.beat_track(y=y, sr=sr)
    beats = librosa.frames_to_time(frames, sr=sr)
    seconds = len(y) / sr
    bounds = librosa.util.fix_frames(frames, x_min=0, x_max=chroma.shape[1])
    synced = librosa.util.sync(chroma, list(bounds), aggregate=np.mean)
    times = librosa.frames_to_time(bounds, sr=sr)
    times = np.append(times, seconds) if times[-1] < seconds else times
    norms = np.maximum(np.linalg.norm(synced, axis=0), 1e-9)
    picks = np.argmax(TEMPLATES @ (synced / norms), axis=0)
    chords = [(float(times[i]), float(times[i + 1]), LABELS[p])
              for i, p in enumerate(picks) if i + 1 < len(times)]  # fmt: skip
    return Estimate(best_name, float(np.atleast_1d(tempo)[0]), beats, chords, seconds)


# General MIDI programs (0-based) of each instrument tag; drums come from the truth's flag.
TAG_PROGRAMS = {"piano": range(8), "guitar": range(24, 32), "strings": range(40, 52)}


def _has(truth: dict[str, Any], tag: str) -> bool:
    parts = truth["instruments"]
    if isinstance(parts, dict):  # a generated song: comping, bass, lead programs, drums flag
        if tag == "drums":
            return bool(parts["drums"])
        programs = [parts[k] for k in ("comping", "bass", "lead") if parts.get(k) is not None]
    else:  # a chorale: one program per voice
        if tag == "drums":
            return False
        programs = list(parts)
    return any(p in TAG_PROGRAMS[tag] for p in programs)


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a clip with the instrument outscores one without (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def tag_quality(folder: Path, *, limit: int | None) -> dict[str, dict[str, float]]:
    """ROC-AUC of the MTT instrument tags against the rendered instruments."""
    scores: dict[str, list[float]] = {tag: [] for tag in ("drums", *TAG_PROGRAMS)}
    labels: dict[str, list[bool]] = {tag: [] for tag in scores}
    for truth_path in sorted(folder.glob("*.json"))[:limit]:
        truth = json.loads(truth_path.read_text())
        audio = decode_file(folder / truth["file"])
        tagged = tag_audio(audio.samples, audio.sample_rate, model="MTT_musicnn", max_patches=2)
        by_name = dict(zip(tagged.tags, tagged.scores, strict=True))
        for tag in scores:
            scores[tag].append(float(by_name[tag]))
            labels[tag].append(_has(truth, tag))
    return {
        tag: {"roc_auc": roc_auc(scores[tag], labels[tag]), "with": float(sum(labels[tag])),
              "without": float(len(labels[tag]) - sum(labels[tag]))}
        for tag in scores
    }  # fmt: skip


def run_split(folder: Path, *, limit: int | None) -> dict[str, dict[str, dict[str, float]]]:
    """Scores by source (all, songs, chorales) and side (ours, librosa)."""
    truths = sorted(folder.glob("*.json"))[:limit]
    results: dict[str, dict[str, Scores]] = {
        source: {"ours": Scores(), "librosa": Scores()} for source in ("all", "songs", "chorales")
    }
    for name, fn in (("ours", ours), ("librosa", baseline)):
        fn(ROOT / folder / json.loads(truths[0].read_text())["file"])  # warm-up (numba JIT)
        for truth_path in truths:
            truth = json.loads(truth_path.read_text())
            start = time.perf_counter()
            estimate = fn(folder / truth["file"])
            elapsed = time.perf_counter() - start
            source = "chorales" if "source" in truth else "songs"
            for group in ("all", source):
                results[group][name].add(truth, estimate, elapsed)
    return {
        source: {name: s.row() for name, s in sides.items()}
        for source, sides in results.items()
        if sides["ours"].key
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "listen_eval")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin to")
    parser.add_argument("--limit", type=int, default=None, help="clips per split (quick runs)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--tags",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="score the tagger's instrument tags on the clean split",
    )
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    warnings.filterwarnings("ignore", category=UserWarning)  # librosa on short clips
    report: dict[str, Any] = {}
    goals = {"key_weighted": 0.90, "tempo_acc2": 0.95, "chord_majmin": 0.80, "realtime_x": 50.0}
    for split in ("clean", "degraded"):
        folder = args.data / split
        if not folder.is_dir():
            raise SystemExit(f"{folder} is missing: run scripts/build_listen_eval.py first")
        groups = run_split(folder, limit=args.limit)
        report[split] = groups
        for source, rows in groups.items():
            count = len(rows["ours"]) and int(rows["ours"]["clips"])
            print(f"\n{split}, {source} ({count} clips)")
            print(f"{'metric':<24}{'ours':>10}{'librosa':>10}{'ratio':>8}  goal")
            for metric in rows["ours"]:
                if metric == "clips":
                    continue
                a, b = rows["ours"][metric], rows["librosa"][metric]
                goal = goals.get(metric) if (split, source) == ("clean", "all") else None
                mark = "" if goal is None else (f">= {goal:g} " + ("ok" if a >= goal else "MISSED"))
                ratio = f"{a / b:.2f}" if b and np.isfinite(b) else "-"
                print(f"{metric:<24}{a:>10.3f}{b:>10.3f}{ratio:>8}  {mark}")
    if args.tags:
        quality = tag_quality(args.data / "clean", limit=args.limit)
        report["tags"] = quality
        print("\ntagger (MTT_musicnn, 2 patches a clip) vs rendered instruments, clean split")
        print(f"{'tag':<10}{'ROC-AUC':>9}{'with':>6}{'without':>9}  chance 0.5")
        for tag, row in quality.items():
            print(f"{tag:<10}{row['roc_auc']:>9.3f}{row['with']:>6.0f}{row['without']:>9.0f}")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
