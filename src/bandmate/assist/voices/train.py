"""Train the harmony-voices GRU, fit its Markov baseline, and score both on held-out pieces.

Both learn from the same split of ``corpus/voices.json.gz`` (Palestrina and the chorales).
The scores written to ``weights/voices.json`` (quoted by ``docs/models/voices.md``): the
negative log-likelihood per note and top-1 accuracy of the human lower voices in the test
pieces, overall and per style; and musical checks of voices sampled by each model under the
test melodies against the human voices (consonance on strong beats, parallel fifths and
octaves, notes in the key, leaps, repeated notes).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812 (the PyTorch convention)

from bandmate.assist.melody.model import round_to_half
from bandmate.assist.training import EarlyStopping
from bandmate.assist.voices.baseline import IntervalMarkov
from bandmate.assist.voices.data import (
    IGNORE,
    REST,
    VOICE_STYLES,
    VoiceSequence,
    load_split,
    voices_manifest,
)
from bandmate.assist.voices.generate import (
    MelodySteps,
    VoicesModelName,
    VoicesModels,
    sample_voice,
)
from bandmate.assist.voices.model import VoicesConfig, VoicesGRU, save_voices

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
CONSONANT = (0, 3, 4, 7, 8, 9)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How the GRU is trained (saved with the weights)."""

    window: int = 64
    batch: int = 32
    max_steps: int = 1600
    learning_rate: float = 4e-3
    weight_decay: float = 1e-4
    eval_every: int = 100
    patience: int = 4
    seed: int = 20240611
    threads: int = 1


def _windows(seqs: Sequence[VoiceSequence], size: int) -> list[tuple[np.ndarray, ...]]:
    out: list[tuple[np.ndarray, ...]] = []
    for s in seqs:
        for i in range(0, len(s.targets), size):
            out.append(
                (s.features[i : i + size], s.previous[i : i + size], s.targets[i : i + size])
            )
    return out


def _batch(rows: Sequence[tuple[np.ndarray, ...]]) -> tuple[torch.Tensor, ...]:
    length = max(len(r[2]) for r in rows)
    feats = np.zeros((len(rows), length, rows[0][0].shape[1]), dtype=np.float32)
    prev = np.full((len(rows), length), REST, dtype=np.int64)
    targ = np.full((len(rows), length), IGNORE, dtype=np.int64)
    for i, (f, p, t) in enumerate(rows):
        feats[i, : len(t)], prev[i, : len(t)], targ[i, : len(t)] = f, p, t
    return torch.from_numpy(feats), torch.from_numpy(prev), torch.from_numpy(targ)


def gru_log_probs(model: VoicesGRU, seq: VoiceSequence) -> np.ndarray:
    """log P of every class at every step of ``seq``, shape ``(T, C)`` (teacher forcing)."""
    with torch.inference_mode():
        logits, _ = model(
            torch.from_numpy(seq.features).unsqueeze(0), torch.from_numpy(seq.previous).unsqueeze(0)
        )
        out: np.ndarray = torch.log_softmax(logits[0].double(), dim=-1).numpy()
    return out


def score(log_probs: Sequence[np.ndarray], seqs: Sequence[VoiceSequence]) -> dict[str, float]:
    """Mean NLL per learned note and top-1 accuracy, overall and per style."""
    out: dict[str, float] = {}
    for name in ("all", *VOICE_STYLES):
        nll, hits, count = 0.0, 0, 0
        for lp, s in zip(log_probs, seqs, strict=True):
            if name != "all" and s.style != name:
                continue
            mask = s.targets != IGNORE
            t = s.targets[mask]
            rows = lp[mask]
            nll -= float(rows[np.arange(len(t)), t].sum())
            hits += int((rows.argmax(axis=1) == t).sum())
            count += len(t)
        out[f"{name}_nll"] = nll / max(1, count)
        out[f"{name}_top1"] = hits / max(1, count)
        out[f"{name}_notes"] = count
    return out


