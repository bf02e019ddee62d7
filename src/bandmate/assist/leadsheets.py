"""A held-out test on real lead sheets: the harmonizer and the chord models against the
chord symbols a songwriter wrote over a melody.

``corpus/leadsheets.json`` (``scripts/leadsheets_data.py``) holds the four tunes of music21's
corpus with chord symbols (two MusicXML lead sheets, two Nottingham tunes). None was used
in training, and their harmony (popular song, ragtime, dance tunes) is not the chorales'.

* Harmonizer: each tune's melody becomes a song in its key; each model harmonizes it (a
  chord per bar, and a chord per beat) and every beat where the lead sheet has a chord is
  compared: the same root, and the same root and triad (major, minor, diminished,
  augmented; sevenths and inversions not counted). A "tonic everywhere" guess is the floor.
* Chord models: each tune's chord sequence (repeats merged) as roman numerals in its key
  is scored like the held-out chorales: NLL per chord and top-1/top-3, the transformer
  against the n-gram baseline, both told no style (``any``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from bandmate.assist.chords.evaluate import score_log_probs
from bandmate.assist.chords.predictor import ChordPredictor, load_predictor
from bandmate.assist.dataset import EOS
from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.harmonize import harmonize_melody
from bandmate.assist.labels import chord_token
from bandmate.assist.request import ChordLane
from bandmate.errors import MusicError
from bandmate.music import ChordEvent, Instrument, MeterChange, Note, Song, Track, parse_chord
from bandmate.music.chord import Chord
from bandmate.music.key import parse_key

PPQ = 480


@cache
def load_leadsheets() -> tuple[dict[str, Any], ...]:
    """The committed lead sheets (see ``scripts/leadsheets_data.py``)."""
    path = resources.files("bandmate.assist") / "corpus" / "leadsheets.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AssistError("lead sheets are missing: run scripts/leadsheets_data.py") from exc
    return tuple(data["tunes"])


def leadsheet_song(tune: dict[str, Any]) -> tuple[Song, list[ChordEvent]]:
    """The tune's melody as a song (its key and meter, no chords) and its written chords."""
    num, den = (int(x) for x in tune["meter"].split("/"))
    notes = tuple(
        Note(int(midi), round(onset * PPQ), max(1, round(length * PPQ)), 90)
        for onset, length, midi in tune["melody"]
    )
    song = Song(
        title=tune["title"], key=parse_key(tune["key"]), meters=(MeterChange(0, num, den),),
        tracks=(Track("Melody", Instrument(0), notes),),
    )  # fmt: skip
    end = max(n.end for n in notes)
    written: list[tuple[int, Chord]] = []
    for onset, symbol in tune["chords"]:
        try:
            written.append((round(onset * PPQ), parse_chord(symbol)))
        except MusicError:
            continue  # a symbol Bandmate does not spell (counted as missing, never guessed)
    events = [
        ChordEvent(tick, max(1, (written[i + 1][0] if i + 1 < len(written) else end) - tick), c)
        for i, (tick, c) in enumerate(written)
        if (written[i + 1][0] if i + 1 < len(written) else end) > tick
    ]
    return song, events


def _triad(chord: Chord) -> tuple[int, int]:
    """Root and triad type (third and fifth above the root) of a chord."""
    tones = {(pc - chord.root_pc) % 12 for pc in chord.pitch_classes}
    third = 3 if 3 in tones and 4 not in tones else 4
    fifth = 6 if 6 in tones and 7 not in tones else 8 if 8 in tones and 7 not in tones else 7
    return chord.root_pc, third * 16 + fifth


def harmonizer_agreement(
    song: Song, written: list[ChordEvent], guess: list[ChordEvent]
) -> dict[str, float]:
    """Share of the written chords' beats where ``guess`` has the same root / root and triad."""
    lane = ChordLane(guess)
    root = triad = beats = 0
    for event in written:
        for tick in range(event.tick, event.end, PPQ * 4 // song.meters[0].denominator):
            chord = lane.at(tick)
            beats += 1
            if chord is None:
                continue
            root += chord.root_pc == event.chord.root_pc
            triad += _triad(chord) == _triad(event.chord)
    return {"root": root / max(1, beats), "triad": triad / max(1, beats), "beats": beats}


def _tonic(song: Song, written: list[ChordEvent]) -> list[ChordEvent]:
    assert song.key is not None
    symbol = song.key.tonic + ("m" if song.key.is_minor else "")
    return [ChordEvent(0, max(e.end for e in written), parse_chord(symbol))]


def evaluate_harmonizer() -> dict[str, dict[str, float]]:
    """Beat-weighted agreement of each harmonizer with the written chords, over all tunes."""
    totals: dict[str, list[float]] = {}
    for tune in load_leadsheets():
        song, written = leadsheet_song(tune)
        guesses = {"tonic": _tonic(song, written)}
        for model in ("gru", "hmm"):
            for rhythm in ("bar", "beat"):
                guesses[f"{model}_{rhythm}"] = harmonize_melody(song, model=model, rhythm=rhythm)
        for name, guess in guesses.items():
            found = harmonizer_agreement(song, written, guess)
            row = totals.setdefault(name, [0.0, 0.0, 0.0])
            row[0] += found["root"] * found["beats"]
            row[1] += found["triad"] * found["beats"]
            row[2] += found["beats"]
    return {name: {"root": r / b, "triad": t / b, "beats": b} for name, (r, t, b) in totals.items()}


def chord_ids(predictor: ChordPredictor, tune: dict[str, Any]) -> tuple[list[int], int]:
    """``[any, mode, numerals..., <eos>]`` ids of a tune's chords, and how many are unknown."""
    _, written = leadsheet_song(tune)
    key = parse_key(tune["key"])
    numerals: list[str] = []
    for event in written:
        token = chord_token(event.chord, key) or "<unk>"
        if not numerals or numerals[-1] != token:
            numerals.append(token)
    ids = predictor.context_ids(None, "minor" if key.is_minor else "major", [])
    vocab = predictor.vocab
    body = [vocab.id(n) if n in vocab else vocab.id("<unk>") for n in numerals]
    unknown = sum(n not in vocab for n in numerals)
    return ids + body + [vocab.id(EOS)], unknown


def evaluate_chords() -> dict[str, dict[str, float]]:
    """NLL per chord and top-1/top-3 of the transformer and the n-gram on the lead sheets."""
    predictor = load_predictor()
    out: dict[str, dict[str, float]] = {}
    sequences = [chord_ids(predictor, tune) for tune in load_leadsheets()]
    for model in ("transformer", "ngram"):
        rows: list[tuple[np.ndarray, int]] = []
        for ids, _ in sequences:
            for i in range(2, len(ids)):
                probs = predictor.distribution(ids[:i], model=model)
                rows.append((np.log(np.maximum(probs, 1e-300)), ids[i]))
        out[model] = dict(score_log_probs(rows).as_dict())
    out["unknown_numerals"] = {"count": float(sum(u for _, u in sequences))}
    return out


def evaluate() -> dict[str, Any]:
    """Both tests, as ``weights/leadsheets.json`` records them."""
    return {
        "tunes": [t["id"] for t in load_leadsheets()],
        "harmonizer": evaluate_harmonizer(),
        "chords": evaluate_chords(),
    }
