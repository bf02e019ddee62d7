"""Train the melody GRU, fit its Markov baseline, and score both on held-out tunes.

Read top to bottom: data (encoded tunes as arrays), batches (random windows of whole
tunes), the loop (warm-up and cosine decay, validation and early stopping), then the
held-out scores of both models side by side, written next to the weights.
``scripts/train_melody.py`` runs :func:`main`.

The baseline is a Markov chain over the same tokens: an interpolated Kneser–Ney n-gram
model (:class:`bandmate.assist.chords.ngram.KneserNey`) whose order is chosen on the
validation split. Both are scored by the mean negative log-likelihood (nats) per target
token (each note or rest and the end of the tune) on the test split.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812 (the PyTorch convention)

from bandmate.assist.chords.ngram import KneserNey
from bandmate.assist.melody.data import NO_CHORD, EncodedTune, load_split, melody_manifest
from bandmate.assist.melody.generate import markov_cache_path
from bandmate.assist.melody.model import MelodyConfig, MelodyGRU, round_to_half, save_melody
from bandmate.assist.melody.tokens import CHORD_FEATURES, PREFIX, VOCAB
from bandmate.assist.training import EarlyStopping

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
IGNORE = -100
_BITS = np.arange(CHORD_FEATURES, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to train (saved in the checkpoint's metadata)."""

    max_steps: int = 900
    batch_size: int = 64
    window: int = 96
    learning_rate: float = 3e-3
    min_learning_rate: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.01
    chord_dropout: float = 0.15
    eval_every: int = 150
    patience: int = 3
    seed: int = 1234
    threads: int = 1  # the machines are shared; one thread was the fastest there


@dataclass(frozen=True, slots=True)
class Arrays:
    """One tune as arrays: ``prev`` and ``target`` ids, positions, chord features, prefix."""

    prev: np.ndarray  # (N,) int64
    target: np.ndarray  # (N,) int64
    positions: np.ndarray  # (N,) int64
    chords: np.ndarray  # (N, 13) float32
    prefix: np.ndarray  # (2,) int64


def chord_features(masks: np.ndarray) -> np.ndarray:
    """Chord bit masks ``(N,)`` as features ``(N, 13)`` float32."""
    return ((masks[:, None] >> _BITS) & 1).astype(np.float32)


def to_arrays(tune: EncodedTune) -> Arrays:
    """The tune's training arrays: predict ``ids[2:]`` from ``ids[1:-1]``."""
    ids = np.asarray(tune.ids, dtype=np.int64)
    return Arrays(
        prev=ids[PREFIX - 1 : -1],
        target=ids[PREFIX:],
        positions=np.asarray(tune.positions, dtype=np.int64),
        chords=chord_features(np.asarray(tune.chords, dtype=np.int64)),
        prefix=ids[:PREFIX],
    )


def stack(rows: list[Arrays], *, no_chord: list[bool] | None = None) -> tuple[torch.Tensor, ...]:
    """Pad rows to one length: ``prev, positions, chords, prefix, target`` tensors."""
    t = max(len(r.prev) for r in rows)
    b = len(rows)
    prev = np.zeros((b, t), dtype=np.int64)  # (B, T)
    positions = np.zeros((b, t), dtype=np.int64)  # (B, T)
    chords = np.zeros((b, t, CHORD_FEATURES), dtype=np.float32)  # (B, T, 13)
    target = np.full((b, t), IGNORE, dtype=np.int64)  # (B, T)
    prefix = np.stack([r.prefix for r in rows])  # (B, 2)
    none = chord_features(np.asarray([NO_CHORD]))[0]
    for i, r in enumerate(rows):
        n = len(r.prev)
        prev[i, :n], positions[i, :n], target[i, :n] = r.prev, r.positions, r.target
        chords[i, :n] = none if no_chord and no_chord[i] else r.chords
    return (
        torch.from_numpy(prev),
        torch.from_numpy(positions),
        torch.from_numpy(chords),
        torch.from_numpy(prefix),
        torch.from_numpy(target),
    )


def make_batch(
    data: list[Arrays], rng: random.Random, cfg: TrainConfig
) -> tuple[torch.Tensor, ...]:
    """Random windows of ``cfg.window`` steps (half of them from a tune's start)."""
    rows = []
    dropped = []
    for _ in range(cfg.batch_size):
        tune = data[rng.randrange(len(data))]
        n = len(tune.prev)
        start = 0 if n <= cfg.window or rng.random() < 0.5 else rng.randrange(n - cfg.window + 1)
        cut = slice(start, start + cfg.window)
        rows.append(
            Arrays(tune.prev[cut], tune.target[cut], tune.positions[cut], tune.chords[cut],
                   tune.prefix)
        )  # fmt: skip
        dropped.append(rng.random() < cfg.chord_dropout)
    return stack(rows, no_chord=dropped)


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_learning_rate``."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return cfg.min_learning_rate + cosine * (cfg.learning_rate - cfg.min_learning_rate)


