"""Class-conditional conformal sets: crepes fits them, one threshold per class serves them."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from crepes.extras import hinge

from cxr.evaluation.conformal import (
    conformal_classifier,
    crepes_sets,
    fit_class_conditional,
    mean_set_size,
    min_cases_to_rule_out,
    set_coverage,
)
from cxr.inference.abstention import prediction_sets


def _noisy_probs(rng, n: int, n_classes: int = 3, skill: float = 1.5):
    y = rng.integers(0, n_classes, n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), y] += skill
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs.round(3), y  # rounded: ties between scores must be handled like crepes does


def _quantile_sets(cal_probs, cal_y, test_probs, confidence) -> np.ndarray:
    """The split-conformal sets in closed form: class c is kept where 1 - p_c is at most the
    ceil((n_c + 1) * confidence)-th smallest calibration score of class c (always, when that rank
    exceeds n_c). Exact arithmetic on the level, so 0.9 is nine tenths."""
    kept = np.ones(test_probs.shape, dtype=bool)
    for c in range(cal_probs.shape[1]):
        scores = np.sort(1.0 - cal_probs[cal_y == c, c])
        rank = math.ceil(Fraction(str(confidence)) * (scores.size + 1))
        if rank <= scores.size:
            kept[:, c] = 1.0 - test_probs[:, c] <= scores[rank - 1]
    return kept


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
# 400 drawn at random; 19 and 39 per class make (n + 1)(1 - confidence) whole, where crepes' own
# predict_set (p >= 1 - confidence) keeps one order statistic more.
@pytest.mark.parametrize("per_class", [None, 19, 39])
def test_serving_thresholds_give_exactly_crepes_sets(confidence, per_class):
    rng = np.random.default_rng(1)
    cal_probs, cal_y = _noisy_probs(rng, 400)
    if per_class:
        keep = np.concatenate([np.flatnonzero(cal_y == c)[:per_class] for c in range(3)])
        cal_probs, cal_y = cal_probs[keep], cal_y[keep]
    test_probs, _ = _noisy_probs(rng, 2000)
    fitted = fit_class_conditional(cal_probs, cal_y, confidence)
    served = fitted.sets(test_probs)
    assert np.array_equal(served, crepes_sets(conformal_classifier(cal_probs, cal_y), test_probs, confidence))
    assert np.array_equal(served, _quantile_sets(cal_probs, cal_y, test_probs, confidence))


def test_crepes_predict_set_keeps_one_order_statistic_more_where_the_level_divides_evenly():
    """What the module docstring says of crepes: its predict_set tests p >= 1 - confidence, so
    with 19 cases at 90% ((19 + 1) * 0.1 = 2) it keeps the 19th smallest score, not the 18th."""
    rng = np.random.default_rng(1)
    cal_probs, cal_y = _noisy_probs(rng, 400)
    keep = np.concatenate([np.flatnonzero(cal_y == c)[:19] for c in range(3)])
    cal_probs, cal_y = cal_probs[keep], cal_y[keep]
    scores = np.sort(1.0 - cal_probs[cal_y == 0, 0])
    classifier = conformal_classifier(cal_probs, cal_y)
    between = np.array([[1.0 - scores[18], 0.0, 0.0]])  # score = the 19th smallest
    own = classifier.predict_set(hinge(between), bins=np.zeros(1, int), confidence=0.9, smoothing=False)
    assert own[0, 0] == 1  # crepes keeps it (p = 2/20 >= 0.1)
    assert not fit_class_conditional(cal_probs, cal_y, 0.9).sets(between)[0, 0]  # the quantile does not


def test_each_class_is_covered_at_the_stated_level_on_exchangeable_images():
    rng = np.random.default_rng(2)
    cal_probs, cal_y = _noisy_probs(rng, 3000)
    test_probs, test_y = _noisy_probs(rng, 20000)
    sets = fit_class_conditional(cal_probs, cal_y, 0.9).sets(test_probs)
    for c in range(3):
        assert 0.88 <= set_coverage(sets[test_y == c], test_y[test_y == c]) <= 0.93
    # A skilled model needs smaller sets than all three classes.
    assert 1.0 < mean_set_size(sets) < 2.0


def test_a_class_with_too_few_calibration_cases_is_never_ruled_out():
    # 5 cases of class 2: at 90% no order statistic is extreme enough, so class 2 stays in.
    rng = np.random.default_rng(3)
    probs, y = _noisy_probs(rng, 300)
    keep = (y != 2) | (np.cumsum(y == 2) <= 5)
    fitted = fit_class_conditional(probs[keep], y[keep], 0.9)
    assert fitted.calibration_counts[2] == 5
    assert fitted.thresholds[2] == np.inf
    assert fitted.sets(probs)[:, 2].all()


def test_a_class_without_threshold_is_in_every_set():
    assert prediction_sets(np.array([[0.99, 0.0, 0.01]]), [0.5, None, 0.5]).tolist() == [[True, True, False]]


def test_prediction_sets_and_coverage_by_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
    sets = prediction_sets(probs, [0.5, 0.7, 0.7])
    # Scores 1 - p: [0.3, 0.8, 0.9] and [0.6, 0.65, 0.75].
    assert sets.tolist() == [[True, False, False], [False, True, False]]
    assert set_coverage(sets, np.array([0, 2])) == 0.5
    assert mean_set_size(sets) == 1.0


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_the_fewest_cases_that_rule_a_class_out_are_those_the_fit_needs(confidence):
    needed = min_cases_to_rule_out(confidence)
    rng = np.random.default_rng(0)
    for n, ruled_out in ((needed - 1, False), (needed, True)):
        y = np.r_[np.zeros(n, int), np.ones(40, int), np.full(40, 2)]
        sets = fit_class_conditional(rng.dirichlet([1, 1, 1], size=len(y)), y, confidence)
        assert np.isfinite(sets.thresholds[0]) == ruled_out, (n, sets.thresholds)


@pytest.mark.parametrize("n, rank", [(9, 1), (19, 2), (18, 1), (29, 3), (269, 27), (8, 0)])
def test_the_threshold_rank_is_exact_where_the_level_times_n_plus_one_is_whole(n, rank):
    # p-value (k + 1) / (n + 1) > 0.1 needs k >= floor(0.1 (n + 1)); 1 - 0.9 in floating point is
    # 0.09999999999999998, which made n = 19 take the largest score instead of the 2nd.
    from cxr.evaluation.conformal import _threshold_rank

    assert _threshold_rank(n, 1 - 0.9) == rank


def test_nine_cases_can_rule_a_class_out_at_90_percent():
    assert min_cases_to_rule_out(0.9) == 9 and min_cases_to_rule_out(0.8) == 4
