"""Melody tokens: one token per note or rest, its pitch relative to the key and its length.

A note token joins two things: the pitch in semitones from the key's *reference tonic*
(the tonic in the octave from middle C up, C4..B4, so G major's is G4 = 67), within
``LOW_REL..HIGH_REL``, and the duration, one of :data:`DURATIONS` (in 24ths of a quarter
note). A rest token has a duration only. Pitches are relative to the tonic, so a tune and
its transpositions to every key give the same tokens: the representation is transposition
invariant by construction (it is the limit of transposition augmentation over all twelve
keys). Sequences start with a meter token and a mode token (``meter:6/8``, ``mode:minor``),
which condition everything after them.

Besides the previous token, the neural model reads three things at every note it
predicts, all known before the note is chosen: its onset within the bar, the meter and
mode, and the chord sounding at the onset as twelve pitch classes relative to the tonic
(plus one bit for "no chord"). No torch here: the Markov baseline and the tests use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bandmate.assist.errors import AssistError

UNIT = 24
"""Ticks per quarter note of the token grid (the stored corpus uses the same)."""
DURATIONS: tuple[int, ...] = (
    3, 4, 6, 8, 9, 12, 16, 18, 24, 30, 32, 36, 42, 48, 60, 72, 84, 96, 120, 144, 192,
)  # fmt: skip
"""Note and rest lengths in 24ths of a quarter: 32nd, triplet 16th, 16th, ... double whole."""
LOW_REL, HIGH_REL = -14, 26
"""Pitch range in semitones around the reference tonic (about two and a half octaves)."""
METERS: tuple[str, ...] = (
    "2/4", "3/4", "4/4", "2/2", "3/2", "4/2", "3/8", "6/8", "9/8", "12/8", "6/4", "5/4",
)  # fmt: skip
"""Meters with a token of their own; every other meter reads as ``meter:other``."""
MODES: tuple[str, ...] = ("major", "minor")
POSITIONS = 96
"""Onset-in-bar buckets (12ths of a quarter; later onsets share the last bucket)."""
CHORD_FEATURES = 13
"""Twelve pitch classes relative to the tonic, and one bit for "no chord"."""

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
PREFIX = 2
"""Conditioning tokens at the start of every sequence (meter, mode): context, never targets."""


def meter_token(meter: str) -> str:
    """The conditioning token of a meter such as ``"6/8"`` (``meter:other`` if it has none)."""
    return f"meter:{meter if meter in METERS else 'other'}"


def mode_token(mode: str) -> str:
    """The conditioning token of ``"major"`` or ``"minor"``."""
    if mode not in MODES:
        raise AssistError(f"mode={mode!r} must be one of {MODES}")
    return f"mode:{mode}"


def note_token(rel: int | None, duration: int) -> str:
    """The token of a note ``rel`` semitones from the reference tonic (``None``: a rest)."""
    return f"r:{duration}" if rel is None else f"n{rel}:{duration}"


@dataclass(frozen=True, slots=True)
class NoteToken:
    """What a note token means: relative pitch (``None`` for a rest) and duration in 24ths."""

    rel: int | None
    duration: int


class MelodyVocabulary:
    """The fixed token set: specials, meters, modes, then every pitch and duration pair.

    Ids: 0 ``<pad>``, 1 ``<eos>``, 2 ``<unk>``; then the meter and mode tokens; then one
    token per (relative pitch or rest, duration).
    """

    def __init__(self) -> None:
        tokens = [PAD, EOS, UNK]
        tokens += [meter_token(m) for m in (*METERS, "other")]
        tokens += [mode_token(m) for m in MODES]
        self.first_note = len(tokens)
        meanings: list[NoteToken] = []
        for rel in (None, *range(LOW_REL, HIGH_REL + 1)):
            for duration in DURATIONS:
                tokens.append(note_token(rel, duration))
                meanings.append(NoteToken(rel, duration))
        self.tokens = tuple(tokens)
        self.meanings = tuple(meanings)
        self._index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        """The id of ``token``."""
        try:
            return self._index[token]
        except KeyError as exc:
            raise AssistError(f"melody token={token!r} is not in the vocabulary") from exc

    def meaning(self, token_id: int) -> NoteToken:
        """The pitch and duration of a note token id."""
        if not self.first_note <= token_id < len(self.tokens):
            raise AssistError(f"token id={token_id} is not a note or rest token")
        return self.meanings[token_id - self.first_note]

    def note_id(self, rel: int | None, duration: int) -> int | None:
        """The id of a note or rest, or ``None`` when it is outside the vocabulary."""
        return self._index.get(note_token(rel, duration))

    @property
    def note_ids(self) -> range:
        """Ids of every note and rest token."""
        return range(self.first_note, len(self.tokens))


VOCAB = MelodyVocabulary()


def reference_tonic(tonic_pc: int) -> int:
    """The MIDI pitch of the tonic in the octave C4..B4 (60..71)."""
    return 60 + tonic_pc % 12


def position_bucket(position: int) -> int:
    """The onset-in-bar bucket of an onset ``position`` 24ths of a quarter into its bar."""
    return min(max(position, 0) // 2, POSITIONS - 1)


def chord_vector(pitch_classes: Sequence[int] | None, tonic_pc: int) -> list[float]:
    """The 13 chord features: pitch classes relative to the tonic, then "no chord"."""
    vector = [0.0] * CHORD_FEATURES
    if not pitch_classes:
        vector[12] = 1.0
        return vector
    for pc in pitch_classes:
        vector[(pc - tonic_pc) % 12] = 1.0
    return vector


# Diatonic triads a bar of a folk tune is labelled with: (root above the tonic, third,
# fifth, prior). The prior favours the tonic, dominant and subdominant, as folk
# accompaniments do.
_TRIADS: dict[str, tuple[tuple[int, int, int, float], ...]] = {
    "major": ((0, 4, 7, 0.12), (2, 3, 7, 0.0), (4, 3, 7, -0.02), (5, 4, 7, 0.06),
              (7, 4, 7, 0.09), (9, 3, 7, 0.02)),
    "minor": ((0, 3, 7, 0.12), (3, 4, 7, 0.02), (5, 3, 7, 0.06), (7, 4, 7, 0.08),
              (7, 3, 7, 0.0), (8, 4, 7, 0.02), (10, 4, 7, 0.03)),
}  # fmt: skip


def label_span(notes: Sequence[tuple[int, int, int]], mode: str, beat: int) -> tuple[int, ...]:
    """The diatonic triad a stretch of melody outlines, as pitch classes above the tonic.

    The folk collections carry no chords, so the training data gets chords the way a
    player reads them from a tune: the triad (of the mode's common ones) whose tones take
    the largest share of the stretch's note time, onsets on a beat counting double.

    Args:
        notes: ``(position in the bar, duration, pitch relative to the tonic)`` of each
            note sounding in the stretch.
        mode: ``"major"`` or ``"minor"``.
        beat: The beat length in the same units as the positions (for the emphasis).

    Returns:
        Three pitch classes relative to the tonic (root, third, fifth); empty when the
        stretch has no notes.
    """
    if not notes:
        return ()
    weights = [0.0] * 12
    for position, duration, rel in notes:
        weights[rel % 12] += duration * (2.0 if position % max(beat, 1) == 0 else 1.0)
    total = sum(weights)
    best: tuple[float, tuple[int, ...]] | None = None
    for root, third, fifth, prior in _TRIADS[mode]:
        pcs = (root % 12, (root + third) % 12, (root + fifth) % 12)
        score = sum(weights[pc] for pc in pcs) / total + prior
        if best is None or score > best[0]:
            best = (score, pcs)
    assert best is not None  # every mode has triads
    return best[1]
