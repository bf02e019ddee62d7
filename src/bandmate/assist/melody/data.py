"""The committed melody data: folk tunes as token sequences with their bar positions and chords.

``corpus/melodies.json.gz`` is written once by ``scripts/melody_data.py`` from music21's folk
collections; ``corpus/melody_manifest.json`` holds the split by tune. This module turns each
tune into what the models read (see :mod:`bandmate.assist.melody.tokens`): the ids
``[meter, mode, note, ..., <eos>]`` and, for every target (each note and the end), its
onset bucket in the bar and the chord that the bar (or half bar) outlines. Tunes with a
note outside the pitch range or a length outside :data:`~.tokens.DURATIONS` are left out
of every split alike. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from bandmate.assist.dataset import read_corpus
from bandmate.assist.errors import AssistError
from bandmate.assist.melody.tokens import (
    DURATIONS,
    EOS,
    HIGH_REL,
    LOW_REL,
    UNIT,
    VOCAB,
    label_span,
    meter_token,
    mode_token,
    position_bucket,
    reference_tonic,
)
from bandmate.music.key import parse_key

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")
NO_CHORD = 1 << 12
"""The chord mask of "no chord" (bit 12)."""


@dataclass(frozen=True, slots=True)
class EncodedTune:
    """One tune as the models read it.

    Attributes:
        piece: The tune's id (``"oneills/0001-0050/12"``).
        ids: ``[meter, mode, note..., <eos>]`` token ids.
        positions: Onset bucket in the bar of each target (``len(ids) - 2`` of them).
        chords: Chord mask of each target: bit ``i`` is the pitch class ``i`` semitones
            above the tonic, bit 12 means no chord.
        tonic_pc: The key's tonic pitch class (to turn tokens back into pitches).
        bar_length: The meter's bar length in 24ths of a quarter.
    """

    piece: str
    ids: tuple[int, ...]
    positions: tuple[int, ...]
    chords: tuple[int, ...]
    tonic_pc: int
    bar_length: int


@cache
def _raw() -> tuple[dict[str, Any], dict[str, Any]]:
    data, manifest = read_corpus(
        "melodies.json.gz", "melody_manifest.json", "melody data", "melody_data.py"
    )
    if data.get("unit") != UNIT:
        raise AssistError(f"melody data unit={data.get('unit')} must be {UNIT}")
    return data, manifest


def load_pieces() -> dict[str, dict[str, Any]]:
    """Every extracted tune by id, as the data script wrote it."""
    return {p["id"]: p for p in _raw()[0]["pieces"]}


def melody_manifest() -> dict[str, Any]:
    """The committed manifest: seed, shares, licences, counts and the tune ids of each split."""
    return _raw()[1]


def bar_length(meter: str) -> int:
    """Ticks (24ths of a quarter) in a bar of ``meter`` (``"6/8"`` is 72)."""
    num, den = (int(x) for x in meter.split("/"))
    return num * 4 * UNIT // den


def beat_length(meter: str) -> int:
    """The beat in 24ths of a quarter: dotted in compound meters (6/8, 9/8, 12/8)."""
    num, den = (int(x) for x in meter.split("/"))
    unit = 4 * UNIT // den
    return 3 * unit if num > 3 and num % 3 == 0 else unit


def spans_per_bar(meter: str) -> int:
    """How many chords a bar gets: two in 4/4, 2/2, 4/2, 6/8, 6/4 and 12/8, else one."""
    num, den = (int(x) for x in meter.split("/"))
    return 2 if num in (4, 6, 12) or (num, den) == (2, 2) else 1


def chord_mask(pitch_classes: tuple[int, ...]) -> int:
    """The bit mask of pitch classes relative to the tonic (``NO_CHORD`` if empty)."""
    mask = 0
    for pc in pitch_classes:
        mask |= 1 << (pc % 12)
    return mask or NO_CHORD


def encode_piece(piece: dict[str, Any]) -> EncodedTune | None:
    """The tune as tokens, positions and chords; ``None`` if it does not fit the vocabulary."""
    key = parse_key(piece["key"])
    mode = "minor" if key.is_minor else "major"
    meter = piece["meter"]
    events = list(piece["events"])
    if not events:
        return None
    ref = reference_tonic(key.tonic_pc)
    pitches = [e[3] - ref for e in events if e[3] >= 0]
    shift = 0
    for candidate in (0, -12, 12, -24, 24):
        if min(pitches) + candidate >= LOW_REL and max(pitches) + candidate <= HIGH_REL:
            shift = candidate
            break
    else:
        return None
    length = bar_length(meter)
    spans = spans_per_bar(meter)
    span_len = max(1, length // spans)
    beat = beat_length(meter)
    # The chord of each (bar, span) from the notes that start in it.
    by_span: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for bar, position, duration, midi in events:
        if midi >= 0:
            span = min(position // span_len, spans - 1)
            by_span.setdefault((bar, span), []).append((position, duration, midi - ref + shift))
    labels = {s: chord_mask(label_span(notes, mode, beat)) for s, notes in by_span.items()}

    ids = [VOCAB.id(meter_token(meter)), VOCAB.id(mode_token(mode))]
    positions: list[int] = []
    chords: list[int] = []
    for bar, position, duration, midi in events:
        if duration not in DURATIONS:
            return None
        token = VOCAB.note_id(None if midi < 0 else midi - ref + shift, duration)
        if token is None:
            return None
        ids.append(token)
        positions.append(position_bucket(position))
        chords.append(labels.get((bar, min(position // span_len, spans - 1)), NO_CHORD))
    _, last_position, last_duration, _ = events[-1]
    ids.append(VOCAB.id(EOS))
    positions.append(position_bucket((last_position + last_duration) % length))
    chords.append(chords[-1])
    return EncodedTune(
        piece["id"], tuple(ids), tuple(positions), tuple(chords), key.tonic_pc, length
    )


@cache
def load_split(split: Split) -> tuple[EncodedTune, ...]:
    """The encoded tunes of one split, in manifest order (tunes that do not fit left out)."""
    if split not in SPLITS:
        raise AssistError(f"split={split!r} must be one of {SPLITS}")
    pieces = load_pieces()
    encoded = (encode_piece(pieces[i]) for i in melody_manifest()["splits"][split])
    return tuple(t for t in encoded if t is not None)
