"""The harmony-voices model: a GRU that writes a lower voice under a melody, note by note.

At step ``t`` it reads what is known of the melody note (:func:`bandmate.assist.voices.data.
step_features`: pitch class in the key, the melodic motion into and out of it, downbeat,
length, mode, the voice's depth and the style) and the interval it chose at ``t - 1``
(embedded), and gives logits over the 37 classes (0..35 semitones below the melody, or a
rest). One GRU layer carries the counterpoint so far. The checkpoint holds the config
dataclass, metadata and float16 weights, read with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bandmate.assist.errors import AssistError
from bandmate.assist.voices.data import N_CLASSES, N_FEATURES


@dataclass(frozen=True, slots=True)
class VoicesConfig:
    """The shape of a :class:`VoicesGRU` (saved with its weights).

    Attributes:
        n_features: Width of the step features.
        n_classes: Interval classes (and the rest).
        n_prev: Width of the previous-interval embedding.
        hidden: GRU width.
        dropout: Dropout before the head while training.
    """

    n_features: int = N_FEATURES
    n_classes: int = N_CLASSES
    n_prev: int = 24
    hidden: int = 96
    dropout: float = 0.1


class VoicesGRU(nn.Module):
    """Interval logits per melody note from the step features and the previous interval."""

    def __init__(self, config: VoicesConfig) -> None:
        super().__init__()
        self.config = config
        self.prev = nn.Embedding(config.n_classes + 1, config.n_prev)  # + the start id
        self.gru = nn.GRU(config.n_features + config.n_prev, config.hidden, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.n_classes)

    def forward(
        self, features: torch.Tensor, previous: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(B, T, C)`` and the GRU state ``(1, B, H)``.

        Args:
            features: ``(B, T, N_FEATURES)`` float32.
            previous: ``(B, T)`` int64, the previous step's class (or the start id).
            state: The state after the steps before, or ``None`` at the start.
        """
        x = torch.cat([features, self.prev(previous)], dim=-1)  # (B, T, F + P)
        out, state = self.gru(x, state)  # (B, T, H), (1, B, H)
        logits: torch.Tensor = self.head(self.drop(out))  # (B, T, C)
        return logits, state

    def num_parameters(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters())


def save_voices(path: Path, model: VoicesGRU, meta: dict[str, Any]) -> None:
    """Write the config, metadata and float16 weights to ``path``."""
    state = {k: v.detach().to(torch.float16).clone() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": asdict(model.config), "meta": meta, "model": state}, path)


def load_voices(path: Path | Any) -> tuple[VoicesGRU, dict[str, Any]]:
    """Read a checkpoint written by :func:`save_voices` (eval mode, float32).

    Raises:
        AssistError: The file is missing or is not a voices-model checkpoint.
    """
    try:
        with open(path, "rb") as fh:
            payload = torch.load(fh, map_location="cpu", weights_only=True)
        model = VoicesGRU(VoicesConfig(**payload["config"]))
        model.load_state_dict({k: v.to(torch.float32) for k, v in payload["model"].items()})
    except (OSError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError) as exc:
        raise AssistError(
            f"voices model checkpoint {str(path)!r} could not be loaded: {exc}"
        ) from exc
    return model.eval(), dict(payload["meta"])
