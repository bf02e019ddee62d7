"""The melody model: a GRU over note tokens, told where each note falls and what chord sounds.

At step ``t`` the network reads the previous token and what is known about the note it is
about to choose: its onset bucket in the bar, the meter and mode (the sequence's first two
tokens) and the chord sounding at the onset (13 features, see
:func:`bandmate.assist.melody.tokens.chord_vector`). Two GRU layers carry the tune so far;
a linear head gives logits over the vocabulary. Generation feeds one step at a time and
keeps the hidden state, so a note costs one small matrix product per layer.

The checkpoint holds the config dataclass, the metadata and the weights in float16 (half
the size; the model runs in float32 and the committed scores are those of the rounded
weights). ``torch.load(..., weights_only=True)`` reads it.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from bandmate.assist.errors import AssistError
from bandmate.assist.melody.tokens import CHORD_FEATURES, POSITIONS

ModuleT = TypeVar("ModuleT", bound=nn.Module)


@dataclass(frozen=True, slots=True)
class MelodyConfig:
    """The shape of a :class:`MelodyGRU` (saved with its weights).

    Attributes:
        vocab_size: Number of tokens (specials, meters, modes, notes and rests).
        n_embd: Width of the token embedding.
        n_pos: Width of the onset-in-bar embedding.
        n_cond: Width of the meter and of the mode embedding.
        n_chord: Width of the chord projection.
        hidden: GRU width.
        layers: GRU layers.
        dropout: Dropout between layers and before the head while training.
    """

    vocab_size: int
    n_embd: int = 96
    n_pos: int = 24
    n_cond: int = 8
    n_chord: int = 24
    hidden: int = 160
    layers: int = 2
    dropout: float = 0.2


class MelodyGRU(nn.Module):
    """Next-token logits from the tokens so far, the onset positions and the chords."""

    def __init__(self, config: MelodyConfig) -> None:
        super().__init__()
        self.config = config
        self.tok = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos = nn.Embedding(POSITIONS, config.n_pos)
        self.cond = nn.Embedding(config.vocab_size, config.n_cond)  # meter and mode tokens
        self.chord = nn.Linear(CHORD_FEATURES, config.n_chord)
        width = config.n_embd + config.n_pos + 2 * config.n_cond + config.n_chord
        self.gru = nn.GRU(
            width,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def forward(
        self,
        prev: torch.Tensor,
        positions: torch.Tensor,
        chords: torch.Tensor,
        prefix: torch.Tensor,
        state: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits for the next token at each step.

        Args:
            prev: Previous token ids, shape ``(B, T)``.
            positions: Onset bucket of the token to predict, ``(B, T)``.
            chords: Chord features at that onset, ``(B, T, 13)``.
            prefix: The meter and mode token ids, ``(B, 2)``.
            state: GRU state from earlier steps, ``(layers, B, hidden)``, or ``None``.

        Returns:
            Logits ``(B, T, vocab_size)`` and the new state ``(layers, B, hidden)``.
        """
        b, t = prev.shape  # (B, T)
        cond = self.cond(prefix).reshape(b, 1, -1).expand(b, t, -1)  # (B, T, 2 * n_cond)
        x = torch.cat(
            [self.tok(prev), self.pos(positions), cond, self.chord(chords)], dim=-1
        )  # (B, T, width)
        out, state = self.gru(x, state)  # (B, T, H), (L, B, H)
        logits: torch.Tensor = self.head(self.drop(out))  # (B, T, V)
        return logits, state

    def num_parameters(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters())


def save_melody(path: Path, model: MelodyGRU, meta: dict[str, Any]) -> None:
    """Write the config, metadata and float16 weights to ``path``."""
    state = {k: v.detach().to(torch.float16).clone() for k, v in model.state_dict().items()}
    payload = {"config": asdict(model.config), "meta": meta, "model": state}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)


def round_to_half(model: ModuleT) -> ModuleT:
    """The model with its weights rounded through float16, as a saved checkpoint has them
    (any of the bandmate's models: their checkpoints all store float16)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.float16).to(torch.float32))
    return model


def load_melody(path: Path | Any) -> tuple[MelodyGRU, dict[str, Any]]:
    """Read a checkpoint written by :func:`save_melody`; the model is in eval mode, float32.

    Raises:
        AssistError: The file is missing or is not a melody-model checkpoint.
    """
    try:
        with open(path, "rb") as fh:
            payload = torch.load(fh, map_location="cpu", weights_only=True)
        model = MelodyGRU(MelodyConfig(**payload["config"]))
        state = {k: v.to(torch.float32) for k, v in payload["model"].items()}
        model.load_state_dict(state)
    except (OSError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError) as exc:
        raise AssistError(
            f"melody model checkpoint {str(path)!r} could not be loaded: {exc}"
        ) from exc
    model.eval()
    return model, dict(payload["meta"])
