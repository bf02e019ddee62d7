"""Extract the bandmate's chord data from music21's corpus, once, into a committed file.

Two collections, both common-practice harmony written as roman numerals in the local key:

* ``bach``: the 371 four-part chorales (Riemenschneider numbering). Each score is
  chordified; every beat is labelled with the triad or seventh chord that its
  duration-weighted pitch classes spell (:func:`bandmate.assist.labels.identify_chord`,
  the bass giving the inversion), in the local key of its phrase: the phrases end at
  the soprano's fermatas and each gets the Krumhansl–Schmuckler key of its notes,
  with a bias towards the piece's key and the previous phrase's key.
* ``monteverdi``: the 48 human roman-numeral analyses of the madrigals (books 3–5)
  that ship as RomanText; their own local keys are kept.

The labels of the 20 chorales that also ship as human analyses (``bach/choraleAnalyses``,
by Andrew Jones, proofread by Dmitri Tymoczko and Hamish Robb) are compared with ours
beat by beat, and the agreement is printed (it is quoted in ``docs/models/chords.md``).

Output (committed): ``src/bandmate/assist/corpus/chords.json.gz`` (one record per piece:
segments of constant local key, each a list of ``[onset, duration, numeral]`` with times
in quarter notes; for the chorales also the soprano as ``[onset, duration, midi]`` and the
bar-line offsets, which the harmonizer learns from) and
``src/bandmate/assist/corpus/manifest.json`` (the split by piece, 80/10/10 within each
collection, seeded).

Run: ``.venv/bin/python scripts/assist_data.py [--workers 2] [--limit N]`` (about 3 minutes
on two cores).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections.abc import Iterable
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from music21 import chord as m21chord
from music21 import converter, corpus, expressions, roman

from bandmate.assist.keyfind import key_scores
from bandmate.assist.labels import chord_token, identify_chord
from bandmate.music.key import Key, KeyMode

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "src" / "bandmate" / "assist" / "corpus"  # not data/: .gitignore has data/
SPLIT_SEED = 20240611
SPLIT_SHARES = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
GLOBAL_BIAS = 0.08  # correlation bonus for the piece's key when choosing a phrase's key
PREVIOUS_BIAS = 0.1  # ... and for the previous phrase's key
DUPLICATE_SPAN = 12  # numerals in a row that mark two pieces as one harmonization

Event = tuple[float, float, int | None, list[float]]  # onset, duration, bass pc, pc weights


def _m21_key(key: Any) -> Key:
    mode: KeyMode = "minor" if key.mode == "minor" else "major"
    return Key(key.tonic.name.replace("-", "b"), mode)


def _beat_windows(score: Any) -> tuple[list[Event], float]:
    """Per-beat pitch-class weights and bass of a chordified score, and its beat length."""
    ts = score.parts[0].recurse().getElementsByClass("TimeSignature").first()
    beat = float(ts.beatDuration.quarterLength) if ts is not None else 1.0
    slices = [
        (float(c.getOffsetInHierarchy(score)), float(c.quarterLength), [p.midi for p in c.pitches])
        for c in score.chordify().recurse().getElementsByClass(m21chord.Chord)
        if c.pitches
    ]
    end = max((o + d for o, d, _ in slices), default=0.0)
    windows: list[Event] = []
    t = 0.0
    while t < end - 1e-9:
        weights = [0.0] * 12
        bass: int | None = None
        for onset, dur, pitches in slices:
            overlap = min(onset + dur, t + beat) - max(onset, t)
            if overlap <= 1e-9:
                continue
            for midi in pitches:
                weights[midi % 12] += overlap
            if onset <= t + 1e-9 < onset + dur:
                bass = min(pitches) % 12
        windows.append((t, beat, bass, weights))
        t += beat
    return windows, beat


def _phrase_ends(score: Any) -> list[float]:
    soprano = score.parts[0].flatten().notes
    return sorted(
        float(n.offset + n.quarterLength)
        for n in soprano
        if any(isinstance(e, expressions.Fermata) for e in n.expressions)
    )


def _home_key(windows: list[Event], sharps: int | None) -> Key:
    """The piece's key: of the keys its signature allows, the one on the final bass if any.

    Chorales end on their tonic, with a major third even in minor (the Picardy third),
    or on a Phrygian half cadence; the mode comes from the profile correlation. Tuned on
    the 20 chorales that ship with human analyses.
    """
    scores = key_scores([sum(w[3][pc] for w in windows) for pc in range(12)])
    # Bach often writes a minor key with one flat fewer (the "Dorian" signature).
    allowed = [
        k
        for k in scores
        if sharps is None or sharps - k.signature in ((0, 1) if k.is_minor else (0,))
    ]
    basses = [w[2] for w in windows if w[2] is not None]
    on_final = [k for k in allowed if basses and k.tonic_pc == basses[-1]]
    return max(on_final or allowed, key=lambda k: scores[k])


def _phrase_keys(
    windows: list[Event], ends: list[float], sharps: int | None
) -> tuple[Key, list[Key]]:
    """The piece's key and the local key of each window (one key per phrase)."""
    home = _home_key(windows, sharps)
    keys: list[Key] = []
    previous = home
    start = 0
    bounds = [*ends, float("inf")]
    for stop in bounds:
        phrase = [w for w in windows[start:] if w[0] < stop - 1e-9]
        if not phrase:
            continue
        hist = [sum(w[3][pc] for w in phrase) for pc in range(12)]
        local = key_scores(hist)
        bonus = {home: GLOBAL_BIAS}
        bonus[previous] = bonus.get(previous, 0.0) + PREVIOUS_BIAS
        chosen = max(local, key=lambda k: local[k] + bonus.get(k, 0.0))
        keys.extend([chosen] * len(phrase))
        previous = chosen
        start += len(phrase)
    return home, keys


