"""Site validation: local numbers with intervals, and a verdict that can only withhold trust."""
from __future__ import annotations

import numpy as np
import pytest

from cxr.evaluation.site_validation import validate
from cxr.inference.site_check import (
    SiteCase,
    cases_for_half_width,
    planning_proportion,
    proportion,
    verdict,
    wilson_interval,
)

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
    assert cases_for_half_width(0.9, 0.05) == 141
    assert cases_for_half_width(0.9, 0.025) == pytest.approx(4 * 141, abs=8)


@pytest.mark.parametrize("p, half_width", [(0.5, 0.05), (0.9, 0.1), (0.95, 0.05), (0.99, 0.1), (0.99, 0.03),
                                           (1.0, 0.1)])
def test_cases_needed_are_the_fewest_for_the_wilson_interval_shown(p, half_width):
    # The site's figures are shown with Wilson intervals; near p = 1 the normal approximation
    # promised +/-0.10 from 4 cases at 0.99, where the interval shown is then +/-0.25.
    n = cases_for_half_width(p, half_width)

    def half(cases):
        low, high = wilson_interval(p * cases, cases, z=1.959964)
        return (high - low) / 2

    assert half(n) <= half_width + 1e-12 < half(n - 1)


def test_a_few_lucky_cases_do_not_promise_a_tight_interval_cheaply():
    """4 of 4 right: the interval (0.51-1.00) allows an accuracy near 0.5, which needs the most
    cases; planning at the point estimate (1.0) promised +/-0.05 from 16 labelled readings."""
    lucky = proportion(4, 4)
    assert planning_proportion(lucky, 0.9) == pytest.approx(lucky["ci95"][0])
    assert cases_for_half_width(planning_proportion(lucky, 0.9), 0.05) > 350
    many = proportion(270, 300)  # 0.90 (0.86-0.93): plan at its lower bound
    assert planning_proportion(many, 0.5) == pytest.approx(many["ci95"][0])
    assert planning_proportion(proportion(150, 300), 0.9) == 0.5  # 0.5 is inside: the worst case
    assert planning_proportion(proportion(0, 0), 0.93) == 0.93  # nothing measured: the fallback
    cases = [SiteCase("covid", "covid", False, {"covid": 0.9, "pneumonia": 0.05, "normal": 0.05}, None)] * 4
    assert validate(cases, CLASSES, _trust(), n_boot=20)["cases_needed"]["+/-0.05"] > 350


def test_the_report_measures_what_calibrating_at_the_site_would_give():
    """A site whose films the model over-calls as COVID-19: calibrated on half of its cases, the
    other half is read far better, and the sets hold the true class about 90% of the time."""
    rng = np.random.default_rng(0)
    truth = rng.choice([0, 2], size=240, p=[0.3, 0.7])  # covid and normal only, as at one site
    cases = []
    for y in truth:
        logits = rng.normal(0.0, 1.0, 3)
        logits[y] += 2.5
        logits[0] += 2.5  # the over-call
        probs = np.exp(logits) / np.exp(logits).sum()
        label = CLASSES[int(np.argmax(probs))]
        cases.append(SiteCase(CLASSES[y], label, False, dict(zip(CLASSES, probs.tolist(), strict=True)), None))
    report = validate(cases, CLASSES, None, n_boot=20)
    what_if = report["calibrated_here"]
    raw_accuracy = report["all_read"]["accuracy"]["value"]
    assert what_if["measured"]["accuracy"]["mean"] > raw_accuracy + 0.1
    assert 0.8 <= what_if["measured"]["set_coverage"]["mean"] <= 1.0
    # Pneumonia never seen here: never ruled out, so it is in every set and not among the seen classes.
    sizes = what_if["measured"]
    assert sizes["mean_set_size"]["mean"] == pytest.approx(sizes["mean_set_size_seen"]["mean"] + 1.0)
    assert list(what_if["pairwise_auc"]) == ["covid / normal"] and what_if["pairwise_auc"]["covid / normal"] > 0.8
    assert validate(cases[:30], CLASSES, None, n_boot=20)["calibrated_here"] is None  # too few cases
