"""Extract the bandmate's melody data from music21's folk collections, once, into a committed file.

Four collections of single-line folk melodies written in ABC, each tune with its key
(the ``K:`` field) and meter (``M:``):

* ``essen``: the Essen folk song collection (EsAC, encoded to ABC by Seymour Schlien);
  **non-commercial use only** (``music21/corpus/essenFolksong/license.txt``).
* ``oneills``: O'Neill's Music of Ireland (1850 tunes, 1903).
* ``ryans``: Ryan's Mammoth Collection (1883).
* ``airds``: Aird's Selection of Scotch, English, Irish and Foreign Airs (1782–1797).

The last three are public-domain tune books; their ABC encodings ship in music21's corpus
with the encoders' permission (``music21/corpus/license.txt``).

Each tune is parsed by music21 (ties merged, chords read as their top note, grace notes
dropped) into events ``[bar, position, duration, midi]``: the bar index (0 for a pickup),
the onset within the bar and the duration in 24ths of a quarter note, and the MIDI pitch
(``-1`` for a rest). Tunes without a meter, with a meter change, with durations finer than
a 24th of a quarter, or with fewer than 8 notes are skipped. Tunes whose interval sequence
repeats an earlier tune's are dropped as duplicates.

Output (committed): ``src/bandmate/assist/corpus/melodies.json.gz`` and
``src/bandmate/assist/corpus/melody_manifest.json`` (the split by tune, 80/10/10 within each
collection, seeded; counts and skips).

Run: ``.venv/bin/python scripts/melody_data.py [--workers 2] [--limit N]``: the committed data
takes the first 2,000 tunes of each collection in file order (Essen and O'Neill's are cut;
Ryan's and Aird's are whole), 6,239 tunes, about 6 minutes on two busy cores; ``--limit 0``
parses all 12,762 (twice as long, and a data file twice the size).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "src" / "bandmate" / "assist" / "corpus"
SPLIT_SEED = 20251125
SPLIT_SHARES = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
UNIT = 24  # ticks per quarter note in the stored events
MIN_NOTES = 8
LIMIT = 2000  # the first tunes of each collection, in file order: 6,239 tunes, ~6 min to parse
COLLECTIONS = {
    "essen": "essenFolksong",
    "oneills": "oneills1850",
    "ryans": "ryansMammoth",
    "airds": "airdsAirs",
}
LICENCES = {
    "essen": "non-commercial use only (permission of E. Dahlig-Turek; ABC by S. Schlien)",
    "oneills": "public-domain tune book (1903); encoding distributed with music21",
    "ryans": "public-domain tune book (1883); encoding distributed with music21",
    "airds": "public-domain tune book (1782-1797); encoding distributed with music21",
}
_X_RE = re.compile(r"^X:\s*(\S*)", re.MULTILINE)


def tune_texts(collection: str, limit: int | None) -> list[tuple[str, str]]:
    """``(id, abc text)`` of every tune of a collection, in file order."""
    from music21 import corpus

    folder = Path(corpus.__file__).parent / COLLECTIONS[collection]
    tunes: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.abc")):
        text = path.read_text(encoding="latin-1")
        starts = [m.start() for m in _X_RE.finditer(text)]
        header = text[: starts[0]] if starts else ""
        for i, start in enumerate(starts):
            body = text[start : starts[i + 1] if i + 1 < len(starts) else len(text)]
            number = _X_RE.match(body)
            label = number.group(1) if number else str(i)
            tunes.append((f"{collection}/{path.stem}/{label}", header + body))
            if limit is not None and len(tunes) >= limit:
                return tunes
    return tunes


def _key_name(score: Any) -> str | None:
    from music21 import key as m21key

    found = score.recurse().getElementsByClass(m21key.KeySignature).first()
    if found is None:
        return None
    if isinstance(found, m21key.Key):
        mode = str(found.mode)
        tonic = found.tonic.name.replace("-", "b")
    else:
        k = found.asKey("major")
        tonic, mode = k.tonic.name.replace("-", "b"), "major"
    if mode in ("lydian", "mixolydian", "ionian"):
        mode = "major"
    elif mode in ("dorian", "phrygian", "aeolian", "locrian"):
        mode = "minor"
    if mode not in ("major", "minor"):
        return None
    return f"{tonic} {mode}"


def extract_tune(item: tuple[str, str]) -> dict[str, Any] | str:
    """The tune's record, or why it was skipped."""
    from music21 import chord as m21chord
    from music21 import converter, meter, note, stream

    tune_id, text = item
    try:
        score = converter.parse(text, format="abc", forceSource=True)
    except Exception as exc:
        return f"parse: {type(exc).__name__}"
    if isinstance(score, stream.Opus):
        if not score.scores:
            return "empty"
        score = score.scores[0]
    signatures = list(score.recurse().getElementsByClass(meter.TimeSignature))
    if not signatures:
        return "no meter"
    if len({ts.ratioString for ts in signatures}) > 1:
        return "meter change"
    key_name = _key_name(score)
    if key_name is None:
        return "no key"
    score = score.stripTies()
    part = score.parts[0] if isinstance(score, stream.Score) and score.parts else score
    events: list[list[int]] = []
    measures = list(part.getElementsByClass(stream.Measure))
    if not measures:
        return "no bars"
    for bar, measure in enumerate(measures):
        pad = float(measure.paddingLeft or 0.0)
        for element in measure.recurse().notesAndRests:
            length = float(element.quarterLength)
            if length <= 0:
                continue  # grace notes
            position = (float(element.getOffsetInHierarchy(measure)) + pad) * UNIT
            duration = length * UNIT
            if abs(position - round(position)) > 1e-6 or abs(duration - round(duration)) > 1e-6:
                return "fine duration"
            if isinstance(element, note.Note):
                midi = int(element.pitch.midi)
            elif isinstance(element, m21chord.Chord):
                midi = max(int(p.midi) for p in element.pitches)
            else:
                midi = -1
            events.append([bar, round(position), round(duration), midi])
    notes = [e for e in events if e[3] >= 0]
    if len(notes) < MIN_NOTES:
        return "too short"
    ts = signatures[0]
    return {
        "id": tune_id,
        "collection": tune_id.split("/")[0],
        "key": key_name,
        "meter": f"{ts.numerator}/{ts.denominator}",
        "events": events,
    }