def _sharps(score: Any) -> int | None:
    signature = score.parts[0].recurse().getElementsByClass("KeySignature").first()
    return None if signature is None else int(signature.sharps)


def _segments(labelled: Iterable[tuple[float, float, Key, str]]) -> list[dict[str, Any]]:
    """Merge repeated numerals and cut the events into runs of one local key."""
    segments: list[dict[str, Any]] = []
    for onset, duration, key, token in labelled:
        if not segments or segments[-1]["key"] != str(key):
            segments.append({"key": str(key), "chords": []})
        chords = segments[-1]["chords"]
        if chords and chords[-1][2] == token and abs(chords[-1][0] + chords[-1][1] - onset) < 1e-6:
            chords[-1][1] = round(chords[-1][1] + duration, 4)
        else:
            chords.append([round(onset, 4), round(duration, 4), token])
    return segments


def extract_chorale(name: str) -> dict[str, Any]:
    """One chorale as per-beat numerals in the local key of each phrase, and its soprano."""
    score = corpus.parse(name)
    windows, beat = _beat_windows(score)
    home, keys = _phrase_keys(windows, _phrase_ends(score), _sharps(score))
    labelled = []
    dropped = 0
    for (onset, duration, bass, weights), key in zip(windows, keys, strict=True):
        fit = identify_chord(weights, bass, key)
        token = None if fit is None else chord_token(fit.chord, key)
        if token is None:
            dropped += 1
            continue
        labelled.append((onset, duration, key, token))
    ts = score.parts[0].recurse().getElementsByClass("TimeSignature").first()
    soprano = score.parts[0].stripTies()
    melody = [
        [round(float(n.offset), 4), round(float(n.quarterLength), 4), n.pitch.midi]
        for n in soprano.flatten().notes
        if n.isNote
    ]
    bars = [round(float(m.offset), 4) for m in soprano.getElementsByClass("Measure")]
    return {
        "id": name,
        "collection": "bach",
        "title": str(score.metadata.title or name) if score.metadata else name,
        "meter": ts.ratioString if ts is not None else "4/4",
        "key": str(home),
        "beat": beat,
        "dropped": dropped,
        "segments": _segments(labelled),
        "melody": melody,
        "bars": bars,
    }


