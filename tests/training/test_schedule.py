"""The paper's learning-rate schedule and early stopping."""
from __future__ import annotations

import math

import pytest

from cxr.training.schedule import EarlyStopping, learning_rate


def test_constant_for_five_epochs_then_exponential():
    lrs = [learning_rate(epoch, 1e-4) for epoch in range(10)]
    assert lrs[:5] == [1e-4] * 5
    for epoch in range(5, 10):
        assert lrs[epoch] == pytest.approx(1e-4 * math.exp(-0.1 * (epoch - 4)))
    # Each decayed epoch is the previous one times the same factor.
    ratios = [b / a for a, b in zip(lrs[4:], lrs[5:], strict=False)]
    assert ratios == pytest.approx([math.exp(-0.1)] * 5)


def test_schedule_options():
    assert [learning_rate(e, 1.0, constant_epochs=2, decay=0.5) for e in range(5)] == [
        1.0, 1.0, 0.5, 0.25, 0.125]
    assert learning_rate(0, 1e-6, constant_epochs=0, decay=0.9) == pytest.approx(0.9e-6)


def test_early_stopping_waits_patience_epochs_after_the_best():
    stopper = EarlyStopping(patience=3)
    losses = [1.0, 0.8, 0.9, 0.79, 0.85, 0.86, 0.80, 0.5]
    improved, stopped_after = [], None
    for epoch, loss in enumerate(losses):
        improved.append(stopper.update(epoch, loss))
        if stopper.should_stop:
            stopped_after = epoch
            break
    assert improved == [True, True, False, True, False, False, False]
    assert stopped_after == 6  # three epochs without beating 0.79
    assert stopper.best == pytest.approx(0.79) and stopper.best_epoch == 3


def test_early_stopping_min_delta_ignores_tiny_gains():
    stopper = EarlyStopping(patience=2, min_delta=0.01)
    assert stopper.update(0, 1.0)
    assert not stopper.update(1, 0.995)
    assert not stopper.should_stop
    assert not stopper.update(2, 0.999)
    assert stopper.should_stop
    assert stopper.best_epoch == 0
