"""Site validation: local numbers with intervals, and a verdict that can only withhold trust."""
from __future__ import annotations

import pytest

from cxr.evaluation.site_validation import validate
from cxr.inference.site_check import SiteCase, cases_for_half_width, verdict

CLASSES = ["covid", "pneumonia", "normal"]


def _case(truth, label, probs=None, rejected=False, prediction_set=None):
    probs = probs or {c: (0.8 if c == (label or truth) else 0.1) for c in CLASSES}
    return SiteCase(truth, label, rejected, probs, prediction_set)


def _trust(accuracy=0.93, target=0.9):
    return {"target_accuracy": target,
            "measured": {"pooled": {"labelled_accuracy": {"value": accuracy}, "coverage": {"value": 0.6}}}}


def test_verdicts_follow_the_interval():
    def acc(value, lo, hi, n=200):
        return {"value": value, "ci95": [lo, hi], "n": n}

    assert verdict(acc(0.9, 0.8, 0.95, n=20), 0.9, 0.93)["code"] == "too_few_cases"
    assert verdict(acc(0.80, 0.74, 0.85), 0.9, 0.93)["code"] == "not_validated"
    assert verdict(acc(0.95, 0.92, 0.97), 0.9, 0.93)["code"] == "consistent_with_card"
    assert verdict(acc(0.91, 0.87, 0.94), 0.9, 0.93)["code"] == "inconclusive"
    text = verdict(acc(0.80, 0.74, 0.85), 0.9, 0.93)["text"]
    assert text.startswith("Not validated for use at this site") and "93%" in text


def test_counts_coverage_and_set_coverage():
    cases = ([_case("covid", "covid", prediction_set=["covid"])] * 40
             + [_case("normal", "covid", prediction_set=["covid", "normal"])] * 10
             + [_case("pneumonia", None, prediction_set=["pneumonia", "normal"])] * 10
             + [_case("normal", None, rejected=True)] * 3
             + [SiteCase("normal", None, True, None, None)] * 2)
    report = validate(cases, CLASSES, _trust(), n_boot=20)
    assert (report["cases"], report["read"], report["refused"], report["unreadable"]) == (65, 60, 3, 2)
    assert report["coverage"]["value"] == pytest.approx(50 / 60)
    assert report["labelled_accuracy"]["value"] == pytest.approx(40 / 50)
    assert report["set_coverage"]["value"] == 1.0
    assert report["verdict"]["code"] == "not_validated"  # 0.8 (0.67-0.89) < the card's 0.93
    assert report["all_read"]["per_class"]["covid"]["sensitivity"]["value"] == 1.0


def test_cases_needed_shrink_with_the_square_of_the_width():
    assert cases_for_half_width(0.9, 0.05) == 139
    assert cases_for_half_width(0.9, 0.025) == pytest.approx(4 * 139, abs=2)
