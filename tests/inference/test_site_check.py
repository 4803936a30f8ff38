"""The numpy-only site check the web app uses: counts, Wilson intervals, per-class numbers, verdict."""
from __future__ import annotations

import pytest

from cxr.inference.site_check import (
    SiteCase,
    calibration_bins,
    per_class_counts,
    proportion,
    site_report,
    wilson_interval,
)

CLASSES = ["covid", "pneumonia", "normal"]


def _case(truth, label, top=None, prediction_set=None, rejected=False):
    top = top or label or truth
    return SiteCase(truth, label, rejected, {c: (0.8 if c == top else 0.1) for c in CLASSES}, prediction_set)


def test_the_wilson_interval_is_defined_once():
    from cxr.evaluation import report, trust

    # The trust fit takes its intervals through the same module's proportion().
    assert report.wilson_interval is wilson_interval and trust.proportion is proportion


def test_the_site_page_and_the_toolkit_bin_confidences_alike():
    import numpy as np

    from cxr.evaluation import metrics
    from cxr.inference.site_check import confidence_bin

    # Right-closed tenths: 0.1 is the first bin's top, 1.0 the last bin's, 0 joins the first.
    assert confidence_bin(np.array([0.0, 0.1, 0.1000001, 0.95, 1.0]), 10).tolist() == [0, 0, 1, 9, 9]
    assert metrics.confidence_bin is confidence_bin  # the ECE and reliability plots use the same rule


def test_per_class_sensitivity_and_specificity_with_intervals():
    cases = [_case("covid", "covid")] * 8 + [_case("covid", None, top="normal")] * 2 + [_case("normal", "normal")] * 10
    counts = per_class_counts(cases, CLASSES)
    assert counts["covid"]["cases"] == 10
    assert counts["covid"]["sensitivity"] == proportion(8, 10)
    assert counts["normal"]["specificity"]["value"] == pytest.approx(8 / 10)
    assert counts["pneumonia"]["sensitivity"]["value"] is None  # no pneumonia case: nothing to say


def _stated(truth, top, chance):
    rest = (1 - chance) / 2
    return SiteCase(truth, top, False, {c: (chance if c == top else rest) for c in CLASSES}, None)


def test_calibration_bins_say_how_often_each_stated_chance_was_right():
    cases = ([_stated("covid", "covid", 0.95)] * 9 + [_stated("normal", "covid", 0.97)]       # 0.9-1.0: 9 of 10
             + [_stated("normal", "normal", 0.62)] * 2 + [_stated("covid", "normal", 0.68)] * 2  # 0.6-0.7: 2 of 4
             + [_stated("pneumonia", "pneumonia", 0.5)])                                        # 0.4-0.5: 1 of 1
    bins = calibration_bins(cases, CLASSES)
    assert [(b["low"], b["high"]) for b in bins] == [(0.4, 0.5), (0.6, 0.7), (0.9, 1.0)]  # empty bins left out
    assert [b["right"]["n"] for b in bins] == [1, 4, 10]
    assert bins[2]["right"] == proportion(9, 10) and bins[1]["right"] == proportion(2, 4)
    assert bins[2]["stated"] == pytest.approx((9 * 0.95 + 0.97) / 10)
    assert bins[1]["stated"] == pytest.approx(0.65)
    assert calibration_bins([], CLASSES) == []


def test_report_is_plain_json_and_refuses_unknown_labels():
    import json

    cases = [_case("covid", "covid", prediction_set=["covid"])] * 35 + [SiteCase("normal", None, True, None, None)]
    report = site_report(cases, CLASSES, {"target_accuracy": 0.9,
                                         "measured": {"pooled": {"labelled_accuracy": {"value": 0.93}}}})
    assert json.loads(json.dumps(report)) == report
    assert (report["cases"], report["read"], report["unreadable"], report["labelled"], report["right"]) == (36, 35, 1, 35, 35)
    assert report["verdict"]["code"] == "consistent_with_card" and report["verdict"]["params"]["n"] == 35
    assert "RT-PCR" in report["verdict"]["text"]
    assert [b["right"]["n"] for b in report["calibration"]] == [35]  # the refused case is not read
    with pytest.raises(ValueError, match="tuberculosis"):
        site_report([_case("tuberculosis", None)], CLASSES, None)


def _refused(truth):
    return SiteCase(truth, None, True, {c: 1 / 3 for c in CLASSES}, None)


@pytest.mark.parametrize(("refused", "read", "code"), [
    (0, 200, "within_budget"),       # 0%, 95% CI 0%-1.9%: wholly within 2%
    (12, 188, "above_budget"),       # 6%, 95% CI 3.5%-10.2%: wholly above 2%
    (4, 96, "inconclusive"),         # 4%, 95% CI 1.6%-9.8%: includes 2%
    (0, 20, "inconclusive"),         # 0%, 95% CI 0%-16.1%: too few to say "as expected"
])
def test_refusals_are_judged_against_the_guards_target(refused, read, code):
    cases = [_refused("normal")] * refused + [_case("normal", "normal")] * read
    cases.append(SiteCase("covid", None, True, None, None))  # unreadable: not counted as refused
    report = site_report(cases, CLASSES, None)
    assert report["refused_share"] == proportion(refused, refused + read)
    check = report["refusal_check"]
    assert check["code"] == code
    assert check["params"]["k"] == refused and check["params"]["n"] == refused + read
    assert f"{refused} of {refused + read}" in check["text"]


