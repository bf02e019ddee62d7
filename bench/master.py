"""Benchmark: our mastering against matchering 2.0.6 on the same track/reference pairs.

Builds seeded 4-minute stereo 44.1 kHz songs (chords, bass, drums, hats, quiet verses and
loud choruses) and masters each target toward its reference both ways, file to file
(24-bit WAV in and out), for two pairs:

- "up": a quiet mix (about -20 LUFS) toward a bright, loud, saturated master (about -9 LUFS);
- "down": that loud master toward a darker reference at -14 LUFS.

The two ways:

- ours: :func:`bandmate.master.files.master_file` with ``target="reference"`` and
  ``blend=1.0`` (the reference's tone, width and loudness; -1 dBTP ceiling);
- matchering 2.0.6 (``mg.process``), which matches the reference's tone and loudness.

Both run on the same one core (this process is pinned with ``os.sched_setaffinity`` and
matchering's process inherits it); matchering runs in its own virtual environment
(``scripts/install-bench-master.sh`` makes ``.venv-bench``), timed inside its process so
interpreter start-up and imports are not counted. After a warm-up, each side runs
``--runs`` times, alternating, so both see the same machine; medians of the wall time and
of the CPU time (``time.process_time``, steadier on a shared machine) are reported with
their ratios, and each master is measured with our BS.1770 meter: loudness error against
the reference, true peak against -1 dBTP, and the distance of its spectrum from the
reference's. Also timed: our in-memory ``master_audio`` to the Spotify preset, as a
realtime factor for a 4-minute stereo track on one core.

Run: ``.venv/bin/python bench/master.py [--runs 3] [--core 0] [--peer-python PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile

from bandmate.master import integrated_loudness, true_peak
from bandmate.master.chain import master_audio
from bandmate.master.files import master_file
from bandmate.master.spectrum import long_term_spectrum
from bandmate.master.targets import get_target

RATE = 44_100
SECONDS = 240.0
CEILING_DBTP = -1.0
PEER = """
import json, sys, time
import matchering as mg
mg.log(lambda *args: None)
start, cpu = time.perf_counter(), time.process_time()
mg.process(target=sys.argv[1], reference=sys.argv[2], results=[mg.pcm24(sys.argv[3])])
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}))
"""


def make_song(seed: int, *, bright: bool, lufs: float | None = None) -> np.ndarray:
    """A 4-minute stereo song [shape=(n, 2)]: verse/chorus dynamics, full-range parts.

    Bright songs are driven into soft saturation (about -9 LUFS); others are set to
    ``lufs`` (-20 LUFS by default).
    """
    rng = np.random.default_rng(seed)
    n = round(SECONDS * RATE)
    t = np.arange(n) / RATE
    roots = np.array([110.0, 87.3, 98.0, 130.8])[(t // 2.0).astype(int) % 4]
    phase = 2 * np.pi * np.cumsum(roots) / RATE
    chords = sum(np.sin(phase * r * h) / h for r in (1.0, 1.26, 1.5) for h in (1, 2, 3, 4))
    bass = np.sin(phase / 2) * (1 - ((t * 4) % 1))  # eighth-note plucks
    beat = t % 0.5
    kick = np.sin(2 * np.pi * (50 * beat + 3 * (1 - np.exp(-beat / 0.03)))) * np.exp(-beat / 0.08)
    hats_sos = scipy.signal.butter(4, 7000 if bright else 5000, "highpass", fs=RATE, output="sos")
    hats = scipy.signal.sosfilt(hats_sos, rng.standard_normal(n)) * np.exp(-(t % 0.125) / 0.02)
    bed_sos = scipy.signal.butter(
        2, [80, 12_000 if bright else 6000], "bandpass", fs=RATE, output="sos"
    )
    bed = scipy.signal.sosfilt(bed_sos, rng.standard_normal((n, 2)), axis=0)
    section = np.where((t // 30.0) % 2 == 0, 0.35, 1.0)  # verse, chorus, verse, ...
    mono = section * (0.15 * chords + 0.5 * bass + 0.9 * kick + (0.5 if bright else 0.2) * hats)
    song = np.stack((mono, np.roll(mono, 23)), axis=1) + 0.05 * section[:, None] * bed
    if bright:  # a loud master: driven into soft saturation
        song = np.tanh(song * 10 ** ((-6.0 - integrated_loudness(song, RATE)) / 20)) * 0.9
    else:
        goal = -20.0 if lufs is None else lufs
        song *= 10 ** ((goal - integrated_loudness(song, RATE)) / 20)
    result: np.ndarray = song
    return result


def spectral_distance(audio: np.ndarray, reference: np.ndarray) -> float:
    """Mean absolute difference of the long-term spectra (100 Hz - 10 kHz), level-aligned, dB."""
    ours, theirs = long_term_spectrum(audio, RATE), long_term_spectrum(reference, RATE)
    band = (ours.frequencies_hz >= 100) & (ours.frequencies_hz <= 10_000)
    diff = ours.level_db[band] - theirs.level_db[band]
    return float(np.mean(np.abs(diff - np.mean(diff))))


def measure(path: Path, reference: np.ndarray, reference_lufs: float) -> dict[str, float]:
    audio, rate = soundfile.read(path, always_2d=True)
    peak = true_peak(audio, rate)
    return {
        "loudness_error_lu": integrated_loudness(audio, rate) - reference_lufs,
        "true_peak_dbtp": peak,
        "compliant": float(peak <= CEILING_DBTP),
        "spectral_distance_db": spectral_distance(audio, reference),
    }


def time_ours(song: Path, reference: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one file-to-file master."""
    start, cpu = time.perf_counter(), time.process_time()
    master_file(song, out, target="reference", reference=reference, blend=1.0)
    return time.perf_counter() - start, time.process_time() - cpu


