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
        low, high = wilson_interval(p * cases, cases)
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


def _bundled_card_figures() -> dict:
    import json
    from pathlib import Path

    from cxr.inference.card import ModelCard
    from cxr.inference.site_check import card_figures

    path = Path(__file__).resolve().parents[2] / "models" / "bundled" / "model_card.json"
    if not path.is_file():
        pytest.skip("no bundled model card")
    return card_figures(ModelCard.from_dict(json.loads(path.read_text())))


def _read(right: int, wrong: int) -> list[SiteCase]:
    return [_case("covid", "covid")] * right + [_case("normal", "covid")] * wrong


@pytest.mark.parametrize(("right", "wrong", "code"), [
    (30, 0, "inconclusive"),           # 100% (88.6%-100%): may be at or below the card's 94.9%
    (32, 13, "not_validated"),         # 71% (57%-82%): below it
    (120, 0, "consistent_with_card"),  # 100% (96.9%-100%): at or above it
])
def test_the_bundled_model_gets_a_verdict_from_the_figures_its_card_has(right, wrong, code):
    """The bundled card has no out-of-source fit, and every run ended "The model card has no
    out-of-source figure for labelled readings to compare with": 100% of 30 and 71% of 45 alike.
    It has its accuracy on new patients of its training collections (patient split) and on
    collections it never saw (source split): the site's most likely class is judged against the
    first, the second stated beside it."""
    figures = _bundled_card_figures()
    assert figures["card_trust"] is None
    seen, unseen = figures["card_split_accuracy"]["patient"], figures["card_split_accuracy"]["source"]
    report = validate(_read(right, wrong), CLASSES, n_boot=20, **figures)
    result = report["verdict"]
    assert result["code"] == code
    assert "no out-of-source figure for labelled readings to compare with" not in result["text"]
    params = result["params"]
    assert params["measure"] == "top_class_accuracy" and params["split"] == "patient"
    assert params["read"] == right + wrong and params["share"] == pytest.approx(right / (right + wrong))
    assert params["bar"] == seen["value"] and [params["bar_lo"], params["bar_hi"]] == seen["ci95"]
    assert params["unseen"] == unseen["value"]
    text = result["text"]
    assert f"{seen['value']:.1%} (95% CI {seen['ci95'][0]:.1%}-{seen['ci95'][1]:.1%})" in text
    assert "new patients of the collections it was trained on (its patient split)" in text
    assert f"on collections it never saw, a model trained the same way was right {unseen['value']:.1%}" in text
    # What to do next, in every case.
    if code == "inconclusive":
        needed = params["cases_to_decide"]
        assert needed > right + wrong and f"about {needed} read X-rays in all ({needed - right - wrong} more)" in text
        assert "treat the model as not checked at this site" in text
    if code == "not_validated":
        assert "Do not rely on its readings here" in text
    if code == "consistent_with_card":
        assert "a clinician and an RT-PCR test decide" in text and "Check again" in text


def test_the_cases_that_would_decide_a_verdict_are_the_fewest():
    from cxr.inference.site_check import cases_to_decide

    for value, bar, above in ((1.0, 0.949, True), (0.97, 0.9, True), (0.71, 0.949, False), (0.8, 0.93, False),
                              (0.95, 0.9, True), (0.5, 0.375, True)):
        n = cases_to_decide(value, bar, above)
        decided = []
        for cases in (n - 1, n):
            low, high = wilson_interval(value * cases, cases)
            decided.append(low >= bar if above else high < bar)
        assert decided == [False, True], (value, bar, n)
    assert cases_to_decide(1.0, 0.9495, True) == 73  # 30 of 30 right: 43 more, all right, would do
    assert cases_to_decide(0.9, 0.9, True) is None and cases_to_decide(0.95, 0.9, False) is None
    assert cases_to_decide(0.9001, 0.9, True) is None  # too close for 10,000 cases


def test_a_card_with_a_fit_says_what_decides_an_inconclusive_verdict():
    result = validate(_read(91, 9), CLASSES, _trust(), n_boot=20)["verdict"]  # 91% (84%-95%) vs 90%
    assert result["code"] == "inconclusive"
    needed = result["params"]["cases_to_decide"]
    assert needed > 100 and f"about {needed} labelled readings in all ({needed - 100} more)" in result["text"]
    assert verdict({"value": 0.8, "ci95": [0.7, 0.88], "n": 100}, 0.9, 0.93)["text"].endswith(
        "it cannot make it tell the classes apart better.")


def test_a_card_with_nothing_to_compare_says_so_and_what_to_do():
    result = validate(_read(40, 0), CLASSES, None, n_boot=20)["verdict"]
    assert result["code"] == "inconclusive" and result["params"]["bar"] is None
    assert "no accuracy of any split" in result["text"] and "Judge these numbers" in result["text"]
