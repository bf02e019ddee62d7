"""The chord model: a small causal transformer over roman-numeral tokens (nanoGPT-style).

A sequence is ``[style, mode, numeral, numeral, ..., <eos>]``; the first two tokens
condition everything after them. The network is GPT-2 shaped and small: token and
position embeddings, ``n_layer`` pre-norm blocks of causal self-attention and an MLP,
a final layer norm and a head tied to the token embedding. The config dataclass is
saved in the checkpoint next to the weights and the vocabulary, so a checkpoint is
self-describing (``torch.load(..., weights_only=True)`` reads it: plain tensors,
strings and numbers only).
"""

from __future__ import annotations

import math
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 (the PyTorch convention)

from bandmate.assist.errors import AssistError


@dataclass(frozen=True, slots=True)
class ChordsConfig:
    """The shape of a :class:`ChordsGPT` (saved with its weights).

    Attributes:
        vocab_size: Number of tokens (specials, styles, modes, numerals).
        block_size: Longest context in tokens, style and mode included.
        n_layer: Transformer blocks.
        n_head: Attention heads per block.
        n_embd: Width of the residual stream.
        dropout: Dropout on embeddings, attention and MLP outputs while training.
    """

    vocab_size: int
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 96
    dropout: float = 0.2


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees only itself and the past."""

    def __init__(self, config: ChordsConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise AssistError(
                f"n_embd={config.n_embd} must be a multiple of n_head={config.n_head}"
            )
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.size()  # (B, T, C)
        q, k, v = self.c_attn(x).split(c, dim=2)  # 3 x (B, T, C)
        q = q.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
        )  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # (B, T, C)
        out: torch.Tensor = self.resid_dropout(self.c_proj(y))
        return out


class MLP(nn.Module):
    """The position-wise feed-forward layer: C -> 4C -> C with GELU."""

    def __init__(self, config: ChordsConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.dropout(self.c_proj(F.gelu(self.c_fc(x))))  # (B, T, C)
        return out


class Block(nn.Module):
    """A pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: ChordsConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # (B, T, C)
        out: torch.Tensor = x + self.mlp(self.ln_2(x))  # (B, T, C)
        return out


class ChordsGPT(nn.Module):
    """Next-numeral logits for every position of a token sequence."""

    def __init__(self, config: ChordsConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(_init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # GPT-2's scaled init of residual projections
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits for the next token at every position.

        Args:
            idx: Token ids, shape ``(B, T)`` with ``T <= block_size``.

        Returns:
            Logits, shape ``(B, T, vocab_size)``.
        """
        _, t = idx.size()  # (B, T)
        if t > self.config.block_size:
            raise AssistError(f"context length={t} must be <= block_size={self.config.block_size}")
        pos = torch.arange(t, dtype=torch.long, device=idx.device)  # (T,)
        x = self.drop(self.wte(idx) + self.wpe(pos))  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        logits: torch.Tensor = self.lm_head(self.ln_f(x))  # (B, T, V)
        return logits

    def num_parameters(self) -> int:
        """Trainable parameters (the tied head counted once)."""
        return sum(p.numel() for p in self.parameters())


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)


def save_checkpoint(
    path: Path, model: ChordsGPT, vocab: tuple[str, ...], meta: dict[str, Any]
) -> None:
    """Write the config, vocabulary, metadata and float32 weights to ``path``."""
    state = {k: v.detach().to(torch.float32).clone() for k, v in model.state_dict().items()}
    state.pop("lm_head.weight", None)  # tied to wte.weight: stored once
    payload = {"config": asdict(model.config), "vocab": list(vocab), "meta": meta, "model": state}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)


def load_checkpoint(path: Path | Any) -> tuple[ChordsGPT, tuple[str, ...], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`; the model is in eval mode.

    Raises:
        AssistError: The file is missing or is not a chord-model checkpoint.
    """
    try:
        with open(path, "rb") as fh:
            payload = torch.load(fh, map_location="cpu", weights_only=True)
        config = ChordsConfig(**payload["config"])
        model = ChordsGPT(config)
        state = dict(payload["model"])
        state["lm_head.weight"] = state["wte.weight"]
        model.load_state_dict(state)
    except (OSError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError) as exc:
        raise AssistError(
            f"chord model checkpoint {str(path)!r} could not be loaded: {exc}"
        ) from exc
    model.eval()
    return model, tuple(payload["vocab"]), dict(payload["meta"])
