"""cxr.evaluation.predictions and metrics.bootstrap_statistic: the statistics every study reports."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxr.evaluation.metrics import bootstrap_statistic
from cxr.evaluation.predictions import (
    CLASSES,
    accuracy,
    macro_auc_present,
    probability_columns,
    sensitivity,
    sensitivity_of,
    with_ci,
)


def frame(labels, predicted, probabilities=None) -> pd.DataFrame:
    out = pd.DataFrame({"label": labels, "predicted": predicted})
    if probabilities is not None:
        out[probability_columns()] = np.asarray(probabilities, dtype=float)
    return out


def test_classes_are_the_products_three_in_output_order():
    assert CLASSES == ("covid", "pneumonia", "normal")
    assert probability_columns() == ["p_covid", "p_pneumonia", "p_normal"]


def test_accuracy_and_sensitivity_by_hand():
    f = frame(["covid", "covid", "covid", "normal", "pneumonia"],
              ["covid", "normal", "covid", "normal", "covid"])
    assert accuracy(f) == pytest.approx(3 / 5)
    assert sensitivity(f, "covid") == pytest.approx(2 / 3)
    assert sensitivity(f, "pneumonia") == 0.0
    assert sensitivity_of("covid")(f) == pytest.approx(2 / 3)


def test_sensitivity_of_an_absent_class_is_nan_not_zero():
    f = frame(["normal", "normal"], ["covid", "normal"])
    assert np.isnan(sensitivity(f, "covid"))


def test_macro_auc_skips_classes_without_positives():
    # No covid rows: only pneumonia and normal count. Pneumonia is ranked perfectly by p_pneumonia
    # (AUC 1); p_normal puts one normal below one pneumonia of the four pairs (AUC 0.75).
    f = frame(["pneumonia", "pneumonia", "normal", "normal"], ["pneumonia"] * 4,
              [[0.5, 0.9, 0.1], [0.5, 0.8, 0.3], [0.5, 0.2, 0.2], [0.5, 0.1, 0.9]])
    assert macro_auc_present(f) == pytest.approx((1.0 + 0.75) / 2)


def test_macro_auc_is_nan_when_no_class_has_positives_and_negatives():
    f = frame(["normal", "normal"], ["normal", "normal"], [[0.1, 0.1, 0.8], [0.2, 0.1, 0.7]])
    assert np.isnan(macro_auc_present(f))


def test_bootstrap_statistic_brackets_the_value_and_is_seeded():
    rng = np.random.default_rng(0)
    f = frame(rng.choice(list(CLASSES), 400), rng.choice(list(CLASSES), 400))
    result = bootstrap_statistic(f, accuracy, n_boot=300, seed=1)
    assert result["value"] == pytest.approx(accuracy(f))
    lo, hi = result["ci95"]
    assert lo < result["value"] < hi
    # Binomial standard error of a proportion near 1/3 with n = 400: the interval is about
    # 2 * 1.96 * sqrt(p (1 - p) / n) = 0.092 wide.
    assert hi - lo == pytest.approx(0.092, abs=0.02)
    assert bootstrap_statistic(f, accuracy, n_boot=300, seed=1) == result
    assert bootstrap_statistic(f, accuracy, n_boot=300, seed=2) != result


def test_bootstrap_statistic_ignores_resamples_where_the_statistic_is_undefined():
    # One covid row in 20: many resamples have no covid, where sensitivity is NaN.
    f = frame(["covid"] + ["normal"] * 19, ["covid"] + ["normal"] * 19)
    result = bootstrap_statistic(f, sensitivity_of("covid"), n_boot=200)
    assert result == {"value": 1.0, "ci95": [1.0, 1.0]}


def test_with_ci_writes_value_and_interval_in_brackets():
    f = frame(["covid", "normal"] * 50, ["covid", "normal"] * 50)
    assert with_ci(f, accuracy) == "1.000 [1.000, 1.000]"
    text = with_ci(frame(["covid", "normal"] * 50, ["covid"] * 100), accuracy)
    value, interval = text.split(" [")
    assert value == "0.500"
    lo, hi = (float(x) for x in interval.rstrip("]").split(", "))
    assert lo < 0.5 < hi
