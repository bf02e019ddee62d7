"""Harmony voices as data: how a lower voice sits under a melody, note against note.

A piece of polyphony (``corpus/voices.json.gz``, written by ``scripts/voices_data.py``:
Palestrina movements and the Bach chorales) gives one sequence per lower voice: at each
onset of the top voice (the melody), the interval in semitones down to the note the lower
voice sounds there (0..35), or a rest. What is known at each step is the melody note's
pitch class relative to the key's tonic, the melodic interval from the previous melody note
and to the next one, whether the onset is a downbeat or a half-bar, the note's length, the
mode, how deep the voice is (right under the melody, an inner voice, or the bass) and the
style (chorale or Palestrina): :func:`step_features`. The previous step's interval is fed
back as the model's own input. No torch here: the baseline and the tests use it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np

from bandmate.assist.dataset import read_corpus
from bandmate.assist.errors import AssistError
from bandmate.music.key import parse_key

VoiceStyle = Literal["chorale", "palestrina"]
VOICE_STYLES: tuple[VoiceStyle, ...] = ("chorale", "palestrina")
Split = Literal["train", "validation", "test"]
UNIT = 24  # ticks per quarter note in the data
MAX_INTERVAL = 35
REST = MAX_INTERVAL + 1  # the class of "the voice rests here"
N_CLASSES = REST + 1
START = N_CLASSES  # the "previous interval" before the first note
DEPTHS = 3  # 1: right under the melody, 2: an inner voice, 3: the bass
IGNORE = -100  # a target that is not learned (the lower voice crosses above, or too far)
MOTION = 12  # melodic intervals are clipped to -12..12
DURATION_EDGES = (6, 12, 24, 48, 96)  # sixteenth, eighth, quarter, half, whole (in 24ths)
N_FEATURES = 12 + 2 * (2 * MOTION + 1) + 2 + (len(DURATION_EDGES) + 1) + 1 + DEPTHS + 2
"""Width of :func:`step_features`: 76."""


@dataclass(frozen=True, slots=True)
class VoiceSequence:
    """One lower voice under one melody, step by step (one step per melody note).

    Attributes:
        piece: The piece's id.
        features: Shape ``(T, N_FEATURES)``, float32.
        targets: Interval class per step (0..35 semitones below, ``REST``) or ``IGNORE``.
        previous: The model's input per step: the previous target (``START`` first, a
            crossed or too-far step read as ``REST``).
        melody: MIDI pitch of each melody note, shape ``(T,)``.
        strong: Whether each onset is a downbeat or half-bar, shape ``(T,)``.
        durations: Each melody note's length in 24ths; ``downbeat``: whether it starts a bar.
        tonic_pc: The key's tonic; ``minor``: its mode; ``depth``: 1..3; ``style``.
    """

    piece: str
    features: np.ndarray
    targets: np.ndarray
    previous: np.ndarray
    melody: np.ndarray
    strong: np.ndarray
    durations: tuple[int, ...]
    downbeat: tuple[bool, ...]
    tonic_pc: int
    minor: bool
    depth: int
    style: VoiceStyle


def step_features(
    melody: Sequence[int],
    durations: Sequence[int],
    downbeat: Sequence[bool],
    half_bar: Sequence[bool],
    *,
    tonic_pc: int,
    minor: bool,
    depth: int,
    style: VoiceStyle,
) -> np.ndarray:
    """What is known at each melody note, shape ``(T, N_FEATURES)``, float32.

    Args:
        melody: MIDI pitches of the melody notes, in order.
        durations: Their lengths in 24ths of a quarter note.
        downbeat: Whether each starts a bar; ``half_bar``: whether it starts a half bar.
        tonic_pc: The key's tonic pitch class; ``minor``: its mode.
        depth: 1 (right under the melody), 2 (inner) or 3 (bass).
        style: ``"chorale"`` or ``"palestrina"``.
    """
    if not 1 <= depth <= DEPTHS:
        raise AssistError(f"depth={depth} must be in 1..{DEPTHS}")
    n = len(melody)
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    pitches = np.asarray(melody, dtype=np.int64)
    rows = np.arange(n)
    out[rows, (pitches - tonic_pc) % 12] = 1
    base = 12
    before = np.diff(pitches, prepend=pitches[:1]) if n else pitches
    after = np.diff(pitches, append=pitches[-1:]) if n else pitches
    out[rows, base + np.clip(before, -MOTION, MOTION) + MOTION] = 1
    base += 2 * MOTION + 1
    out[rows, base + np.clip(after, -MOTION, MOTION) + MOTION] = 1
    base += 2 * MOTION + 1
    out[:, base] = np.asarray(downbeat, dtype=np.float32)
    out[:, base + 1] = np.asarray(half_bar, dtype=np.float32)
    base += 2
    buckets = np.searchsorted(DURATION_EDGES, np.asarray(durations), side="left")
    out[rows, base + buckets] = 1
    base += len(DURATION_EDGES) + 1
    out[:, base] = float(minor)
    out[:, base + depth] = 1
    base += 1 + DEPTHS
    out[:, base + VOICE_STYLES.index(style)] = 1
    return out


def interval_class(melody_pitch: int, lower_pitch: int | None) -> int:
    """The target class of a lower pitch under a melody pitch (``IGNORE`` if it crosses or is
    more than 35 semitones down; ``REST`` when the voice is silent)."""
    if lower_pitch is None:
        return REST
    interval = melody_pitch - lower_pitch
    return interval if 0 <= interval <= MAX_INTERVAL else IGNORE


def _sounding(notes: list[list[int]], starts: list[int], tick: int) -> int | None:
    i = bisect_right(starts, tick) - 1
    if i >= 0 and notes[i][0] + notes[i][1] > tick:
        return notes[i][2]
    return None


def _bar_length(meter: str) -> int:
    num, den = (int(x) for x in meter.split("/"))
    return max(1, num * 4 * UNIT // den)


def encode_piece(piece: dict[str, Any]) -> list[VoiceSequence]:
    """One sequence per lower voice of the piece (its top voice is the melody)."""
    key = parse_key(piece["key"])
    style: VoiceStyle = "chorale" if piece["collection"] == "bach" else "palestrina"
    voices: list[list[list[int]]] = piece["voices"]
    top = sorted(voices[0])
    bar = _bar_length(piece["meter"])
    onsets = [n[0] for n in top]
    melody = [n[2] for n in top]
    durations = [n[1] for n in top]
    downbeat = [t % bar == 0 for t in onsets]
    half_bar = [bar % 2 == 0 and t % (bar // 2) == 0 for t in onsets]
    out = []
    for index in range(1, len(voices)):
        depth = DEPTHS if index == len(voices) - 1 else 1 if index == 1 else 2
        lower = sorted(voices[index])
        starts = [n[0] for n in lower]
        targets = np.array(
            [interval_class(m, _sounding(lower, starts, t)) for t, m in zip(onsets, melody,
             strict=True)], dtype=np.int64,
        )  # fmt: skip
        fed = np.where(targets == IGNORE, REST, targets)
        previous = np.concatenate([[START], fed[:-1]]).astype(np.int64)
        features = step_features(
            melody, durations, downbeat, half_bar, tonic_pc=key.tonic_pc,
            minor=key.is_minor, depth=depth, style=style,
        )  # fmt: skip
        out.append(
            VoiceSequence(piece["id"], features, targets, previous, np.array(melody),
                          np.array(half_bar) | np.array(downbeat), tuple(durations),
                          tuple(downbeat), key.tonic_pc, key.is_minor, depth, style)
        )  # fmt: skip
    return out


@cache
def _raw() -> tuple[dict[str, Any], dict[str, Any]]:
    data, manifest = read_corpus(
        "voices.json.gz", "voices_manifest.json", "voices data", "voices_data.py"
    )
    if data.get("unit") != UNIT:
        raise AssistError(f"voices data unit={data.get('unit')} must be {UNIT}")
    return data, manifest


def voices_manifest() -> dict[str, Any]:
    """The committed manifest: seed, licences and the piece ids of each split."""
    return _raw()[1]


@cache
def load_split(split: Split) -> tuple[VoiceSequence, ...]:
    """Every lower voice of every piece of ``split``, in manifest order."""
    data, manifest = _raw()
    pieces = {p["id"]: p for p in data["pieces"]}
    out: list[VoiceSequence] = []
    for piece_id in manifest["splits"][split]:
        out += encode_piece(pieces[piece_id])
    return tuple(out)
