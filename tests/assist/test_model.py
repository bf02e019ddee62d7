"""Tests for the chord transformer: shapes, causality, checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bandmate.assist.chords.model import ChordsConfig, ChordsGPT, load_checkpoint, save_checkpoint
from bandmate.assist.chords.predictor import ChordPredictor
from bandmate.assist.errors import AssistError

CONFIG = ChordsConfig(vocab_size=20, block_size=16, n_layer=2, n_head=2, n_embd=16, dropout=0.0)


@pytest.fixture
def model() -> ChordsGPT:
    torch.manual_seed(0)
    return ChordsGPT(CONFIG).eval()


def test_logits_have_one_row_per_position(model: ChordsGPT) -> None:
    idx = torch.randint(0, 20, (3, 10), generator=torch.Generator().manual_seed(1))
    assert model(idx).shape == (3, 10, 20)


def test_the_future_does_not_leak_into_the_past(model: ChordsGPT) -> None:
    idx = torch.randint(0, 20, (1, 12), generator=torch.Generator().manual_seed(2))
    changed = idx.clone()
    changed[0, 8:] = (changed[0, 8:] + 1) % 20
    with torch.no_grad():
        a, b = model(idx), model(changed)
    assert torch.allclose(a[0, :8], b[0, :8], atol=1e-6)
    assert not torch.allclose(a[0, 8:], b[0, 8:])


def test_context_longer_than_the_block_is_refused(model: ChordsGPT) -> None:
    with pytest.raises(AssistError, match="context length=17 must be <= block_size=16"):
        model(torch.zeros((1, 17), dtype=torch.long))


def test_checkpoint_round_trip(model: ChordsGPT, tmp_path: Path) -> None:
    tokens = tuple(f"t{i}" for i in range(20))
    save_checkpoint(tmp_path / "m.pt", model, tokens, {"ngram_order": 3})
    loaded, vocab, meta = load_checkpoint(tmp_path / "m.pt")
    assert vocab == tokens
    assert meta == {"ngram_order": 3}
    assert loaded.config == CONFIG
    idx = torch.arange(10).unsqueeze(0)
    with torch.no_grad():
        assert torch.equal(loaded(idx), model(idx))
    assert loaded.lm_head.weight is loaded.wte.weight


def test_a_broken_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssistError, match="could not be loaded"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(AssistError, match="could not be loaded"):
        load_checkpoint(tmp_path / "junk.pt")


def test_the_committed_model_is_small(predictor: ChordPredictor) -> None:
    assert predictor.model.num_parameters() < 1_000_000
    assert not predictor.model.training