def _rntxt_events(path: str) -> list[tuple[float, float, Key, list[int], int]]:
    score = converter.parse(path, format="romanText")
    events = []
    for rn in score.recurse().getElementsByClass(roman.RomanNumeral):
        if not rn.pitches:
            continue
        onset = float(rn.getOffsetInHierarchy(score))
        events.append(
            (
                onset,
                float(rn.quarterLength),
                _m21_key(rn.key),
                rn.pitchClasses,
                rn.bass().pitchClass,
            )
        )
    return events


def extract_rntxt(path: str, collection: str) -> dict[str, Any]:
    """One human RomanText analysis, relabelled in our numeral spelling (same pitches)."""
    labelled = []
    dropped = 0
    for onset, duration, key, pcs, bass in _rntxt_events(path):
        weights = [1.0 if pc in pcs else 0.0 for pc in range(12)]
        fit = identify_chord(weights, bass, key)
        token = None if fit is None or fit.coverage < 0.99 else chord_token(fit.chord, key)
        if token is None:
            dropped += 1  # augmented sixths, open fifths: outside our chord vocabulary
            continue
        labelled.append((onset, duration, key, token))
    segments = _segments(labelled)
    name = Path(path).stem
    return {
        "id": f"{collection}/{name}",
        "collection": collection,
        "title": name,
        "meter": _rntxt_meter(path),
        "key": segments[0]["key"] if segments else "C major",
        "beat": 1.0,
        "dropped": dropped,
        "segments": segments,
    }


def _rntxt_meter(path: str) -> str:
    match = re.search(r"Time Signature:\s*(\d+/\d+)", Path(path).read_text(encoding="utf-8"))
    return match.group(1) if match else "4/4"


def _monteverdi_paths() -> list[str]:
    return sorted(str(p) for p in corpus.getComposer("monteverdi") if str(p).endswith(".rntxt"))


def _analysis_bwv(path: Path) -> str | None:
    match = re.search(r"BWV:\s*([\d.]+)", path.read_text(encoding="utf-8"))
    return None if match is None else f"bach/bwv{match.group(1)}"


