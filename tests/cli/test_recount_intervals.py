"""`python -m cxr recount-intervals`: reports written before 2026-12-07 (a stratified bootstrap for
every interval) get the Wilson intervals of their proportions from their confusion matrices."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cxr.cli import main
from cxr.evaluation.metrics import INTERVALS_RECOUNTED, classification_report, recount_proportions
from cxr.inference.site_check import wilson_interval

CLASSES = ["covid", "pneumonia", "normal"]


def older_report() -> dict:
    """A report as written before 2026-12-07: no `intervals` key, and proportions' intervals of a
    stratified bootstrap (here made narrower still, so that a recount must change them)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    probs = rng.dirichlet(np.ones(3), 300)
    probs[np.arange(150), y[:150]] += 1.5  # right half the time
    probs /= probs.sum(axis=1, keepdims=True)
    report = classification_report(y, probs, CLASSES, n_boot=50)
    del report["intervals"]
    def narrow(figure: dict) -> None:
        figure["ci95"] = [figure["value"] - 0.01, figure["value"] + 0.01]
    narrow(report["accuracy"])
    for name in CLASSES:
        for rate in ("sensitivity", "specificity", "ppv"):
            narrow(report["per_class"][name][rate])
        report["precision"]["per_class"][name] = report["per_class"][name]["ppv"]
        report["recall"]["per_class"][name] = report["per_class"][name]["sensitivity"]
    return report


def test_the_proportions_get_their_wilson_intervals_and_nothing_else_changes():
    report = older_report()
    recounted = recount_proportions(report)
    cm = np.asarray(report["confusion_matrix"])
    assert recounted["accuracy"]["ci95"] == wilson_interval(int(np.trace(cm)), int(cm.sum()))
    covid_found, covid_called = int(cm[0, 0]), int(cm[:, 0].sum())
    assert recounted["per_class"]["covid"]["ppv"]["ci95"] == wilson_interval(covid_found, covid_called)
    assert recounted["precision"]["per_class"]["covid"] == recounted["per_class"]["covid"]["ppv"]
    assert recounted["recall"]["per_class"]["normal"] == recounted["per_class"]["normal"]["sensitivity"]
    for name in CLASSES:  # what needs the predictions keeps its bootstrap interval
        assert recounted["per_class"][name]["auc"] == report["per_class"][name]["auc"]
    for figure in ("macro_auc", "ece"):
        assert recounted[figure] == report[figure]
    assert recounted["precision"]["macro"] == report["precision"]["macro"]
    assert recounted["intervals"] == INTERVALS_RECOUNTED
    assert "intervals" not in report  # the input is left as it was


def test_a_matrix_that_does_not_give_the_reports_values_is_refused():
    report = older_report()
    report["confusion_matrix"][0][0] += 1
    with pytest.raises(ValueError, match="not this report's matrix"):
        recount_proportions(report)


@pytest.mark.parametrize("key", ["metrics", "subsets"])  # a model card, an evaluation's metrics.json
def test_the_command_rewrites_older_reports_once(tmp_path, capsys, key):
    path = tmp_path / "file.json"
    newer = classification_report([0, 1, 2, 0], np.eye(3)[[0, 1, 2, 1]], CLASSES, n_boot=0)
    path.write_text(json.dumps({"name": "x", key: {"test": older_report(), "val": newer}}))
    assert main(["recount-intervals", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: recounted test"
    document = json.loads(path.read_text())
    assert document[key]["test"]["intervals"] == INTERVALS_RECOUNTED
    assert document[key]["val"] == json.loads(json.dumps(newer)) and document["name"] == "x"
    written = path.read_text()
    assert main(["recount-intervals", str(path)]) == 0
    assert "nothing to recount" in capsys.readouterr().out and path.read_text() == written


def test_a_file_without_reports_or_with_a_wrong_matrix_is_an_error_and_left_alone(tmp_path, capsys):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert main(["recount-intervals", str(empty)]) != 0
    assert "holds no classification report" in capsys.readouterr().err
    report = older_report()
    report["confusion_matrix"][1][1] += 2
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"metrics": {"source": report}}))
    before = wrong.read_text()
    assert main(["recount-intervals", str(wrong)]) != 0
    assert "source: the confusion matrix gives accuracy" in capsys.readouterr().err
    assert wrong.read_text() == before


def test_the_bundled_card_has_been_recounted():
    from pathlib import Path

    card = json.loads((Path(__file__).resolve().parents[2] / "models" / "bundled" / "model_card.json").read_text())
    for split, report in card["metrics"].items():
        assert report.get("intervals") == INTERVALS_RECOUNTED, split
        assert recount_proportions({k: v for k, v in report.items() if k != "intervals"}) == report


def test_an_evaluations_metrics_md_is_written_again_from_the_recount(tmp_path, capsys):
    """metrics.md kept the old intervals beside a recounted metrics.json."""
    from cxr.evaluation.markdown import format_estimate

    path = tmp_path / "metrics.json"
    report = {**older_report(), "per_source": {}}  # as an evaluation writes it
    path.write_text(json.dumps({"classes": CLASSES, "subsets": {"test": report}}))
    (tmp_path / "metrics.md").write_text("# Evaluation of ResNet50 (run 7)\n\nold tables\n")
    assert main(["recount-intervals", str(path)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{path}: recounted test (and {tmp_path / 'metrics.md'} from it)")
    accuracy = json.loads(path.read_text())["subsets"]["test"]["accuracy"]
    markdown = (tmp_path / "metrics.md").read_text()
    assert markdown.startswith("# Evaluation of ResNet50 (run 7)\n") and "old tables" not in markdown
    assert format_estimate(accuracy) in markdown and "Wilson score intervals" in markdown


def test_the_committed_sweep_reports_have_been_recounted():
    from pathlib import Path

    from cxr.evaluation.report import render_markdown

    results = Path(__file__).resolve().parents[2] / "results"
    evaluations = sorted(results.glob("*/*/metrics.json"))
    assert evaluations, "no committed evaluations"
    for path in evaluations:
        document = json.loads(path.read_text())
        assert {report.get("intervals") for report in document["subsets"].values()} == {
            INTERVALS_RECOUNTED}, path
        markdown = path.with_name("metrics.md").read_text()
        title = markdown.split("\n", 1)[0].removeprefix("# ")
        assert render_markdown(document, title) == markdown, path
