"""Selective prediction: risk-coverage curves and the threshold for a target accuracy."""
from __future__ import annotations

import numpy as np

from cxr.evaluation.selective import (
    area_under_risk_coverage,
    risk_coverage,
    threshold_for_accuracy,
)


def test_curve_by_hand_with_a_tie():
    scores = np.array([0.9, 0.8, 0.8, 0.5, 0.1])
    correct = np.array([True, True, False, True, False])
    curve = risk_coverage(scores, correct)
    assert curve["threshold"].tolist() == [0.9, 0.8, 0.5, 0.1]  # the tie at 0.8 moves together
    assert curve["labelled"].tolist() == [1, 3, 4, 5]
    assert np.allclose(curve["accuracy"], [1.0, 2 / 3, 3 / 4, 3 / 5])
    assert np.allclose(curve["coverage"], [0.2, 0.6, 0.8, 1.0])


def test_threshold_reaches_the_target_with_the_largest_coverage():
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=2000)
    correct = rng.uniform(size=2000) < scores  # P(right) = score
    t = threshold_for_accuracy(scores, correct, 0.9)
    labelled = scores >= t
    assert correct[labelled].mean() >= 0.9
    # One step lower (the next score below t) falls under the target or is the minimum.
    below = scores[scores < t].max()
    assert correct[scores >= below].mean() < 0.9
    # Sanity: P(right | score >= t) = (1 + t) / 2 >= 0.9 -> t near 0.8.
    assert 0.7 < t < 0.9


def test_no_threshold_means_label_nothing():
    scores = np.linspace(0, 1, 100)
    assert threshold_for_accuracy(scores, np.zeros(100, dtype=bool), 0.9) == np.inf
    # Right, but fewer than 30 labelled readings above any threshold that reaches the target.
    correct = scores > 0.9
    assert threshold_for_accuracy(scores, correct, 0.95) == np.inf


def test_a_useful_score_has_lower_area_than_a_useless_one():
    rng = np.random.default_rng(1)
    scores = rng.uniform(size=3000)
    correct = rng.uniform(size=3000) < scores
    useless = rng.uniform(size=3000)
    assert area_under_risk_coverage(scores, correct) < area_under_risk_coverage(useless, correct) - 0.1