def time_peer(python: Path, song: Path, reference: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one matchering master, timed inside its process."""
    done = subprocess.run(
        [os.fspath(python), "-c", PEER, os.fspath(song), os.fspath(reference), os.fspath(out)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    return float(timing["seconds"]), float(timing["cpu"])


def run_pair(
    name: str, song: np.ndarray, reference: np.ndarray, folder: Path, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """Master one pair both ways, ``args.runs`` times each after a warm-up, alternating."""
    song_path, ref_path = folder / f"{name}-song.wav", folder / f"{name}-reference.wav"
    soundfile.write(song_path, song, RATE, subtype="PCM_24")
    soundfile.write(ref_path, reference, RATE, subtype="PCM_24")
    ref_lufs = integrated_loudness(reference, RATE)
    print(
        f"pair {name!r}: song {integrated_loudness(song, RATE):.1f} LUFS, "
        f"reference {ref_lufs:.1f} LUFS"
    )
    ours_out, peer_out = folder / f"{name}-ours.wav", folder / f"{name}-mg.wav"
    peer = args.peer_python if args.peer_python.exists() else None
    times: dict[str, list[tuple[float, float]]] = {"bandmate": [], "matchering 2.0.6": []}
    for run in range(args.runs + 1):  # run 0 warms caches and imports
        ours = time_ours(song_path, ref_path, ours_out)
        theirs = time_peer(peer, song_path, ref_path, peer_out) if peer is not None else None
        if run:
            times["bandmate"].append(ours)
            if theirs is not None:
                times["matchering 2.0.6"].append(theirs)
    rows = {}
    for tool, path in (("bandmate", ours_out), ("matchering 2.0.6", peer_out)):
        if times[tool]:
            rows[tool] = {
                "seconds": statistics.median(t[0] for t in times[tool]),
                "cpu": statistics.median(t[1] for t in times[tool]),
                **measure(path, reference, ref_lufs),
            }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--core", type=int, default=0)
    parser.add_argument("--peer-python", type=Path, default=Path(".venv-bench/bin/python"))
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    print(f"{SECONDS:.0f} s stereo at {RATE} Hz, core {args.core}, {args.runs} runs")
    if not args.peer_python.exists():
        print(f"peer skipped: {args.peer_python} not found (run scripts/install-bench-master.sh)")
    quiet, loud = make_song(11, bright=False), make_song(12, bright=True)
    pairs = {"up": (quiet, loud), "down": (loud, make_song(13, bright=False, lufs=-14.0))}
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, (song, reference) in pairs.items():
            results[name] = run_pair(name, song, reference, Path(folder), args)
    preset = []
    for _ in range(args.runs + 1):
        start = time.perf_counter()
        master_audio(quiet, RATE, target=get_target("spotify"))
        preset.append(time.perf_counter() - start)
    preset_seconds = statistics.median(preset[1:])

    print(f"\n{'pair':<6}{'tool':<18}{'wall s':>8}{'cpu s':>8}{'realtime':>10}{'LU err':>8}"
          f"{'TP dBTP':>9}{'TP<=-1':>8}{'spec dB':>9}")  # fmt: skip
    for pair, rows in results.items():
        for name, row in rows.items():
            compliant = "yes" if row["compliant"] else "NO"
            print(
                f"{pair:<6}{name:<18}{row['seconds']:>8.2f}{row['cpu']:>8.2f}"
                f"{SECONDS / row['seconds']:>9.1f}x{row['loudness_error_lu']:>+8.2f}"
                f"{row['true_peak_dbtp']:>+9.2f}{compliant:>8}{row['spectral_distance_db']:>9.2f}"
            )
    compared = [rows for rows in results.values() if "matchering 2.0.6" in rows]
    if compared:
        print()
        for key, label in (("seconds", "wall-time"), ("cpu", "CPU-time")):
            ratios = [r["matchering 2.0.6"][key] / r["bandmate"][key] for r in compared]
            total = sum(r["matchering 2.0.6"][key] for r in compared) / sum(
                r["bandmate"][key] for r in compared
            )
            each = ", ".join(f"{ratio:.2f}x" for ratio in ratios)
            print(f"{label} ratio matchering / bandmate: {total:.2f}x over all pairs "
                  f"({each}; goal >= 3x)")  # fmt: skip
    print(f"bandmate to the Spotify preset in memory: {preset_seconds:.2f} s, "
          f"{SECONDS / preset_seconds:.1f}x realtime on one core (goal >= 40x)")  # fmt: skip


if __name__ == "__main__":
    main()
