"""Tests for the committed chord data and its split."""

from __future__ import annotations

import pytest

from bandmate.assist.dataset import (
    EOS,
    PAD,
    SPLITS,
    STYLES,
    UNK,
    Vocabulary,
    load_sequences,
    manifest,
    mode_token,
    style_token,
)
from bandmate.assist.errors import AssistError
from bandmate.assist.labels import token_chord
from bandmate.music import Key


def test_splits_are_disjoint_and_by_piece() -> None:
    splits = manifest()["splits"]
    seen: set[str] = set()
    for name in SPLITS:
        ids = set(splits[name])
        assert len(ids) == len(splits[name])  # each piece once
        assert not ids & seen
        seen |= ids
    assert len(splits["train"]) > 4 * len(splits["test"]) > 0
    for name in SPLITS:
        assert {s.piece for s in load_sequences(name)} <= set(splits[name])


def test_every_style_is_in_every_split() -> None:
    for name in SPLITS:
        assert {s.style for s in load_sequences(name)} == set(STYLES)


def test_sequences_are_conditioned_and_closed() -> None:
    seq = load_sequences("train")[0]
    tokens = seq.tokens()
    assert tokens[0] == style_token(seq.style)
    assert tokens[1] == mode_token(seq.mode)
    assert tokens[-1] == EOS
    assert all(a != b for a, b in zip(seq.numerals, seq.numerals[1:], strict=False))


def test_every_numeral_spells_a_chord_in_its_key() -> None:
    for seq in load_sequences("validation"):
        tonic, mode = seq.key.split()
        key = Key(tonic, "minor" if mode == "minor" else "major")
        assert all(token_chord(n, key) is not None for n in seq.numerals)


def test_vocabulary_maps_unknown_numerals_and_lists_chords() -> None:
    vocab = Vocabulary.build(load_sequences("train"))
    assert vocab.tokens[:3] == (PAD, EOS, UNK)
    assert vocab.id("not-a-numeral") == vocab.id(UNK)
    assert vocab.encode(["I", "V"]) == [vocab.id("I"), vocab.id("V")]
    chords = {vocab.tokens[i] for i in vocab.numeral_ids}
    assert {"I", "V", "i", "V7"} <= chords
    assert not any(t.startswith(("<", "style:", "mode:")) for t in chords)


def test_bad_split_and_vocabulary_are_refused() -> None:
    with pytest.raises(AssistError, match="split='dev' must be one of"):
        load_sequences("dev")  # type: ignore[arg-type]
    with pytest.raises(AssistError, match="must be unique"):
        Vocabulary(["<pad>", "<pad>", "<unk>"])
