"""Build the listening evaluation set: rendered songs whose key, beats and chords are known.

Every clip is a song that this script writes note by note and renders with Bandmate's
SoundFont synth (:func:`bandmate.render.render_song`; FluidR3 when installed, else
TimGM6mb), so its ground truth is exact:

* key: the key the progression is written in (24 keys, drawn evenly);
* tempo and beats: a constant tempo (70..170 bpm), a beat every quarter note from the
  first note, downbeats every 3 or 4 beats (the meter);
* chords: the chord lane the parts were voiced from, as Harte labels (``C:maj``,
  ``A:min``, ``G:7``) over time.

Progressions are drawn from common functional patterns in major and minor (cadences
included), harmonic rhythm is one chord per bar or per half bar, comping, bass, melody and
drum parts vary in instrument and pattern, and notes are humanized (timing jitter of up
to 10 ms, velocity spread) so nothing sits on an exact grid. The *clean* clips are WAV,
FLAC or OGG at 22050, 44100 or 48000 Hz. Each *degraded* clip is a clean one with one of:
white noise at 20 dB SNR, a reverb (pedalboard ``Reverb``), or 128 kbit/s MP3 encoding.

Output (not committed, ``/data`` is ignored): ``data/listen_eval/{clean,degraded}/`` with
one audio file and one ``.json`` truth per clip; ``bench/listen_eval_manifest.json`` (committed)
lists every clip with the sha256 of its truth, so a rebuilt set can be checked against it.

Run: ``.venv/bin/python scripts/build_listen_eval.py [--clips 48] [--seed 5]`` (about two
minutes on one core).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from pedalboard import Pedalboard, Reverb  # type: ignore[attr-defined]
from pedalboard.io import AudioFile

from bandmate.music.chord import parse_chord
from bandmate.music.song import (
    ChordEvent,
    Instrument,
    MeterChange,
    Note,
    Song,
    TempoChange,
    Track,
)
from bandmate.render import render_song

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "listen_eval"
MANIFEST = ROOT / "bench" / "listen_eval_manifest.json"
PPQ = 480
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Scale degree (semitones above the tonic) and quality of each numeral.
NUMERALS: dict[str, tuple[int, str]] = {
    "I": (0, "maj"), "ii": (2, "min"), "iii": (4, "min"), "IV": (5, "maj"), "V": (7, "maj"),
    "V7": (7, "7"), "vi": (9, "min"), "i": (0, "min"), "iv": (5, "min"), "III": (3, "maj"),
    "VI": (8, "maj"), "VII": (10, "maj"), "v": (7, "min"), "bVII": (10, "maj"),
    "I7": (0, "7"), "IV7": (5, "7"),
}  # fmt: skip
MAJOR_PROGRESSIONS = (
    "I IV V I", "I vi IV V", "I V vi IV", "I ii V7 I", "I IV I V", "I vi ii V7",
    "I iii IV V", "I IV vi V", "I V IV I", "I bVII IV I", "I ii IV V", "I7 IV7 I7 V7",
)  # fmt: skip
MINOR_PROGRESSIONS = (
    "i iv V i", "i VI III VII", "i iv VII III", "i VII VI V", "i iv v i", "i VI iv V7",
    "i III VII iv", "i iv i V7",
)  # fmt: skip
INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10)}
QUALITY_SYMBOL = {"maj": "", "min": "m", "7": "7"}
COMPING = (
    0,
    4,
    16,
    24,
    25,
    48,
    52,
    89,
    5,
    19,
)  # piano, e-piano, organs, guitars, strings, choir, pad
BASSES = (32, 33, 34, 38)
LEADS = (73, 40, 56, 65, 71, 11, 80)  # flute, violin, trumpet, alto sax, clarinet, vibraphone, lead


@dataclass(frozen=True)
class Plan:
    name: str
    tonic: int
    mode: str
    bpm: float
    beats_per_bar: int
    progression: tuple[str, ...]
    chords_per_bar: int
    comping: int
    pattern: str
    bass: int
    lead: int | None
    drums: bool
    rate: int
    fmt: str


def draw_plan(rng: random.Random, index: int) -> Plan:
    tonic = index % 12
    mode = "major" if (index // 12) % 2 == 0 else "minor"
    bank = MAJOR_PROGRESSIONS if mode == "major" else MINOR_PROGRESSIONS
    meter = 3 if rng.random() < 0.25 else 4
    return Plan(
        name=f"song{index:03d}",
        tonic=tonic,
        mode=mode,
        bpm=round(rng.uniform(70.0, 170.0), 1),
        beats_per_bar=meter,
        progression=tuple(rng.choice(bank).split()),
        chords_per_bar=2 if meter == 4 and rng.random() < 0.3 else 1,
        comping=rng.choice(COMPING),
        pattern=rng.choice(("block", "arpeggio", "sustain", "offbeat")),
        bass=rng.choice(BASSES),
        lead=rng.choice(LEADS) if rng.random() < 0.7 else None,
        drums=rng.random() < 0.7,
        rate=rng.choice((22_050, 44_100, 48_000)),
        fmt=rng.choice(("wav", "wav", "flac", "ogg")),
    )


def _chord_pcs(root: int, quality: str) -> list[int]:
    return [(root + i) % 12 for i in INTERVALS[quality]]


def build_song(plan: Plan, rng: random.Random, seconds: float) -> tuple[Song, list[list[Any]]]:
    """The song and its chord truth ``[[start_s, end_s, label], ...]``."""
    beat_s = 60.0 / plan.bpm
    bar_ticks = plan.beats_per_bar * PPQ
    bars = int(np.ceil(seconds / (beat_s * plan.beats_per_bar)))
    jitter = max(1, round(0.010 / beat_s * PPQ))  # 10 ms in ticks

    def human(tick: int) -> int:
        return max(0, tick + rng.randint(-jitter, jitter))

    chord_ticks = bar_ticks // plan.chords_per_bar
    comp: list[Note] = []
    bass: list[Note] = []
    lead: list[Note] = []
    drums: list[Note] = []
    lane: list[ChordEvent] = []
    truth: list[list[Any]] = []
    scale = (0, 2, 4, 5, 7, 9, 11) if plan.mode == "major" else (0, 2, 3, 5, 7, 8, 10)
    slots = bars * plan.chords_per_bar
    for slot in range(slots):
        numeral = plan.progression[slot % len(plan.progression)]
        degree, quality = NUMERALS[numeral]
        root = (plan.tonic + degree) % 12
        start = slot * chord_ticks
        pcs = _chord_pcs(root, quality)
        # Close voicing between MIDI 55 and 76.
        voicing = sorted(55 + (pc - 55) % 12 for pc in pcs)
        lane.append(
            ChordEvent(start, chord_ticks, parse_chord(NAMES[root] + QUALITY_SYMBOL[quality]))
        )
        seconds_start = start / PPQ * beat_s
        truth.append([seconds_start, seconds_start + chord_ticks / PPQ * beat_s,
                      f"{NAMES[root]}:{quality}"])  # fmt: skip
        beats_here = chord_ticks // PPQ
        for b in range(beats_here):
            tick = start + b * PPQ
            if plan.pattern == "block":
                comp += [Note(p, human(tick), PPQ - 40, rng.randint(60, 85)) for p in voicing]
            elif plan.pattern == "offbeat":
                comp += [Note(p, human(tick + PPQ // 2), PPQ // 2 - 30, rng.randint(60, 80))
                         for p in voicing]  # fmt: skip
                if b == 0:
                    comp += [Note(p, human(tick), PPQ // 2 - 30, 75) for p in voicing]
            elif plan.pattern == "arpeggio":
                for half in range(2):
                    p = voicing[(2 * b + half) % len(voicing)] + (
                        12 if (2 * b + half) % 4 == 3 else 0
                    )
                    comp.append(
                        Note(p, human(tick + half * PPQ // 2), PPQ // 2, rng.randint(60, 85))
                    )
            elif b == 0:
                comp += [
                    Note(p, human(tick), chord_ticks - 20, rng.randint(55, 75)) for p in voicing
                ]
        bass_pitch = 36 + (root - 36) % 12
        if beats_here >= 2 and rng.random() < 0.5:
            bass.append(Note(bass_pitch, human(start), 2 * PPQ - 30, rng.randint(85, 105)))
            fifth = bass_pitch + 7 if bass_pitch + 7 <= 52 else bass_pitch - 5
            rest = chord_ticks - 2 * PPQ
            if rest > 0:
                bass.append(Note(fifth, human(start + 2 * PPQ), rest - 30, rng.randint(75, 95)))
        else:
            bass.append(Note(bass_pitch, human(start), chord_ticks - 30, rng.randint(85, 105)))
        if plan.lead is not None:
            # A melody of chord tones on strong beats and scale steps between.
            for b in range(beats_here):
                tick = start + b * PPQ
                if rng.random() < 0.2:
                    continue
                pc = rng.choice(pcs) if b % 2 == 0 else (plan.tonic + rng.choice(scale)) % 12
                lead.append(Note(72 + (pc - 72) % 12, human(tick), PPQ - 30, rng.randint(70, 95)))
    if plan.drums:
        for bar in range(bars):
            for b in range(plan.beats_per_bar):
                tick = bar * bar_ticks + b * PPQ
                if plan.beats_per_bar == 4:
                    drum = 36 if b in (0, 2) else 38
                else:
                    drum = 36 if b == 0 else 42
                drums.append(
                    Note(
                        drum,
                        human(tick),
                        120,
                        rng.randint(90, 115) if b == 0 else rng.randint(70, 95),
                    )
                )
                drums.append(Note(42, human(tick + PPQ // 2), 60, rng.randint(50, 70)))
                if plan.beats_per_bar == 4:
                    drums.append(Note(42, human(tick), 60, rng.randint(55, 75)))
            if bar == 0 or rng.random() < 0.15:
                drums.append(Note(49, human(bar * bar_ticks), 240, 90))  # crash on the bar line
    tracks = [
        Track("Comping", Instrument(plan.comping), tuple(comp), volume=90),
        Track("Bass", Instrument(plan.bass), tuple(bass), volume=100),
    ]
    if lead and plan.lead is not None:
        tracks.append(Track("Lead", Instrument(plan.lead), tuple(lead), volume=85, pan=10))
    if drums:
        tracks.append(Track("Drums", Instrument(0, drums=True), tuple(drums), volume=95))
    song = Song(
        title=plan.name,
        ppq=PPQ,
        tempos=(TempoChange(0, plan.bpm),),
        meters=(MeterChange(0, plan.beats_per_bar, 4),),
        tracks=tuple(tracks),
        chords=tuple(lane),
    )
    return song, truth


def truth_of(plan: Plan, chords: list[list[Any]], seconds: float) -> dict[str, Any]:
    beat_s = 60.0 / plan.bpm
    beats = [round(k * beat_s, 5) for k in range(int(seconds / beat_s) + 1) if k * beat_s < seconds]
    kept = [
        [round(s, 5), round(min(e, seconds), 5), label] for s, e, label in chords if s < seconds
    ]
    return {
        "name": plan.name,
        "key": f"{NAMES[plan.tonic]} {plan.mode}",
        "tonic": plan.tonic,
        "mode": plan.mode,
        "bpm": plan.bpm,
        "beats_per_bar": plan.beats_per_bar,
        "beats": beats,
        "downbeats": beats[:: plan.beats_per_bar],
        "chords": kept,
        "seconds": round(seconds, 5),
        "progression": list(plan.progression),
        "instruments": {
            "comping": plan.comping,
            "bass": plan.bass,
            "lead": plan.lead,
            "drums": plan.drums,
        },
        "pattern": plan.pattern,
        "sample_rate": plan.rate,
    }


def write_clip(path: Path, audio: np.ndarray, rate: int) -> None:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.98:
        audio = audio * (0.98 / peak)
    if path.suffix == ".mp3":
        with AudioFile(str(path), "w", rate, audio.shape[1], quality=128) as file:
            file.write(np.ascontiguousarray(audio.T.astype(np.float32)))
    else:
        soundfile.write(str(path), audio, rate)


def degrade(audio: np.ndarray, rate: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "noise":
        power = float(np.mean(audio**2))
        noise = rng.standard_normal(audio.shape) * np.sqrt(power / 10 ** (20 / 10))
        noisy: np.ndarray = (audio + noise).astype(np.float32)
        return noisy
    if kind == "reverb":
        board = Pedalboard([Reverb(room_size=0.7, wet_level=0.35, dry_level=0.8, damping=0.4)])
        wet: np.ndarray = board(audio.T.astype(np.float32), rate).T
        return wet
    return audio  # "mp3": the encoding itself degrades


CHORALE_VOICES = ((19, 19, 19, 19), (40, 41, 42, 43), (52, 52, 52, 52), (0, 0, 0, 0),
                  (71, 68, 70, 58), (48, 48, 48, 48))  # fmt: skip
"""Organ, string quartet, choir, piano, woodwinds with tuba, string ensemble."""
_HARTE = {"": "maj", "m": "min", "7": "7", "m7": "min7", "maj7": "maj7", "dim": "dim",
          "dim7": "dim7", "m7b5": "hdim7", "aug": "aug"}  # fmt: skip


def chorale_label(numeral: str, key_name: str) -> str:
    """Harte label of a roman numeral in a key; ``X`` (not scored) when it has no simple one."""
    from bandmate.errors import BandmateError
    from bandmate.music.key import parse_key
    from bandmate.music.roman import roman_to_chord

    try:
        chord = roman_to_chord(numeral, parse_key(key_name))
    except BandmateError:
        return "X"
    quality = _HARTE.get(chord.quality)
    if quality is None or chord.added or chord.alterations:
        return "X"
    return f"{NAMES[chord.root_pc]}:{quality}"


def build_chorale(piece: dict[str, Any], rng: random.Random, seconds: float, name: str
                  ) -> tuple[Song, dict[str, Any], int, str]:  # fmt: skip
    """A held-out Bach chorale as a song, its truth, sample rate and file format.

    The notes are music21's (all four voices); the key is the piece's, the chords are the
    committed per-beat labels of ``bandmate.assist`` (``scripts/assist_data.py``), beats
    are quarter notes, downbeats the bar lines. Fermatas are not held: the tempo is steady.
    """
    from music21 import corpus

    score = corpus.parse(piece["id"].split("/", 1)[1])
    bpm = round(rng.uniform(60.0, 100.0), 1)
    beat_s = 60.0 / bpm
    voices = rng.choice(CHORALE_VOICES)
    tracks = []
    for index, part in enumerate(score.parts[:4]):
        notes = []
        for n in part.flatten().notes:
            if n.isChord:
                continue
            start = float(n.offset)
            if start * beat_s >= seconds:
                break
            jitter = rng.randint(-5, 5)
            notes.append(Note(int(n.pitch.midi), max(0, round(start * PPQ) + jitter),
                              max(1, round(float(n.quarterLength) * PPQ) - 20),
                              rng.randint(65, 90)))  # fmt: skip
        tracks.append(Track(f"Voice {index + 1}", Instrument(voices[index]), tuple(notes)))
    numerator = int(str(piece["meter"]).split("/")[0])
    song = Song(title=name, ppq=PPQ, tempos=(TempoChange(0, bpm),),
                meters=(MeterChange(0, numerator, 4),), tracks=tuple(tracks))  # fmt: skip
    chords = []
    for segment in piece["segments"]:
        for onset, length, numeral in segment["chords"]:
            start, end = onset * beat_s, (onset + length) * beat_s
            if start < seconds:
                chords.append([round(start, 5), round(min(end, seconds), 5),
                               chorale_label(numeral, segment["key"])])  # fmt: skip
    beats = [round(k * beat_s, 5) for k in range(int(seconds / beat_s) + 1) if k * beat_s < seconds]
    downbeats = [round(b * beat_s, 5) for b in piece["bars"] if b * beat_s < seconds]
    key = str(piece["key"])
    tonic, mode = key.split()
    tonic_pc = NAMES.index(tonic) if tonic in NAMES else _pc_of(tonic)
    truth = {
        "name": name, "key": key, "tonic": tonic_pc, "mode": mode, "bpm": bpm,
        "beats_per_bar": numerator, "beats": beats, "downbeats": downbeats, "chords": chords,
        "seconds": seconds, "source": piece["id"], "instruments": list(voices),
    }  # fmt: skip
    rate = rng.choice((22_050, 44_100, 48_000))
    return song, truth, rate, rng.choice(("wav", "flac"))


def _pc_of(name: str) -> int:
    from bandmate.music.pitch import parse_pitch_class

    return parse_pitch_class(name).pc


def _held_out_chorales(count: int, split: str) -> list[dict[str, Any]]:
    from bandmate.assist.dataset import load_pieces, manifest

    pieces = load_pieces()
    ids = [p for p in manifest()["splits"][split] if p.startswith("bach/")]
    return [pieces[p] for p in ids[:count]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clips",
        type=int,
        default=48,
        help="generated clean clips (a multiple of 24 keeps keys even)",
    )
    parser.add_argument(
        "--chorales", type=int, default=12, help="held-out Bach chorales (test split), up to 35"
    )
    parser.add_argument(
        "--chorale-split",
        default="test",
        choices=("test", "validation"),
        help="test for the evaluation set; validation for a development set",
    )
    parser.add_argument("--seconds", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--manifest",
        type=str,
        default=str(MANIFEST),
        help="where to list the clips ('' for nowhere)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    noise_rng = np.random.default_rng(args.seed)
    (args.out / "clean").mkdir(parents=True, exist_ok=True)
    (args.out / "degraded").mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    started = time.perf_counter()
    jobs: list[tuple[str, Any]] = [("song", i) for i in range(args.clips)]
    jobs += [("chorale", piece) for piece in _held_out_chorales(args.chorales, args.chorale_split)]
    for index, (kind_of, item) in enumerate(jobs):
        if kind_of == "song":
            plan = draw_plan(rng, item)
            song, chords = build_song(plan, rng, args.seconds)
            rate, fmt, name = plan.rate, plan.fmt, plan.name
        else:
            name = f"chorale{index - args.clips:03d}"
            song, truth, rate, fmt = build_chorale(item, rng, args.seconds, name)
        audio = render_song(song, sample_rate=rate, tail_seconds=0.5)
        audio = audio[: int(args.seconds * rate)]
        if kind_of == "song":
            truth = truth_of(plan, chords, len(audio) / rate)
        kind = ("noise", "reverb", "mp3")[index % 3]
        for split, ext, samples, degradation in (
            ("clean", fmt, audio, None),
            ("degraded", "mp3" if kind == "mp3" else "wav",
             degrade(audio, rate, kind, noise_rng), kind),
        ):  # fmt: skip
            path = args.out / split / f"{name}.{ext}"
            write_clip(path, np.asarray(samples), rate)
            record = dict(truth, degradation=degradation, file=path.name)
            text = json.dumps(record, indent=1)
            path.with_suffix(".json").write_text(text, encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            manifest.append(
                {"split": split, "file": path.name, "key": truth["key"], "bpm": truth["bpm"],
                 "degradation": degradation, "truth_sha256": digest}
            )  # fmt: skip
        print(f"\r{index + 1}/{len(jobs)} clips", end="", file=sys.stderr, flush=True)
    print(
        f"\nbuilt {len(manifest)} clips in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    if args.manifest:
        text = json.dumps({"seed": args.seed, "clips": manifest}, indent=1) + "\n"
        Path(args.manifest).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
