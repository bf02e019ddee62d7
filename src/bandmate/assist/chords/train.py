"""Train the chord transformer, fit the n-gram baseline, and score both on held-out pieces.

Read top to bottom: data, model, optimizer, the loop (with validation and early
stopping), then the held-out test scores of both models side by side, written next to
the weights. ``scripts/train_chords.py`` runs :func:`main`.

The data is small (about 20k training tokens), so the network is small and regularised
hard: dropout, weight decay, and the best validation checkpoint is kept. Style dropout
replaces the style token with ``style:any`` in a share of the training batches, so the
model also answers without a style.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F  # noqa: N812 (the PyTorch convention)

from bandmate.assist.chords.evaluate import fit_best_ngram, score_neural, score_ngram
from bandmate.assist.chords.model import ChordsConfig, ChordsGPT, save_checkpoint
from bandmate.assist.chords.ngram import PREFIX
from bandmate.assist.dataset import (
    ANY_STYLE,
    PAD,
    Vocabulary,
    encode_split,
    load_sequences,
    manifest,
    style_token,
)
from bandmate.assist.training import EarlyStopping

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
IGNORE = -100  # targets F.cross_entropy skips: padding and the conditioning tokens


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to train (saved in the checkpoint's metadata)."""

    max_steps: int = 3000
    batch_size: int = 32
    learning_rate: float = 2e-3
    min_learning_rate: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    style_dropout: float = 0.2
    eval_every: int = 150
    patience: int = 6  # evaluations without a better validation NLL before stopping
    seed: int = 1234
    threads: int = 1


def make_batch(
    data: list[list[int]], rng: random.Random, cfg: TrainConfig, block: int, any_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of sequences (long ones cropped at random, style kept), padded to one length.

    Returns:
        ``x`` and ``y``, both ``(B, T)``; ``y`` is ``x`` shifted by one with ``IGNORE`` on
        padding and on the mode token (given, not predicted).
    """
    rows = []
    for _ in range(cfg.batch_size):
        seq = data[rng.randrange(len(data))]
        if len(seq) > block + 1:  # keep style and mode, crop the chords
            start = rng.randrange(PREFIX, len(seq) - (block + 1 - PREFIX) + 1)
            seq = seq[:PREFIX] + seq[start : start + block + 1 - PREFIX]
        if rng.random() < cfg.style_dropout:
            seq = [any_id, *seq[1:]]
        rows.append(seq)
    t = max(len(r) for r in rows) - 1
    x = torch.zeros((len(rows), t), dtype=torch.long)  # (B, T), padded with <pad> = 0
    y = torch.full((len(rows), t), IGNORE, dtype=torch.long)  # (B, T)
    for i, seq in enumerate(rows):
        x[i, : len(seq) - 1] = torch.tensor(seq[:-1])
        y[i, PREFIX - 1 : len(seq) - 1] = torch.tensor(seq[PREFIX:])
    return x, y


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_learning_rate``."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return cfg.min_learning_rate + cosine * (cfg.learning_rate - cfg.min_learning_rate)


def train(
    model_cfg: ChordsConfig, cfg: TrainConfig, vocab: Vocabulary, *, log: bool = True
) -> tuple[ChordsGPT, dict[str, float]]:
    """Train on the train split, keep the weights with the best validation NLL."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    train_data = encode_split("train", vocab)
    val_data = encode_split("validation", vocab)
    any_id = vocab.id(style_token(ANY_STYLE))

    model = ChordsGPT(model_cfg)
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # biases and norms
    groups: list[dict[str, Any]] = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(
        groups,
        lr=cfg.learning_rate,
        betas=(0.9, 0.99),
    )

    stopping = EarlyStopping(model, cfg.patience)
    for step in range(cfg.max_steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        model.train()
        x, y = make_batch(train_data, rng, cfg, model_cfg.block_size, any_id)  # (B, T) each
        logits = model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.max_steps:
            val_nll = score_neural(model, val_data).nll
            stop = stopping.update(step + 1, val_nll)
            if log:
                took = stopping.seconds()
                print(f"step {step + 1:5d}  loss {loss.item():.3f}  val {val_nll:.4f}  {took:.0f}s")
            if stop:
                break

    return model, stopping.restore()


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Train, evaluate on the test split, save ``weights/chords.pt`` and ``weights/chords.json``."""
    parser = argparse.ArgumentParser(description="Train the bandmate's chord model.")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--steps", type=int, default=TrainConfig().max_steps)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embd", type=int, default=96)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    args = parser.parse_args(argv)

    vocab = Vocabulary.build(load_sequences("train"))
    model_cfg = ChordsConfig(
        vocab_size=len(vocab), n_layer=args.layers, n_embd=args.embd, dropout=args.dropout
    )
    cfg = TrainConfig(max_steps=args.steps, seed=args.seed)
    model, stats = train(model_cfg, cfg, vocab)

    # The baseline: Kneser-Ney on the same train split, its order chosen on validation.
    train_data = encode_split("train", vocab)
    val_data = encode_split("validation", vocab)
    test_data = encode_split("test", vocab)
    ngram, orders = fit_best_ngram(train_data, val_data, len(vocab))
    neural_test = score_neural(model, test_data)
    ngram_test = score_ngram(ngram, test_data)

    print(f"\n{'test split':<16}{'NLL':>8}{'ppl':>8}{'top-1':>8}{'top-3':>8}")
    for name, s in (("transformer", neural_test), (f"KN {ngram.order}-gram", ngram_test)):
        print(f"{name:<16}{s.nll:8.4f}{s.perplexity:8.2f}{s.top1:8.3f}{s.top3:8.3f}")

    report: dict[str, object] = {
        "parameters": model.num_parameters(),
        "vocab_size": len(vocab),
        "train": {**asdict(cfg), **stats},
        "ngram_validation_nll_by_order": orders,
        "ngram_order": ngram.order,
        "test": {"transformer": neural_test.as_dict(), "ngram": ngram_test.as_dict()},
        "split_seed": manifest()["seed"],
    }
    assert vocab.tokens[0] == PAD
    args.out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out / "chords.pt", model, vocab.tokens, {"ngram_order": ngram.order})
    (args.out / "chords.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
