"""Calibration at one site from its own labelled X-rays (cxr.evaluation.local_calibration)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import softmax

from cxr.evaluation.local_calibration import (
    fit_local_calibration,
    fit_vector_scaling,
    local_budget,
    measure,
    pairwise_auc,
)

CLASSES = ["covid", "pneumonia", "normal"]


def _site(n: int, seed: int, mix=(0.3, 0.2, 0.5), signal: float = 2.5, over_call: float = 2.0):
    """A site's readings: logits that carry the class (`signal`) but over-call class 0 by
    `over_call`, the way the model calls unseen hospitals' films COVID-19."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=mix)
    logits = rng.normal(0.0, 1.0, (n, 3))
    logits[np.arange(n), y] += signal
    logits[:, 0] += over_call
    return logits, y


def test_vector_scaling_learns_a_class_the_model_over_calls():
    logits, y = _site(2000, seed=0)
    scaling = fit_vector_scaling(logits, y)
    before = (logits.argmax(axis=1) == y).mean()
    after = (scaling.probs(logits).argmax(axis=1) == y).mean()
    assert scaling.bias[0] - scaling.bias[1:].mean() < -1.0  # the over-call is taken back
    assert after > before + 0.1


def test_local_sets_cover_the_sites_other_xrays_at_the_stated_level():
    # The guarantee is on average over calibration draws: with ~33 cases of a class in the
    # calibrating half, one draw's coverage varies by about +/-0.05, so ten sites are averaged.
    coverages = []
    for seed in range(1, 11):
        logits, y = _site(4000, seed=seed)
        local, rest = slice(0, 200), slice(200, None)
        calibration = fit_local_calibration(logits[local], y[local], confidence=0.9, target=0.9)
        result = measure(calibration, logits[rest], y[rest])
        coverages.append(result["set_coverage"])
        assert result["mean_set_size"] < 2.0  # informative logits: sets shrink
        raw = softmax(logits[rest], axis=1)
        assert result["accuracy"] > (raw.argmax(axis=1) == y[rest]).mean()
    assert 0.89 <= np.mean(coverages) <= 0.96
    assert min(coverages) >= 0.8


def test_a_class_with_no_local_case_is_never_ruled_out():
    logits, y = _site(300, seed=2, mix=(0.0, 0.4, 0.6))
    calibration = fit_local_calibration(logits[:150], y[:150])
    assert calibration.sets.thresholds[0] == np.inf
    in_sets = calibration.sets.sets(calibration.probs(logits[150:]))
    assert in_sets[:, 0].all()
    result = measure(calibration, logits[150:], y[150:])
    assert result["mean_set_size_seen"] == pytest.approx(result["mean_set_size"] - 1.0)


def test_nothing_is_labelled_where_the_target_cannot_be_reached():
    rng = np.random.default_rng(3)
    y = rng.choice(3, size=400)
    logits = rng.normal(0.0, 1.0, (400, 3))  # carries nothing about the class
    calibration = fit_local_calibration(logits[:200], y[:200], target=0.9)
    assert calibration.threshold == math.inf
    result = measure(calibration, logits[200:], y[200:])
    assert result["coverage"] == 0.0 and math.isnan(result["labelled_accuracy"])


def test_the_budget_draws_differ_and_never_measure_on_local_cases():
    logits, y = _site(400, seed=4)
    results = local_budget(logits, y, n_local=100, repeats=5)
    assert len(results) == 5 and len({r["set_coverage"] for r in results}) > 1
    with pytest.raises(ValueError):
        local_budget(logits, y, n_local=400)


def test_pairwise_auc_is_chance_without_signal_and_high_with_it():
    logits, y = _site(3000, seed=5, signal=3.0)
    assert min(pairwise_auc(logits, y, CLASSES).values()) > 0.9
    rng = np.random.default_rng(6)
    noise = rng.normal(0.0, 1.0, (3000, 3))
    assert all(abs(v - 0.5) < 0.05 for v in pairwise_auc(noise, y, CLASSES).values())
    two_classes = y != 0
    assert list(pairwise_auc(logits[two_classes], y[two_classes], CLASSES)) == ["pneumonia / normal"]


def test_the_served_site_calibration_reads_the_sites_next_xrays_as_measured():
    """Fitted on 200 of a site's readings (as probabilities, what validate-site has), served on
    the site's next 3,000 through cxr.inference.site_calibration: sets cover about 90%, labels
    are right about as often as its own measured figure says."""
    from scipy.special import softmax as softmax_rows

    from cxr.evaluation.local_calibration import MIN_SITE_CASES, fit_site_calibration

    logits, y = _site(3200, seed=5)
    probs = softmax_rows(logits, axis=1)
    calibration = fit_site_calibration(probs[:200], y[:200], CLASSES, "v4", fitted_at="2026-12-04")
    assert calibration.cases == 200 and calibration.fitted_at == "2026-12-04"
    assert sum(calibration.cases_by_class.values()) == 200 and calibration.label_threshold is not None
    served = calibration.probabilities(probs[200:])
    sets = calibration.in_set(served)
    assert 0.85 <= sets[np.arange(len(served)), y[200:]].mean() <= 0.97
    labelled = calibration.labels(served)
    right = (served.argmax(axis=1) == y[200:])[labelled].mean()
    assert labelled.mean() > 0.2 and right > 0.85
    assert abs(right - calibration.labelled_accuracy) < 0.06
    with pytest.raises(ValueError, match=f"at least {MIN_SITE_CASES}"):
        fit_site_calibration(probs[:MIN_SITE_CASES - 1], y[:MIN_SITE_CASES - 1], CLASSES, "v4")