@torch.inference_mode()
def neural_nll(
    model: MelodyGRU, data: list[Arrays], *, batch: int = 64, hide_chords: bool = False
) -> tuple[float, int]:
    """Mean NLL (nats) per target token over whole tunes, and the number of targets.

    With ``hide_chords`` the model is told "no chord" at every note (an ablation: what the
    chords are worth)."""
    model.eval()
    total, count = 0.0, 0
    ordered = sorted(data, key=lambda a: len(a.prev))
    for i in range(0, len(ordered), batch):
        rows = ordered[i : i + batch]
        prev, positions, chords, prefix, target = stack(rows, no_chord=[hide_chords] * len(rows))
        logits, _ = model(prev, positions, chords, prefix)  # (B, T, V)
        loss = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)), target.reshape(-1),
            ignore_index=IGNORE, reduction="sum",
        )  # fmt: skip
        total += float(loss)
        count += int((target != IGNORE).sum())
    return total / count, count


def ngram_nll(model: KneserNey, tunes: list[EncodedTune]) -> tuple[float, int]:
    """Mean NLL (nats) per target token of the Markov baseline, and the number of targets."""
    logs = [lp for t in tunes for lp in model.log_likelihood(t.ids)]
    return -float(np.mean(logs)), len(logs)


def fit_best_ngram(
    train: list[EncodedTune],
    validation: list[EncodedTune],
    orders: tuple[int, ...] = (3, 4, 5, 6, 8, 12),
) -> tuple[KneserNey, dict[str, float]]:
    """The Kneser–Ney model whose order scores best on the validation split."""
    scores: dict[str, float] = {}
    best: KneserNey | None = None
    for order in orders:
        model = KneserNey(len(VOCAB), order=order).fit([t.ids for t in train])
        scores[str(order)] = ngram_nll(model, validation)[0]
        if best is None or scores[str(order)] < scores[str(best.order)]:
            best = model
    assert best is not None
    return best, scores


def train(
    model_cfg: MelodyConfig, cfg: TrainConfig, *, log: bool = True
) -> tuple[MelodyGRU, dict[str, float]]:
    """Train on the train split, keep the weights with the best validation NLL."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    train_data = [to_arrays(t) for t in load_split("train")]
    val_data = [to_arrays(t) for t in load_split("validation")]

    model = MelodyGRU(model_cfg)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=cfg.learning_rate, betas=(0.9, 0.99), weight_decay=cfg.weight_decay
    )
    stopping = EarlyStopping(model, cfg.patience)
    for step in range(cfg.max_steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        model.train()
        prev, positions, chords, prefix, target = make_batch(train_data, rng, cfg)
        logits, _ = model(prev, positions, chords, prefix)  # (B, T, V)
        loss = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=IGNORE
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.max_steps:
            val_nll = neural_nll(model, val_data)[0]
            stop = stopping.update(step + 1, val_nll)
            if log:
                took = stopping.seconds()
                print(f"step {step + 1:5d}  loss {loss.item():.3f}  val {val_nll:.4f}  {took:.0f}s")
            if stop:
                break
    return model, stopping.restore()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, score both models on the test split, save ``melody.pt`` and ``melody.json``."""
    parser = argparse.ArgumentParser(description="Train the bandmate's melody model.")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--steps", type=int, default=TrainConfig().max_steps)
    parser.add_argument("--hidden", type=int, default=MelodyConfig(1).hidden)
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    args = parser.parse_args(argv)

    model_cfg = MelodyConfig(vocab_size=len(VOCAB), hidden=args.hidden)
    cfg = TrainConfig(max_steps=args.steps, seed=args.seed)
    model, stats = train(model_cfg, cfg)
    round_to_half(model)  # score what is saved

    train_tunes = list(load_split("train"))
    val_tunes = list(load_split("validation"))
    test_tunes = list(load_split("test"))
    ngram, orders = fit_best_ngram(train_tunes, val_tunes)
    ngram.save(markov_cache_path(ngram.order))  # what the product and the bench load
    gru_test, targets = neural_nll(model, [to_arrays(t) for t in test_tunes])
    ngram_test, _ = ngram_nll(ngram, test_tunes)
    blind_test, _ = neural_nll(model, [to_arrays(t) for t in test_tunes], hide_chords=True)
    print(f"\ntest split ({len(test_tunes)} tunes, {targets} tokens): NLL per token")
    print(f"  GRU            {gru_test:.4f}  (ppl {math.exp(gru_test):.2f})")
    print(f"  GRU, no chords {blind_test:.4f}  (ppl {math.exp(blind_test):.2f})")
    print(f"  KN {ngram.order}-gram     {ngram_test:.4f}  (ppl {math.exp(ngram_test):.2f})")

    report: dict[str, Any] = {
        "parameters": model.num_parameters(),
        "vocab_size": len(VOCAB),
        "tunes": {"train": len(train_tunes), "validation": len(val_tunes), "test": len(test_tunes)},
        "train_tokens": sum(len(t.ids) - 2 for t in train_tunes),
        "train": {**asdict(cfg), **stats},
        "ngram_validation_nll_by_order": orders,
        "ngram_order": ngram.order,
        "test": {
            "gru_nll": gru_test,
            "gru_no_chords_nll": blind_test,
            "ngram_nll": ngram_test,
            "targets": targets,
        },
        "split_seed": melody_manifest()["seed"],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    save_melody(args.out / "melody.pt", model, {"ngram_order": ngram.order})
    (args.out / "melody.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