def _fingerprint(piece: dict[str, Any]) -> tuple[int, ...]:
    pitches = [e[3] for e in piece["events"] if e[3] >= 0]
    return tuple(b - a for a, b in itertools.pairwise(pitches))


def split_pieces(pieces: list[dict[str, Any]], seed: int = SPLIT_SEED) -> dict[str, list[str]]:
    """80/10/10 by tune within each collection, shuffled with ``seed``."""
    rng = random.Random(seed)
    splits: dict[str, list[str]] = {name: [] for name, _ in SPLIT_SHARES}
    for collection in COLLECTIONS:
        ids = sorted(p["id"] for p in pieces if p["collection"] == collection)
        rng.shuffle(ids)
        n_val = round(len(ids) * SPLIT_SHARES[1][1])
        n_test = round(len(ids) * SPLIT_SHARES[2][1])
        splits["validation"] += sorted(ids[:n_val])
        splits["test"] += sorted(ids[n_val : n_val + n_test])
        splits["train"] += sorted(ids[n_val + n_test :])
    return splits


def main() -> None:
    parser = argparse.ArgumentParser(description="Extract folk melodies from music21's corpus.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--limit", type=int, default=LIMIT, help=f"tunes per collection (default {LIMIT}; 0: all)"
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args()

    limit = args.limit or None
    items = [t for c in COLLECTIONS for t in tune_texts(c, limit)]
    print(f"{len(items)} tunes to parse", flush=True)
    started = time.perf_counter()
    results: list[dict[str, Any] | str] = []
    with Pool(args.workers) as pool:
        for i, result in enumerate(pool.imap(extract_tune, items, chunksize=16)):
            results.append(result)
            if (i + 1) % 500 == 0 or i + 1 == len(items):
                took = time.perf_counter() - started
                print(f"  {i + 1}/{len(items)} tunes, {took:.0f}s", flush=True)
    skipped: dict[str, int] = {}
    pieces: list[dict[str, Any]] = []
    seen: set[tuple[int, ...]] = set()
    for result in results:
        if isinstance(result, str):
            skipped[result] = skipped.get(result, 0) + 1
            continue
        fingerprint = _fingerprint(result)
        if fingerprint in seen:
            skipped["duplicate"] = skipped.get("duplicate", 0) + 1
            continue
        seen.add(fingerprint)
        pieces.append(result)
    splits = split_pieces(pieces)
    counts = {c: sum(1 for p in pieces if p["collection"] == c) for c in COLLECTIONS}
    args.out.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"unit": UNIT, "pieces": pieces}, separators=(",", ":"))
    (args.out / "melodies.json.gz").write_bytes(gzip.compress(payload.encode(), mtime=0))
    manifest = {
        "seed": SPLIT_SEED,
        "shares": dict(SPLIT_SHARES),
        "unit": "tune (later tunes with the same interval sequence dropped)",
        "limit_per_collection": limit,
        "licences": LICENCES,
        "tunes": counts,
        "skipped": dict(sorted(skipped.items())),
        "splits": splits,
    }
    (args.out / "melody_manifest.json").write_text(
        json.dumps(manifest, indent=1) + "\n", encoding="utf-8"
    )
    print(f"kept {len(pieces)} tunes {counts}; skipped {skipped}", file=sys.stderr)


if __name__ == "__main__":
    main()
