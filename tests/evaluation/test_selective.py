"""Selective prediction: risk-coverage curves and the threshold for a target accuracy."""
from __future__ import annotations

import numpy as np
import pytest

from cxr.evaluation.selective import (
    MIN_LABELLED,
    THRESHOLD_CANDIDATES,
    accuracy_lower_bound,
    area_under_risk_coverage,
    labelled_needed,
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


def clear_and_hard(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """60% clear readings (scores 0.5-1, right 98% of the time) and 40% hard ones (scores 0-0.5,
    right 60%): the labels above a threshold t < 0.5 are right (0.588 + 0.48 (0.5 - t)) /
    (0.6 + 0.8 (0.5 - t)) of the time, so t = 0.3 (coverage 0.76) is the lowest that keeps 0.9."""
    clear = rng.uniform(size=n) < 0.6
    scores = np.where(clear, rng.uniform(0.5, 1.0, size=n), rng.uniform(0.0, 0.5, size=n))
    return scores, rng.uniform(size=n) < np.where(clear, 0.98, 0.6)


def test_the_chosen_thresholds_labels_fall_short_of_the_target_rarely():
    # The lowest threshold whose seen accuracy reached 0.9 fell short of it in most draws of 100
    # or 200 (it takes the largest coverage where the noise happens to be kind): the promise
    # must hold in at least 90% of draws.
    rng = np.random.default_rng(0)
    thresholds = np.array([threshold_for_accuracy(*clear_and_hard(200, rng), 0.9) for _ in range(300)])
    assert (thresholds < 0.3).sum() <= 0.1 * 300
    assert np.isfinite(thresholds).sum() > 0.8 * 300  # and it still labels, where the score is this good


def test_with_many_cases_the_threshold_comes_near_the_lowest_that_keeps_the_target():
    scores, correct = clear_and_hard(20000, np.random.default_rng(1))
    t = threshold_for_accuracy(scores, correct, 0.9)
    assert 0.3 <= t < 0.45 and (scores >= t).mean() > 0.65  # the grid's step below 0.76


def test_the_lower_bound_is_clopper_pearsons():
    from scipy.stats import binomtest

    assert accuracy_lower_bound(30, 30, 0.9) == pytest.approx(0.1 ** (1 / 30))
    for right, labelled in [(1, 1), (17, 40), (97, 100), (600, 700)]:
        # The one-sided bound at 0.9 is the lower end of the two-sided exact interval at 0.8.
        expected = binomtest(right, labelled).proportion_ci(confidence_level=0.8, method="exact").low
        assert accuracy_lower_bound(right, labelled, 0.9) == pytest.approx(expected)
    assert accuracy_lower_bound(0, 12, 0.9) == 0.0
    with pytest.raises(ValueError):
        accuracy_lower_bound(0, 0, 0.9)


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


@pytest.mark.parametrize("target", [0.8, 0.9, 0.95])
def test_labelled_needed_is_the_fewest_right_readings_that_can_be_labelled(target):
    """The statistics audit: a site calibration whose threshold is set on 20-29 cases can never
    label, and 30 all right cannot promise 0.90 either. `labelled_needed` readings, all right
    with distinct scores, get a threshold; one fewer do not, whatever the scores."""
    need = labelled_needed(target)
    assert need >= MIN_LABELLED
    scores = np.linspace(0.5, 1.0, need)
    assert np.isfinite(threshold_for_accuracy(scores, np.ones(need, bool), target))
    fewer = np.linspace(0.5, 1.0, need - 1)
    if need - 1 >= MIN_LABELLED + THRESHOLD_CANDIDATES:  # a full grid: the bound it was counted for
        assert threshold_for_accuracy(fewer, np.ones(need - 1, bool), target) == np.inf
    assert labelled_needed(0.9) > MIN_LABELLED  # 30 all right are not enough for 0.90

