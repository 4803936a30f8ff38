"""validate-site's report says what its per-class figures count: by the model's most likely class
(every read X-ray, uncertain ones included) and by the label the app shows (an uncertain reading
counts as not found). Pneumonia's sensitivity showed 0.875 while the app said "pneumonia" for
26 of 32 (5 were uncertain), and report.md did not say which. Its calibration line and what-if
no longer contradict each other unexplained, and `intervals.all_read` names its own method."""
from __future__ import annotations

from cxr.cli.validate_site import _per_class_lines, _what_if_lines, label_note
from cxr.evaluation.selective import labelled_needed
from cxr.evaluation.site_validation import validate
from cxr.inference.site_check import SiteCase

CLASSES = ["covid", "pneumonia", "normal"]


def _case(truth: str, top: str, labelled: bool) -> SiteCase:
    chances = {c: (0.8 if c == top else 0.1) for c in CLASSES}
    return SiteCase(truth, top if labelled else None, False, chances, None)


def _site() -> list[SiteCase]:
    return ([_case("pneumonia", "pneumonia", True)] * 26 + [_case("pneumonia", "pneumonia", False)] * 2
            + [_case("pneumonia", "normal", False)] * 3 + [_case("pneumonia", "normal", True)]
            + [_case("normal", "normal", True)] * 20 + [_case("covid", "covid", True)] * 10)


def test_both_counts_of_each_class():
    report = validate(_site(), CLASSES, None, n_boot=10)
    assert report["per_class"]["pneumonia"]["sensitivity"]["value"] == 28 / 32  # top class, uncertain too
    labelled = report["per_class_labelled"]["pneumonia"]
    assert labelled["cases"] == 32 and labelled["sensitivity"]["value"] == 26 / 32  # what the app said
    # Normal: 4 pneumonias ranked normal, but the app named normal for only one of them.
    assert report["per_class"]["normal"]["specificity"]["value"] == 38 / 42
    assert report["per_class_labelled"]["normal"]["specificity"]["value"] == 41 / 42
    text = "\n".join(_per_class_lines(report["per_class"], report["per_class_labelled"]))
    assert "| class | sensitivity, most likely class (95% CI) | specificity, most likely class (95% CI) | " \
           "sensitivity, label shown (95% CI) | specificity, label shown (95% CI) | X-rays of the class |" in text
    assert "| pneumonia | 0.875 (" in text and "| 0.812 (" in text
    assert "an uncertain reading counts as not finding the class" in text


def test_the_bootstrap_is_named_as_the_report_makes_it():
    wording = validate(_site(), CLASSES, None, n_boot=10)["intervals"]["all_read"]
    assert "(none:" not in wording and "wilson+bootstrap: Wilson score intervals" in wording


def test_a_calibration_that_labels_what_the_what_if_could_not_says_so():
    what_if = {"calibration_cases": 40, "measured": {"labelled_accuracy": {"mean": None, "range95": None,
                                                                           "draws": 0, "of": 20}}}
    note = label_note(0.484, what_if, 40, 0.9)
    assert note.startswith("labels readings with a top probability of at least 0.484; how often these "
                           "labels are right here is not measured")
    assert "--site-calibration" in note
    assert f"measuring it takes about {4 * labelled_needed(0.9)} read cases or more" in note
    measured = {"calibration_cases": 40, "measured": {"labelled_accuracy": {"mean": 0.9, "range95": [0.8, 1.0],
                                                                            "draws": 20, "of": 20}}}
    assert label_note(0.484, measured, 40, 0.9) == "labels readings with a top probability of at least 0.484"
    assert label_note(None, what_if, 40, 0.9).startswith("labels nothing")


def test_a_calibration_that_labels_nothing_says_why_and_how_many_cases_would_do():
    """The statistics audit: 40-58 read cases give a calibration that can never label (its
    threshold set on 20-29 of them). The note says so, and how many a label takes."""
    need = labelled_needed(0.9)
    few = label_note(None, None, need - 1, 0.9)
    assert few.startswith("labels nothing: every reading through it will be shown as uncertain")
    assert f"a label needs at least {need} readings above the threshold, every one right" in few
    assert f"about {2 * need} read cases or more" in few and "this site had too few" in few
    # Enough cases, readings not right enough: more cases alone would not help.
    enough = label_note(None, None, need, 0.9)
    assert "too few" not in enough and "were not right often enough" in enough


def test_the_what_if_section_says_the_written_calibration_is_fitted_on_all_cases():
    spread = {"mean": None, "range95": None, "draws": 0, "of": 20}
    what_if = {"repeats": 20, "calibration_cases": 40, "threshold_cases": 20, "labelled_needed": labelled_needed(0.9),
               "confidence": 0.9, "target": 0.9,
               "measured": dict.fromkeys(("set_coverage", "mean_set_size_seen", "accuracy", "coverage",
                                          "labelled_accuracy"), spread),
               "pairwise_auc": {"covid / normal": 0.9}}
    text = "\n".join(_what_if_lines(what_if, 81))
    assert "A calibration written with --calibration-out is fitted on all 81 read cases" in text
    assert "nothing labelled in any draw" in text
    # Why, in plain words: a quarter of the cases set each threshold, too few for any label.
    assert ("**Labelled readings right cannot be measured here.** Each half's label threshold is set on "
            f"about 20 cases (a quarter of the 81 read), and a label needs at least {labelled_needed(0.9)}") in text
    assert f"about {4 * labelled_needed(0.9)} read cases or more" in text
