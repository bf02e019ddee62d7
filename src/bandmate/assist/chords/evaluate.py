"""Held-out scores for the chord models: NLL per token and top-1 / top-3 accuracy.

Both models are scored on the same targets: every token after the style and mode
of a sequence (the numerals and the closing ``<eos>``), each predicted from all the
tokens before it (the transformer sees at most ``block_size`` of them: the style, the
mode and the latest chords).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812 (the PyTorch convention)

from bandmate.assist.chords.model import ChordsGPT
from bandmate.assist.chords.ngram import PREFIX, KneserNey


@dataclass(frozen=True, slots=True)
class Scores:
    """How well a model predicts held-out tokens.

    Attributes:
        nll: Mean negative log-likelihood in nats per token (lower is better).
        perplexity: ``exp(nll)``.
        top1: Share of targets that are the model's most likely token.
        top3: Share of targets among the model's three most likely tokens.
        tokens: How many targets were scored.
    """

    nll: float
    perplexity: float
    top1: float
    top3: float
    tokens: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def score_log_probs(rows: Iterable[tuple[np.ndarray, int]]) -> Scores:
    """Scores from ``(log-probabilities over the vocabulary, target id)`` pairs."""
    nll, top1, top3, n = 0.0, 0, 0, 0
    for log_probs, target in rows:
        nll -= float(log_probs[target])
        rank = int((log_probs > log_probs[target]).sum())  # ties count in the target's favour
        top1 += rank < 1
        top3 += rank < 3
        n += 1
    if n == 0:
        return Scores(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    return Scores(nll / n, float(np.exp(nll / n)), top1 / n, top3 / n, n)


@torch.no_grad()
def neural_log_probs(model: ChordsGPT, seq: Sequence[int]) -> torch.Tensor:
    """Log-probabilities for each target of one sequence, shape ``(len(seq) - PREFIX, V)``."""
    block = model.config.block_size
    first = list(seq[: min(len(seq) - 1, block)])
    logits = model(torch.tensor([first]))[0, PREFIX - 1 :]  # (T0, V): targets PREFIX..len(first)
    rows = [logits]
    later = range(len(first) + 1, len(seq))
    if later:
        keep = block - PREFIX
        windows = [list(seq[:PREFIX]) + list(seq[j - keep : j]) for j in later]
        rows.append(model(torch.tensor(windows))[:, -1])  # (len(later), V)
    return F.log_softmax(torch.cat(rows), dim=-1)  # (len(seq) - PREFIX, V)


@torch.no_grad()
def _batched_log_probs(model: ChordsGPT, seqs: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """:func:`neural_log_probs` for sequences that fit one window, in one padded forward.

    Padding goes at the end, where causal attention keeps it from every real position.
    """
    t = max(len(s) for s in seqs) - 1
    x = torch.zeros((len(seqs), t), dtype=torch.long)  # (B, T)
    for i, seq in enumerate(seqs):
        x[i, : len(seq) - 1] = torch.tensor(seq[:-1])
    log_probs = F.log_softmax(model(x), dim=-1).numpy()  # (B, T, V)
    return [log_probs[i, PREFIX - 1 : len(seq) - 1] for i, seq in enumerate(seqs)]


def score_neural(
    model: ChordsGPT, sequences: Sequence[Sequence[int]], *, batch_size: int = 64
) -> Scores:
    """Held-out scores of the transformer (in eval mode, no dropout)."""
    model.eval()
    block = model.config.block_size
    short = [s for s in sequences if len(s) - 1 <= block]
    long = [s for s in sequences if len(s) - 1 > block]

    def rows() -> Iterable[tuple[np.ndarray, int]]:
        for start in range(0, len(short), batch_size):
            batch = short[start : start + batch_size]
            for seq, log_probs in zip(batch, _batched_log_probs(model, batch), strict=True):
                yield from zip(log_probs, seq[PREFIX:], strict=True)
        for seq in long:
            yield from zip(neural_log_probs(model, seq).numpy(), seq[PREFIX:], strict=True)

    return score_log_probs(rows())


def score_ngram(model: KneserNey, sequences: Sequence[Sequence[int]]) -> Scores:
    """Held-out scores of the Kneser–Ney baseline."""

    def rows() -> Iterable[tuple[np.ndarray, int]]:
        for seq in sequences:
            for i in range(PREFIX, len(seq)):
                yield np.log(model.distribution(seq[:i])), seq[i]

    return score_log_probs(rows())


def fit_best_ngram(
    train: Sequence[Sequence[int]],
    validation: Sequence[Sequence[int]],
    vocab_size: int,
    *,
    orders: Sequence[int] = (2, 3, 4, 5, 6, 7, 8),
) -> tuple[KneserNey, dict[int, float]]:
    """Fit Kneser–Ney at each order and keep the one with the best validation NLL.

    Returns:
        The chosen model and the validation NLL of every order tried.
    """
    tried: dict[int, float] = {}
    best: KneserNey | None = None
    for order in orders:
        model = KneserNey(vocab_size, order=order).fit(train)
        tried[order] = score_ngram(model, validation).nll
        if best is None or tried[order] < tried[best.order]:
            best = model
    assert best is not None  # orders is not empty
    return best, tried
