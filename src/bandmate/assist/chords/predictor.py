"""The committed chord models, loaded once: next-numeral distributions from a context.

:class:`ChordPredictor` holds the transformer (``weights/chords.pt``) and the Kneser–Ney
baseline, refitted from the committed training split with the checkpoint's vocabulary
and order (a fraction of a second, on first use). Both answer the same question: given
a style, a mode and the numerals so far, how likely is each token next.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from bandmate.assist.chords.model import ChordsGPT, load_checkpoint
from bandmate.assist.chords.ngram import KneserNey
from bandmate.assist.dataset import (
    ANY_STYLE,
    EOS,
    STYLES,
    UNK,
    Vocabulary,
    encode_split,
    mode_token,
    style_token,
)
from bandmate.assist.errors import AssistError

ModelName = Literal["transformer", "ngram"]
MODEL_NAMES: tuple[ModelName, ...] = ("transformer", "ngram")


class ChordPredictor:
    """Next-numeral probabilities from the transformer or the n-gram baseline.

    Args:
        model: The trained transformer (put in eval mode).
        vocab: Its vocabulary.
        ngram_order: The order of the baseline (chosen on validation at training time).
    """

    def __init__(self, model: ChordsGPT, vocab: Vocabulary, *, ngram_order: int) -> None:
        self.model = model.eval()
        self.vocab = vocab
        self.ngram_order = ngram_order
        self._ngram: KneserNey | None = None
        self.numeral_ids = np.array(vocab.numeral_ids, dtype=np.int64)
        self.eos_id = vocab.id(EOS)
        self.unk_id = vocab.id(UNK)

    @property
    def ngram(self) -> KneserNey:
        """The Kneser–Ney baseline, fitted on first use."""
        if self._ngram is None:
            train = encode_split("train", self.vocab)
            self._ngram = KneserNey(len(self.vocab), order=self.ngram_order).fit(train)
        return self._ngram

    def context_ids(self, style: str | None, mode: str, numerals: Sequence[str]) -> list[int]:
        """Token ids ``[style, mode, numerals...]``, cut to the transformer's context length.

        Raises:
            AssistError: Unknown style or mode.
        """
        if style is not None and style not in STYLES:
            raise AssistError(f"style={style!r} must be one of {', '.join(STYLES)} (or None)")
        if mode not in ("major", "minor"):
            raise AssistError(f"mode={mode!r} must be 'major' or 'minor'")
        prefix = [self.vocab.id(style_token(style or ANY_STYLE)), self.vocab.id(mode_token(mode))]
        keep = self.model.config.block_size - len(prefix)
        tail = list(numerals)[-keep:] if keep > 0 else []
        return prefix + self.vocab.encode(tail)

    def distribution(self, ids: Sequence[int], *, model: ModelName = "transformer") -> np.ndarray:
        """P(next token | ids) over the whole vocabulary, shape ``(V,)``.

        Args:
            ids: A context from :meth:`context_ids`.
            model: ``"transformer"`` or the ``"ngram"`` baseline.
        """
        if model == "ngram":
            return self.ngram.distribution(ids)
        if model != "transformer":
            raise AssistError(f"model={model!r} must be one of {', '.join(MODEL_NAMES)}")
        with torch.inference_mode():
            logits = self.model(torch.tensor([list(ids)], dtype=torch.long))[0, -1]  # (V,)
            probs = torch.softmax(logits.double(), dim=-1)  # (V,)
        out: np.ndarray = probs.numpy()
        return out


def default_weights() -> Path:
    """Where the committed chord-model checkpoint lives."""
    return Path(str(resources.files("bandmate.assist") / "weights" / "chords.pt"))


@cache
def load_predictor(path: Path | None = None) -> ChordPredictor:
    """Load (once per path) the chord models.

    Raises:
        AssistError: The checkpoint is missing or unreadable.
    """
    model, tokens, meta = load_checkpoint(path or default_weights())
    return ChordPredictor(model, Vocabulary(tokens), ngram_order=int(meta["ngram_order"]))
