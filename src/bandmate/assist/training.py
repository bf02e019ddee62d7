"""What the bandmate's trainers share: early stopping on the validation likelihood.

Every trainer evaluates every few steps, keeps the weights of the best validation NLL seen
and stops after ``patience`` evaluations without improvement; at the end the model gets its
best weights back (in eval mode) and the trainer reports where and how fast it got there.
"""

from __future__ import annotations

import copy
import math
import time

from torch import nn


class EarlyStopping:
    """The best weights seen so far and how long since they improved.

    Args:
        model: The model being trained (its weights are copied at each new best).
        patience: Evaluations without improvement before training stops.
        min_gain: How much lower than the best a validation NLL must be to count as better.
    """

    def __init__(self, model: nn.Module, patience: int, *, min_gain: float = 0.0) -> None:
        self.model, self.patience, self.min_gain = model, patience, min_gain
        self.best_nll = math.inf
        self.best_state = copy.deepcopy(model.state_dict())
        self.best_step = 0
        self.stale = 0
        self.started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds since training started."""
        return time.perf_counter() - self.started

    def update(self, step: int, val_nll: float) -> bool:
        """Record the validation NLL after ``step``; whether training should stop now."""
        if val_nll < self.best_nll - self.min_gain:
            self.best_nll, self.best_step, self.stale = val_nll, step, 0
            self.best_state = copy.deepcopy(self.model.state_dict())
        else:
            self.stale += 1
        return self.stale >= self.patience

    def restore(self) -> dict[str, float]:
        """Put the best weights back (eval mode); the best step, its NLL and the time taken."""
        self.model.load_state_dict(self.best_state)
        self.model.eval()
        return {
            "best_step": self.best_step,
            "validation_nll": self.best_nll,
            "train_seconds": self.seconds(),
        }
