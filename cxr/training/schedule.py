"""The paper's learning-rate schedule and early stopping, as plain, testable functions."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


def learning_rate(epoch: int, base_lr: float, constant_epochs: int = 5, decay: float = math.exp(-0.1)) -> float:
    """Learning rate of 0-based `epoch`: constant for `constant_epochs`, then times `decay` per epoch."""
    if epoch < constant_epochs:
        return base_lr
    return base_lr * decay ** (epoch - constant_epochs + 1)


@dataclass
class EarlyStopping:
    """Stop when the monitored loss has not improved for `patience` epochs (Keras semantics)."""

    patience: int = 10
    min_delta: float = 0.0
    best: float = math.inf
    best_epoch: int = -1
    _waited: int = field(default=0, repr=False)

    def update(self, epoch: int, loss: float) -> bool:
        """Record an epoch's loss; True when it is the best so far (save a checkpoint then)."""
        if loss < self.best - self.min_delta:
            self.best, self.best_epoch, self._waited = loss, epoch, 0
            return True
        self._waited += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self._waited >= self.patience
