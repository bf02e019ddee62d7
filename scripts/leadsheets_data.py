"""Extract the few lead sheets with chord symbols in music21's corpus into a committed file.

music21 ships four tunes whose chords are written as symbols over a melody: two MusicXML
lead sheets (Stephen Foster's "Jeanie with the Light Brown Hair" and Irving Berlin's
"Alexander's Ragtime Band") and two tunes of the Nottingham Music Database (numbers 80
and 81 of ``reelsa-c.abc``). None of them is used in training: they are a held-out test
of the harmonizer and the chord models on real lead-sheet harmony
(:mod:`bandmate.assist.leadsheets`, ``scripts/eval_leadsheets.py``).

Output (committed): ``src/bandmate/assist/corpus/leadsheets.json``: per tune its key
(music21's estimate), meter, melody ``[onset, duration, midi]`` and chords ``[onset,
symbol]``, times in quarter notes, repeats written once.

Run: ``.venv/bin/python scripts/leadsheets_data.py`` (a few seconds).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from music21 import corpus, harmony

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "bandmate" / "assist" / "corpus" / "leadsheets.json"
SOURCES: tuple[tuple[str, int | None], ...] = (
    ("leadSheet/fosterBrownHair.mxl", None),
    ("leadSheet/berlinAlexandersRagtime.mxl", None),
    ("nottingham-dataset/reelsa-c.abc", 80),
    ("nottingham-dataset/reelsa-c.abc", 81),
)


def _symbol(figure: str) -> str:
    """music21's figure in Bandmate's spelling: ``B-7`` is ``Bb7``, ``Am/e`` is ``Am/E``."""
    head, _, bass = figure.partition("/")
    head = head[0].upper() + head[1:].replace("-", "b", 1) if head else head
    if bass:
        bass = bass[0].upper() + bass[1:].replace("-", "b")
        return f"{head}/{bass}"
    return head


def extract(name: str, number: int | None) -> dict[str, Any]:
    """One lead sheet's key, meter, melody and chord symbols."""
    score = corpus.parse(name, number=number) if number is not None else corpus.parse(name)
    key = score.analyze("key")
    ts = score.recurse().getElementsByClass("TimeSignature").first()
    part = score.parts[0] if score.parts else score
    melody = [
        [float(n.getOffsetInHierarchy(score)), float(n.quarterLength), n.pitch.midi]
        for n in part.stripTies().recurse().notes
        if n.isNote and n.quarterLength > 0
    ]
    chords = [
        [float(c.getOffsetInHierarchy(score)), _symbol(c.figure)]
        for c in score.recurse().getElementsByClass(harmony.ChordSymbol)
    ]
    title = score.metadata.title if score.metadata and score.metadata.title else name
    return {
        "id": f"{name}#{number}" if number is not None else name,
        "title": str(title),
        "key": f"{key.tonic.name.replace('-', 'b')} {key.mode}",
        "meter": ts.ratioString if ts is not None else "4/4",
        "melody": melody,
        "chords": chords,
    }


def main() -> None:
    tunes = [extract(name, number) for name, number in SOURCES]
    OUT.write_text(json.dumps({"unit": "quarter", "tunes": tunes}, indent=1) + "\n")
    for tune in tunes:
        print(tune["id"], tune["key"], tune["meter"], len(tune["melody"]), len(tune["chords"]))


if __name__ == "__main__":
    main()
