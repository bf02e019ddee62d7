"""Extract the bandmate's polyphony data from music21's corpus, once, into a committed file.

Two collections of vocal polyphony, where every voice is a line of its own:

* ``palestrina``: a seeded sample of the Palestrina movements (masses and motets, Humdrum
  files from the CCARH edition; the corpus has 1,318 and parsing one takes about a second,
  so ``--pieces`` of them are taken, 420 by default).
* ``bach``: the 371 four-part chorales, split exactly as the chord data
  (``corpus/manifest.json``), so that no chorale is held out in one model and trained on in
  another.

Each piece keeps its key (music21's Krumhansl–Schmuckler estimate over the whole score),
its meter and every voice as ``[onset, duration, midi]`` in 24ths of a quarter note, top
voice first (voices sorted by their mean pitch, highest first). The harmony-voices model
(:mod:`bandmate.assist.voices`) learns from these how a lower voice moves under a higher one.

Output (committed): ``src/bandmate/assist/corpus/voices.json.gz`` and
``src/bandmate/assist/corpus/voices_manifest.json`` (the split: Palestrina 80/10/10 by
movement, seeded; the chorales as in the chord data).

Run: ``.venv/bin/python scripts/voices_data.py [--workers 2] [--pieces 420]`` (about 5
minutes on two cores).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from music21 import corpus

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "src" / "bandmate" / "assist" / "corpus"
SPLIT_SEED = 20240611
UNIT = 24  # ticks per quarter note
MAX_VOICES = 6


def extract(name: str) -> dict[str, Any] | None:
    """One piece's key, meter and voices (top first); ``None`` if it has fewer than two."""
    try:
        score = corpus.parse(name)
    except Exception as exc:
        print(f"skip {name}: {exc}", file=sys.stderr)
        return None
    key = score.analyze("key")
    ts = score.recurse().getElementsByClass("TimeSignature").first()
    voices = []
    for part in score.parts:
        notes = [
            [round(float(n.getOffsetInHierarchy(score)) * UNIT),
             round(float(n.quarterLength) * UNIT), n.pitch.midi]
            for n in part.stripTies().recurse().notes
            if n.isNote and n.quarterLength > 0
        ]  # fmt: skip
        if len(notes) >= 8:
            voices.append(notes)
    if len(voices) < 2:
        return None
    voices.sort(key=lambda v: -sum(n[2] for n in v) / len(v))
    tonic = key.tonic.name.replace("-", "b")
    return {
        "id": str(name),
        "collection": "bach" if str(name).startswith("bach/") else "palestrina",
        "key": f"{tonic} {key.mode}",
        "meter": ts.ratioString if ts is not None else "4/4",
        "voices": voices[:MAX_VOICES],
    }


def _palestrina_names(count: int) -> list[str]:
    paths = sorted(corpus.getComposer("palestrina"))
    names = [f"palestrina/{Path(p).name}" for p in paths]
    random.Random(f"{SPLIT_SEED}/palestrina-sample").shuffle(names)
    return sorted(names[:count])


def _split_palestrina(names: list[str]) -> dict[str, list[str]]:
    order = sorted(names)
    random.Random(f"{SPLIT_SEED}/palestrina").shuffle(order)
    n = len(order)
    n_val, n_test = round(n * 0.1), round(n * 0.1)
    return {
        "validation": sorted(order[:n_val]),
        "test": sorted(order[n_val : n_val + n_test]),
        "train": sorted(order[n_val + n_test :]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pieces", type=int, default=420, help="Palestrina movements to take")
    args = parser.parse_args()
    chord_manifest = json.loads((DATA_DIR / "manifest.json").read_text(encoding="utf-8"))
    bach = {
        s: [i for i in ids if i.startswith("bach/")] for s, ids in chord_manifest["splits"].items()
    }
    names = _palestrina_names(args.pieces) + sorted(i for ids in bach.values() for i in ids)
    started = time.monotonic()
    pieces = []
    with Pool(args.workers) as pool:
        for i, piece in enumerate(pool.imap(extract, names, chunksize=4)):
            if piece is not None:
                pieces.append(piece)
            if (i + 1) % 50 == 0:
                print(f"{i + 1}/{len(names)} in {time.monotonic() - started:.0f} s", flush=True)
    kept = {p["id"] for p in pieces}
    pal = _split_palestrina([p["id"] for p in pieces if p["collection"] == "palestrina"])
    splits = {
        s: sorted(pal[s] + [i for i in bach[s] if i in kept])
        for s in ("train", "validation", "test")
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"unit": UNIT, "pieces": pieces}
    (DATA_DIR / "voices.json.gz").write_bytes(
        gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), mtime=0)
    )
    manifest = {
        "seed": SPLIT_SEED,
        "unit": "piece; Palestrina 80/10/10 by movement, chorales as corpus/manifest.json",
        "palestrina_sample": args.pieces,
        "licences": {
            "palestrina": "music21 corpus (CCARH Humdrum edition): see music21/corpus/license.txt",
            "bach": "music21 corpus, public-domain chorales (Riemenschneider)",
        },
        "splits": splits,
    }
    (DATA_DIR / "voices_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print({k: len(v) for k, v in splits.items()}, f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