def validate_chorale_labels(pieces: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Beat-by-beat agreement of our chorale labels with the human analyses that ship."""
    folder = Path(str(corpus.getWork("bach/choraleAnalyses/riemenschneider001.rntxt"))).parent
    same_chord = same_key = same_both = beats = 0
    for path in sorted(folder.glob("*.rntxt")):
        bwv = _analysis_bwv(path)
        if bwv not in pieces:
            continue
        human = _rntxt_events(str(path))
        for segment in pieces[bwv]["segments"]:
            key = _parse_key(segment["key"])
            for onset, _, token in segment["chords"]:
                truth = [e for e in human if e[0] <= onset + 1e-6]
                if not truth:
                    continue
                _, _, hkey, hpcs, hbass = truth[-1]
                ours = _token_pcs(token, key)
                chord_ok = ours is not None and ours == (frozenset(hpcs), hbass)
                key_ok = hkey == key
                beats += 1
                same_chord += chord_ok
                same_key += key_ok
                same_both += chord_ok and key_ok
    return {
        "events": beats,
        "chord_agreement": same_chord / max(beats, 1),
        "key_agreement": same_key / max(beats, 1),
        "numeral_agreement": same_both / max(beats, 1),
    }


def _parse_key(text: str) -> Key:
    tonic, mode = text.split()
    return Key(tonic, "minor" if mode == "minor" else "major")


def _token_pcs(token: str, key: Key) -> tuple[frozenset[int], int] | None:
    from bandmate.assist.labels import token_chord

    chord = token_chord(token, key)
    return None if chord is None else (frozenset(chord.pitch_classes), chord.bass_pc)


def duplicate_groups(pieces: list[dict[str, Any]], *, span: int = DUPLICATE_SPAN) -> list[str]:
    """A group id per piece: pieces that share a run of ``span`` numerals are one group.

    The Riemenschneider collection holds the same harmonization under two numbers now
    and then (BWV 104.6 and BWV 85.6, ...); a split by piece alone would leak them.
    """
    parent = list(range(len(pieces)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[tuple[str, ...], int] = {}
    for i, piece in enumerate(pieces):
        numerals = [c[2] for seg in piece["segments"] for c in seg["chords"]]
        for j in range(len(numerals) - span + 1):
            gram = tuple(numerals[j : j + span])
            other = first_seen.setdefault(gram, i)
            parent[find(i)] = find(other)
    return [pieces[find(i)]["id"] for i in range(len(pieces))]


def split_pieces(pieces: list[dict[str, Any]], seed: int = SPLIT_SEED) -> dict[str, list[str]]:
    """Split piece ids 80/10/10 per collection, by duplicate group, shuffled with ``seed``."""
    groups = duplicate_groups(pieces)
    splits: dict[str, list[str]] = {name: [] for name, _ in SPLIT_SHARES}
    for collection in sorted({p["collection"] for p in pieces}):
        members: dict[str, list[str]] = {}
        for piece, group in zip(pieces, groups, strict=True):
            if piece["collection"] == collection:
                members.setdefault(group, []).append(piece["id"])
        order = sorted(members)
        random.Random(f"{seed}/{collection}").shuffle(order)
        total = sum(len(m) for m in members.values())
        targets = {"validation": total * SPLIT_SHARES[1][1], "test": total * SPLIT_SHARES[2][1]}
        taken = {"validation": 0, "test": 0}
        for group in order:
            name = next((n for n in ("validation", "test") if taken[n] < targets[n]), "train")
            splits[name] += members[group]
            taken[name] = taken.get(name, 0) + len(members[group])
    return {name: sorted(ids) for name, ids in splits.items()}


def _progress(done: int, total: int, started: float, what: str) -> None:
    if done % 25 == 0 or done == total:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(f"  {what}: {done}/{total} ({rate:.1f}/s)", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="only the first N chorales")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args()

    started = time.perf_counter()
    # The Riemenschneider numbering lists 21 files twice (one score, two numbers): once each.
    names = list(dict.fromkeys(corpus.chorales.Iterator(returnType="filename")))[: args.limit]
    pieces: list[dict[str, Any]] = []
    with Pool(args.workers) as pool:
        for i, piece in enumerate(pool.imap(extract_chorale, names, chunksize=4), 1):
            pieces.append(piece)
            _progress(i, len(names), started, "bach chorales")
        paths = _monteverdi_paths()
        jobs = [(p, "monteverdi") for p in paths]
        for i, piece in enumerate(pool.starmap(extract_rntxt, jobs), 1):
            pieces.append(piece)
            _progress(i, len(jobs), started, "monteverdi analyses")
    pieces = [p for p in pieces if p["segments"]]
    check = validate_chorale_labels({p["id"]: p for p in pieces})
    splits = split_pieces(pieces)

    args.out.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"version": 1, "pieces": pieces}, separators=(",", ":"), sort_keys=True)
    with gzip.GzipFile(args.out / "chords.json.gz", "wb", mtime=0) as fh:
        fh.write(data.encode("utf-8"))
    manifest = {
        "seed": SPLIT_SEED,
        "shares": dict(SPLIT_SHARES),
        "unit": f"piece (pieces sharing {DUPLICATE_SPAN} numerals in a row stay together)",
        "label_check": check,
        "splits": splits,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")

    chords = sum(len(s["chords"]) for p in pieces for s in p["segments"])
    dropped = sum(p["dropped"] for p in pieces)
    print(f"{len(pieces)} pieces, {chords} chord events ({dropped} beats dropped)")
    print({k: len(v) for k, v in splits.items()})
    print("label check against the human chorale analyses:", check)
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