def test_no_readable_xray_says_nothing_about_refusals():
    report = site_report([SiteCase("covid", None, True, None, None)], CLASSES, None)
    assert report["refusal_check"]["code"] == "none_read"


def test_refusals_are_judged_against_a_target_not_a_card_measurement():
    """The 2% is what the guard is built to stay under on hospitals it never saw (REFUSAL_TARGET),
    not a figure the card measured: every sentence calls it a target."""
    from cxr.inference.site_check import REFUSAL_TARGET

    for refused, read in ((0, 200), (12, 188), (4, 96)):
        cases = [_refused("normal")] * refused + [_case("normal", "normal")] * read
        report = site_report(cases, CLASSES, None)
        text = report["refusal_check"]["text"]
        assert f"the target of at most {REFUSAL_TARGET:.0%} for hospitals it never saw" in text
        assert "it refuses of hospitals" not in text  # as if measured
        assert report["card"]["refusal_target"] == REFUSAL_TARGET
        assert report["card"]["refused_unseen_sources"] is None  # no card figure given


def test_the_card_figures_a_site_is_compared_with_come_from_the_card():
    """One reader for the web page and `cxr validate-site`: the source split's accuracy and the
    verifier's measured refusals of each source group left out of its fit."""
    from cxr.inference.card import ModelCard
    from cxr.inference.site_check import card_figures

    card = ModelCard.from_dict({
        "metrics": {"source": {"accuracy": {"value": 0.375, "ci95": [0.356, 0.394]}}},
        "verifier": {"sources_left_out": {
            "cohen": {"training_xrays": {"value": 0.0}, "test_xrays": {"value": 0.0, "ci95": [0.0, 0.3], "n": 9}},
            "raddb": {"test_xrays": {"value": 0.009, "ci95": [0.004, 0.02], "n": 666}},
            "nih": {"training_xrays": {"value": 0.006}},  # no test figure: left out
        }},
    })
    figures = card_figures(card)
    assert figures["card_trust"] is None and figures["card_unseen_accuracy"] == 0.375
    assert set(figures["card_refused_unseen"]) == {"cohen", "raddb"}
    report = site_report([_case("normal", "normal")] * 5, CLASSES, **figures)
    assert report["card"]["unseen_accuracy"] == 0.375
    measured = report["card"]["refused_unseen_sources"]
    assert (measured["low"], measured["high"], measured["groups"]) == (0.0, 0.009, 2)
    assert measured["by_source"]["raddb"]["n"] == 666
    # A card without them: nothing to set beside the site's numbers.
    assert card_figures(ModelCard.from_dict({})) == {
        "card_trust": None, "card_unseen_accuracy": None, "card_refused_unseen": None,
        "card_split_accuracy": None}


def test_the_bundled_cards_figures_are_read():
    import json
    from pathlib import Path

    from cxr.inference.card import ModelCard
    from cxr.inference.site_check import card_figures

    path = Path(__file__).resolve().parents[2] / "models" / "bundled" / "model_card.json"
    if not path.is_file():
        pytest.skip("no bundled model card")
    data = json.loads(path.read_text())
    figures = card_figures(ModelCard.from_dict(data))
    assert figures["card_unseen_accuracy"] == data["metrics"]["source"]["accuracy"]["value"]
    expected = {k: v["test_xrays"]["value"] for k, v in data["verifier"]["sources_left_out"].items()}
    assert {k: v["value"] for k, v in figures["card_refused_unseen"].items()} == expected


@pytest.mark.parametrize(("successes", "n"), [(6, 6), (21, 21), (31, 31), (38, 38), (44, 44), (0, 11), (0, 22)])
def test_an_interval_of_all_right_or_all_wrong_ends_exactly_at_1_or_0(successes, n):
    """Rounding gave 6 of 6 an upper end of 0.9999999999999999 and 0 of 11 a lower end of 2.8e-17:
    intervals that miss their own 100% or 0%, and a reliability plot that crashed on them."""
    low, high = wilson_interval(successes, n)
    if successes == n:
        assert high == 1.0
    if successes == 0:
        assert low == 0.0


def test_every_interval_lies_in_0_1_and_holds_its_share():
    for n in range(1, 301):
        for successes in range(n + 1):
            low, high = wilson_interval(successes, n)
            assert 0.0 <= low <= successes / n <= high <= 1.0, (successes, n, low, high)
    assert wilson_interval(0, 0) == [None, None]


def test_no_refusal_among_a_few_dozen_is_said_plainly():
    """0 of 30 refused read "Refusals inconclusive: the guard refused 0 of 30 ...": say that none
    was refused, that 30 are too few to show the target is kept, and how many would."""
    report = site_report([_case("normal", "normal")] * 30, CLASSES, None)
    check = report["refusal_check"]
    assert check["code"] == "inconclusive" and check["params"]["cases_to_decide"] == 189
    assert check["text"].startswith("No X-ray was refused as not a chest X-ray (0 of 30")
    assert "inconclusive" not in check["text"] and "About 189 X-rays with none refused would show that (159 more)" in check["text"]
    some = site_report([_refused("normal")] + [_case("normal", "normal")] * 30, CLASSES, None)["refusal_check"]
    assert some["text"].startswith("Too few X-rays to judge refusals yet: the guard refused 1 of 31")
    needed = some["params"]["cases_to_decide"]
    assert f"about {needed} X-rays in all would tell ({needed - 31} more)" in some["text"]