def train(seqs: Sequence[VoiceSequence], val: Sequence[VoiceSequence], cfg: TrainConfig,
          model_cfg: VoicesConfig) -> tuple[VoicesGRU, dict[str, float]]:  # fmt: skip
    """Train on ``seqs``; keep the weights with the best validation NLL."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    rows = _windows(seqs, cfg.window)
    model = VoicesGRU(model_cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate,
                                  weight_decay=cfg.weight_decay)  # fmt: skip
    stopping = EarlyStopping(model, cfg.patience, min_gain=1e-4)
    for step in range(1, cfg.max_steps + 1):
        model.train()
        lr = cfg.learning_rate * min(1.0, step / 100) * (0.1 + 0.9 * (1 - step / cfg.max_steps))
        for group in optimizer.param_groups:
            group["lr"] = lr
        feats, prev, targ = _batch(rng.sample(rows, min(cfg.batch, len(rows))))
        logits, _ = model(feats, prev)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targ.reshape(-1),
                               ignore_index=IGNORE)  # fmt: skip
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % cfg.eval_every == 0 or step == cfg.max_steps:
            model.eval()
            nll = score([gru_log_probs(model, s) for s in val], val)["all_nll"]
            print(f"step {step}: train {loss.item():.3f}  val {nll:.4f}  "
                  f"{stopping.seconds():.0f} s", flush=True)  # fmt: skip
            if stopping.update(step, nll):
                break
    info = stopping.restore()
    return round_to_half(model), info


def _scale(tonic_pc: int, *, minor: bool) -> set[int]:
    # Minor: natural minor with the raised sixth and seventh of melodic and harmonic minor.
    steps = (0, 2, 3, 5, 7, 8, 9, 10, 11) if minor else (0, 2, 4, 5, 7, 9, 11)
    return {(tonic_pc + s) % 12 for s in steps}


def musical_checks(
    melody: np.ndarray, voice: Sequence[int | None], strong: np.ndarray, scale: set[int]
) -> dict[str, float]:
    """Consonance, parallels, key, leaps and repeats of a voice under ``melody``."""
    pairs = [(int(m), v, bool(s)) for m, v, s in zip(melody, voice, strong, strict=True)
             if v is not None]  # fmt: skip
    if len(pairs) < 2:
        return {}
    intervals = [(m - v) % 12 for m, v, _ in pairs]
    strong_iv = [iv for iv, (_, _, s) in zip(intervals, pairs, strict=True) if s]
    parallels = moves = 0
    leaps: list[int] = []
    repeats = 0
    for (m0, v0, _), (m1, v1, _), i0, i1 in zip(pairs, pairs[1:], intervals, intervals[1:],
                                                 strict=False):  # fmt: skip
        leaps.append(abs(v1 - v0))
        repeats += v1 == v0
        if m1 != m0 and v1 != v0:
            moves += 1
            same_way = (m1 - m0) * (v1 - v0) > 0
            parallels += same_way and i0 == i1 and i0 in (0, 7)
    return {
        "consonant_strong": sum(iv in CONSONANT for iv in strong_iv) / max(1, len(strong_iv)),
        "consonant_all": sum(iv in CONSONANT for iv in intervals) / len(intervals),
        "parallel_perfect": parallels / max(1, moves),
        "in_key": sum(v % 12 in scale for _, v, _ in pairs) / len(pairs),
        "mean_leap": float(np.mean(leaps)),
        "leaps_over_fifth": sum(leap > 7 for leap in leaps) / len(leaps),
        "repeated": repeats / len(leaps),
        "range": float(max(v for _, v, _ in pairs) - min(v for _, v, _ in pairs)),
    }


def evaluate_checks(models: VoicesModels, seqs: Sequence[VoiceSequence], *, seed: int = 7
                    ) -> dict[str, dict[str, float]]:  # fmt: skip
    """Mean musical checks of the human voices and of each model's, under the same melodies."""
    sources: dict[str, list[dict[str, float]]] = {"human": [], "gru": [], "markov": []}
    for i, s in enumerate(seqs):
        scale = _scale(s.tonic_pc, minor=s.minor)
        human = [None if t in (REST, IGNORE) else int(m - t) for m, t in zip(s.melody, s.targets,
                 strict=True)]  # fmt: skip
        sounding = [p for p in human if p is not None]
        if len(sounding) < 4:
            continue
        sources["human"].append(musical_checks(s.melody, human, s.strong, scale))
        n = len(s.melody)
        strong = s.strong.tolist()
        steps = MelodySteps([0] * n, [1] * n, s.melody.tolist(), list(s.durations),
                            list(s.downbeat), strong)  # fmt: skip
        names: tuple[VoicesModelName, ...] = ("gru", "markov")
        for name in names:
            voice, _ = sample_voice(
                models, steps, tonic_pc=s.tonic_pc, minor=s.minor, depth=s.depth, style=s.style,
                low=min(sounding) - 2, high=max(sounding) + 2, above=None,
                chords=[None] * n, rng=np.random.default_rng([seed, i]), model=name,
            )  # fmt: skip
            sources[name].append(musical_checks(s.melody, voice, s.strong, scale))
    return {
        name: {k: float(np.mean([r[k] for r in rows if r])) for k in rows[0]}
        for name, rows in sources.items()
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, score, and write ``weights/voices.pt`` and ``weights/voices.json``."""
    parser = argparse.ArgumentParser(description="Train the harmony-voices GRU")
    parser.add_argument("--steps", type=int, default=TrainConfig().max_steps)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    cfg = TrainConfig(max_steps=args.steps)
    model_cfg = VoicesConfig()
    train_seqs, val, test = load_split("train"), load_split("validation"), load_split("test")
    print({k: len(v) for k, v in (("train", train_seqs), ("validation", val), ("test", test))})
    model, info = train(train_seqs, val, cfg, model_cfg)
    markov = IntervalMarkov().fit(train_seqs)
    gru_scores = score([gru_log_probs(model, s) for s in test], test)
    markov_scores = score([markov.sequence_log_probs(s) for s in test], test)
    models = VoicesModels(model)
    models._markov = markov
    checks = evaluate_checks(models, test)
    manifest = voices_manifest()
    report = {
        "config": asdict(model_cfg),
        "train": asdict(cfg) | info,
        "parameters": model.num_parameters(),
        "splits": {k: len(v) for k, v in manifest["splits"].items()},
        "sequences": {"train": len(train_seqs), "validation": len(val), "test": len(test)},
        "test": {"gru": gru_scores, "markov": markov_scores},
        "checks": checks,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    save_voices(args.out / "voices.pt", model, {"train": asdict(cfg), "scores": report["test"]})
    (args.out / "voices.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report["test"], indent=1))
    print(json.dumps(checks, indent=1))
    return report
