"""The harmonizer: a bidirectional GRU that reads a melody's beats and names each beat's chord.

A chord depends on where the tune goes as much as on where it came from (cadences are
heard in the melody's last notes), so the network reads the beat features in both
directions: a linear embedding of each beat, a two-layer bidirectional GRU, and a linear
head to numeral logits per beat. The config dataclass is saved with the weights.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.features import N_FEATURES


@dataclass(frozen=True, slots=True)
class HarmonizerConfig:
    """The shape of a :class:`HarmonizerGRU` (saved with its weights).

    Attributes:
        vocab_size: Number of chord tokens (the harmonizer's vocabulary).
        n_features: Beat features in (see :mod:`bandmate.assist.harmony.features`).
        n_hidden: GRU width per direction.
        n_layer: Stacked GRU layers.
        dropout: Dropout between layers and before the head while training.
    """

    vocab_size: int
    n_features: int = N_FEATURES
    n_hidden: int = 96
    n_layer: int = 2
    dropout: float = 0.3


class HarmonizerGRU(nn.Module):
    """Per-beat chord logits from per-beat melody features."""

    def __init__(self, config: HarmonizerConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Sequential(nn.Linear(config.n_features, config.n_hidden), nn.GELU())
        self.gru = nn.GRU(
            config.n_hidden,
            config.n_hidden,
            num_layers=config.n_layer,
            batch_first=True,
            bidirectional=True,
            dropout=config.dropout if config.n_layer > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(2 * config.n_hidden, config.vocab_size)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Chord logits for every beat.

        Args:
            features: Beat features, shape ``(B, T, n_features)``; pad at the end.

        Returns:
            Logits, shape ``(B, T, vocab_size)``.
        """
        x = self.embed(features)  # (B, T, H)
        y, _ = self.gru(x)  # (B, T, 2H)
        logits: torch.Tensor = self.head(self.drop(y))  # (B, T, V)
        return logits

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def save_harmonizer(
    path: Path, model: HarmonizerGRU, vocab: tuple[str, ...], meta: dict[str, Any]
) -> None:
    """Write config, vocabulary, metadata and float32 weights to ``path``."""
    state = {k: v.detach().to(torch.float32).clone() for k, v in model.state_dict().items()}
    payload = {"config": asdict(model.config), "vocab": list(vocab), "meta": meta, "model": state}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)


def load_harmonizer(path: Path) -> tuple[HarmonizerGRU, tuple[str, ...], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_harmonizer`; the model is in eval mode.

    Raises:
        AssistError: The file is missing or is not a harmonizer checkpoint.
    """
    try:
        with open(path, "rb") as fh:
            payload = torch.load(fh, map_location="cpu", weights_only=True)
        model = HarmonizerGRU(HarmonizerConfig(**payload["config"]))
        model.load_state_dict(payload["model"])
    except (OSError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError) as exc:
        raise AssistError(
            f"harmonizer checkpoint {str(path)!r} could not be loaded: {exc}"
        ) from exc
    model.eval()
    return model, tuple(payload["vocab"]), dict(payload["meta"])
