"""Train the harmonizer GRU, fit the HMM baseline, and score both on held-out chorales.

Read top to bottom: data, model, the loop with validation and early stopping, then the
test scores of both models side by side, written next to the weights.
``scripts/train_harmonizer.py`` runs :func:`main`.

Both models are scored on every labelled beat of the test chorales by the probability
they give Bach's chord on that beat given the whole melody: the GRU's softmax, the HMM's
forward–backward posterior. Top-1 / top-3 rank those same distributions; the HMM's
Viterbi path accuracy is reported too.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812 (the PyTorch convention)

from bandmate.assist.chords.evaluate import Scores, score_log_probs
from bandmate.assist.harmony.data import NO_LABEL, HarmonyExample, build_vocabulary, load_examples
from bandmate.assist.harmony.features import main_pitch_class
from bandmate.assist.harmony.hmm import ChordHMM
from bandmate.assist.harmony.model import HarmonizerConfig, HarmonizerGRU, save_harmonizer
from bandmate.assist.training import EarlyStopping

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
HMM_ALPHAS = (0.01, 0.03, 0.1, 0.3)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to train (saved in the report)."""

    max_steps: int = 2000
    batch_size: int = 16
    learning_rate: float = 3e-3
    weight_decay: float = 0.05
    eval_every: int = 100
    patience: int = 5
    seed: int = 1234
    threads: int = 1


Batch = tuple[torch.Tensor, torch.Tensor]


def to_batch(examples: Sequence[HarmonyExample], labels: Sequence[np.ndarray]) -> Batch:
    """Pad examples to one length: features ``(B, T, F)`` and targets ``(B, T)`` (-1 = none)."""
    t = max(len(e.numerals) for e in examples)
    x = torch.zeros((len(examples), t, examples[0].features.shape[1]))  # (B, T, F)
    y = torch.full((len(examples), t), NO_LABEL, dtype=torch.long)  # (B, T)
    for i, (example, target) in enumerate(zip(examples, labels, strict=True)):
        x[i, : len(target)] = torch.from_numpy(example.features)
        y[i, : len(target)] = torch.from_numpy(target)
    return x, y


@torch.no_grad()
def score_gru(model: HarmonizerGRU, examples: Sequence[HarmonyExample], vocab: Any) -> Scores:
    """Per-beat held-out scores of the GRU (each example on its own: no padding effects)."""
    model.eval()

    def rows() -> Iterable[tuple[np.ndarray, int]]:
        for example in examples:
            x = torch.from_numpy(example.features).unsqueeze(0)  # (1, T, F)
            log_probs = F.log_softmax(model(x)[0], dim=-1).numpy()  # (T, V)
            for t, target in enumerate(example.labels(vocab)):
                if target != NO_LABEL:
                    yield log_probs[t], int(target)

    return score_log_probs(rows())


def score_hmm(
    hmm: ChordHMM, examples: Sequence[HarmonyExample], vocab: Any
) -> tuple[Scores, float]:
    """Per-beat held-out scores of the HMM's posteriors, and its Viterbi accuracy."""
    hits, total = 0, 0
    rows = []
    for example in examples:
        symbols = main_pitch_class(example.features)
        posteriors = hmm.posteriors(symbols, minor=example.minor)
        path = hmm.viterbi(symbols, minor=example.minor)
        for t, target in enumerate(example.labels(vocab)):
            if target != NO_LABEL:
                rows.append((posteriors[t], int(target)))
                hits += int(path[t] == target)
                total += 1
    return score_log_probs(rows), hits / max(total, 1)


def fit_hmm(
    train: Sequence[HarmonyExample], validation: Sequence[HarmonyExample], vocab: Any
) -> tuple[ChordHMM, dict[float, float]]:
    """The HMM with the add-alpha smoothing that scores best on validation."""
    triples = [(e.minor, main_pitch_class(e.features), e.labels(vocab)) for e in train]
    tried: dict[float, float] = {}
    best: ChordHMM | None = None
    for alpha in HMM_ALPHAS:
        hmm = ChordHMM(len(vocab), alpha=alpha).fit(triples)
        tried[alpha] = score_hmm(hmm, validation, vocab)[0].nll
        if best is None or tried[alpha] < tried[best.alpha]:
            best = hmm
    assert best is not None  # HMM_ALPHAS is not empty
    return best, tried


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Train, evaluate on the test split, save ``weights/harmonizer.pt`` and ``.json``."""
    parser = argparse.ArgumentParser(description="Train the bandmate's harmonizer.")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--steps", type=int, default=TrainConfig().max_steps)
    parser.add_argument("--hidden", type=int, default=96)
    parser.add_argument("--dropout", type=float, default=0.3)
    args = parser.parse_args(argv)
    cfg = TrainConfig(max_steps=args.steps)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)

    # Data: runs of beats in one local key, labels in the harmonizer's own vocabulary.
    train, val, test = (load_examples(s) for s in ("train", "validation", "test"))
    vocab = build_vocabulary(train)
    train_labels = [e.labels(vocab) for e in train]

    # Model and optimizer.
    model_cfg = HarmonizerConfig(len(vocab), n_hidden=args.hidden, dropout=args.dropout)
    model = HarmonizerGRU(model_cfg)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
    )

    # The loop: random batches, validation NLL every eval_every steps, keep the best.
    stopping = EarlyStopping(model, cfg.patience)
    for step in range(cfg.max_steps):
        lr = cfg.learning_rate * 0.5 * (1 + math.cos(math.pi * step / cfg.max_steps))
        for group in optimizer.param_groups:
            group["lr"] = lr
        model.train()
        picks = [rng.randrange(len(train)) for _ in range(cfg.batch_size)]
        x, y = to_batch([train[i] for i in picks], [train_labels[i] for i in picks])
        logits = model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1), ignore_index=NO_LABEL)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if (step + 1) % cfg.eval_every == 0:
            val_nll = score_gru(model, val, vocab).nll
            stop = stopping.update(step + 1, val_nll)
            took = stopping.seconds()
            print(f"step {step + 1:5d}  loss {loss.item():.3f}  val {val_nll:.4f}  {took:.0f}s")
            if stop:
                break
    trained = stopping.restore()

    # The baseline, and both models on the test split.
    hmm, alphas = fit_hmm(train, val, vocab)
    gru_test = score_gru(model, test, vocab)
    hmm_test, viterbi_accuracy = score_hmm(hmm, test, vocab)
    print(f"\n{'test beats':<14}{'NLL':>8}{'top-1':>8}{'top-3':>8}")
    for name, s in (("GRU", gru_test), (f"HMM a={hmm.alpha}", hmm_test)):
        print(f"{name:<14}{s.nll:8.4f}{s.top1:8.3f}{s.top3:8.3f}")
    print(f"HMM Viterbi accuracy {viterbi_accuracy:.3f}")

    report: dict[str, object] = {
        "parameters": model.num_parameters(),
        "vocab_size": len(vocab),
        "train": {
            **asdict(cfg),
            **trained,
        },
        "hmm_validation_nll_by_alpha": alphas,
        "hmm_alpha": hmm.alpha,
        "test": {
            "gru": gru_test.as_dict(),
            "hmm": hmm_test.as_dict(),
            "hmm_viterbi_accuracy": viterbi_accuracy,
        },
    }
    save_harmonizer(args.out / "harmonizer.pt", model, vocab.tokens, {"hmm_alpha": hmm.alpha})
    (args.out / "harmonizer.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
