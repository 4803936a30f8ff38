"""The paper's Tables I-IV from a sweep folder: values, best in bold, pending and failed runs."""
from __future__ import annotations

import json

import numpy as np

from cxr.evaluation.metrics import classification_report
from cxr.evaluation.runs import SWEEP_FILE, run_name
from cxr.evaluation.tables import PENDING, collect_runs, write_tables

CLASSES = ["covid", "normal"]


def _report(accuracy: float, n: int = 200, seed: int = 0) -> dict:
    """A real metrics report of a binary classifier that is right `accuracy` of the time."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    right = np.arange(n) < round(accuracy * n)
    y_pred = np.where(right, y, 1 - y)
    probs = np.where(np.eye(2)[y_pred] == 1, 0.9, 0.1) + rng.normal(0, 0.01, (n, 2))
    return classification_report(y, probs / probs.sum(1, keepdims=True), CLASSES, n_boot=50)


def _finished_run(folder, val_acc, test_acc, epochs):
    folder.mkdir(parents=True)
    (folder / "history.csv").write_text(
        "epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n"
        + "".join(f"{e},0.0001,0.5,0.8,0.5,0.8,1\n" for e in range(1, epochs + 1))
    )
    metrics = {"classes": CLASSES, "subsets": {"val": _report(val_acc), "test": _report(test_acc)}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "done.json").write_text("{}")


def _sweep(tmp_path, archs=("ResNet50", "VGG16", "DenseNet121")):
    (tmp_path / SWEEP_FILE).write_text(json.dumps({
        "split_csv": "/x.csv", "archs": list(archs), "lrs": [1e-4, 1e-6],
        "batch_sizes": [16, 32], "epochs": 50, "train_options": {},
    }))
    return tmp_path


def _table(markdown: str, number: str) -> list[str]:
    """The row lines of 'Table <number>' in the rendered Markdown."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"### Table {number}:"))
    rows = []
    for line in lines[start + 4:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip("|").split("|")]


def test_partial_grid_renders_with_best_in_bold_and_pending_runs(tmp_path):
    sweep = _sweep(tmp_path)
    _finished_run(sweep / run_name("ResNet50", 1e-4, 16), val_acc=0.90, test_acc=0.85, epochs=23)
    _finished_run(sweep / run_name("VGG16", 1e-4, 16), val_acc=0.80, test_acc=0.95, epochs=50)
    (sweep / run_name("DenseNet121", 1e-4, 16)).mkdir()  # started, not finished
    failed = sweep / run_name("ResNet50", 1e-6, 32)
    failed.mkdir()
    (failed / "error.txt").write_text("Traceback ...")

    markdown = write_tables(sweep).read_text()
    assert "2 of 12 runs finished" in markdown
    for number, setting in (("I", "learning rate 0.0001, batch size 16"),
                            ("II", "learning rate 0.0001, batch size 32"),
                            ("III", "learning rate 1e-06, batch size 16"),
                            ("IV", "learning rate 1e-06, batch size 32")):
        assert f"### Table {number}: {setting}" in markdown

    rows = {_cells(r)[0]: _cells(r) for r in _table(markdown, "I")}
    assert list(rows) == ["ResNet50", "VGG16", "DenseNet121"]
    resnet, vgg, densenet = rows["ResNet50"], rows["VGG16"], rows["DenseNet121"]
    assert resnet[1] == "23" and vgg[1] == "50"  # epochs trained (early stopping)
    assert resnet[2] == "**90.00**" and vgg[2] == "80.00"  # best validation accuracy in bold
    assert resnet[5] == "85.00" and vgg[5] == "**95.00**"  # best test accuracy in bold
    assert densenet[1] == "running" and set(densenet[2:8]) == {PENDING}

    table_iv = {_cells(r)[0]: _cells(r) for r in _table(markdown, "IV")}
    assert table_iv["ResNet50"][1] == "failed"
    assert all(set(cells[2:8]) == {PENDING} for cells in table_iv.values())
    assert "**" not in "".join(_table(markdown, "IV"))  # nothing to bold in an empty table

    honest = markdown.split("### Discrimination and calibration")[1]
    resnet_line = next(line for line in honest.splitlines() if line.startswith("| ResNet50 | 0.0001 | 16 |"))
    auc_cell = _cells(resnet_line)[4]
    assert auc_cell.count("(") == 1 and auc_cell != PENDING  # value with its interval


def test_ties_are_all_bold_and_precision_recall_come_from_the_report(tmp_path):
    sweep = _sweep(tmp_path, archs=("ResNet50", "VGG16"))
    _finished_run(sweep / run_name("ResNet50", 1e-4, 16), 0.75, 0.70, 10)
    _finished_run(sweep / run_name("VGG16", 1e-4, 16), 0.75, 0.60, 12)
    runs = {r.arch: r for r in collect_runs(sweep) if r.lr == 1e-4 and r.batch_size == 16}
    precision = runs["ResNet50"].metric("test", ("precision", "macro"))["value"]

    rows = {_cells(r)[0]: _cells(r) for r in _table(write_tables(sweep).read_text(), "I")}
    assert rows["ResNet50"][2] == rows["VGG16"][2] == "**75.00**"
    assert rows["ResNet50"][6] == f"**{100 * precision:.2f}**"
    assert rows["VGG16"][7] == f"{100 * runs['VGG16'].metric('test', ('recall', 'macro'))['value']:.2f}"


def test_every_row_says_where_its_weights_came_from(tmp_path):
    """A finished run shows what it recorded loading; a run not made yet, what the plan gives it."""
    sweep = _sweep(tmp_path, archs=("Xception", "ResNet50"))
    plan = json.loads((sweep / SWEEP_FILE).read_text())
    plan["weights"] = {"Xception": "ImageNet (Keras), planned", "ResNet50": "no offline ImageNet weights"}
    (sweep / SWEEP_FILE).write_text(json.dumps(plan))
    run = sweep / run_name("Xception", 1e-4, 16)
    _finished_run(run, 0.9, 0.9, 3)
    (run / "done.json").write_text(json.dumps({"weights": "ImageNet (Keras), as loaded"}))
    markdown = write_tables(sweep).read_text()
    for number in ("I", "II", "III", "IV"):
        rows = {_cells(r)[0]: _cells(r) for r in _table(markdown, number)}
        assert rows["ResNet50"][-1] == "no offline ImageNet weights"
        assert rows["Xception"][-1] == ("ImageNet (Keras), as loaded" if number == "I"
                                        else "ImageNet (Keras), planned")
    honest = markdown.split("### Discrimination and calibration")[1]
    assert honest.count("| no offline ImageNet weights |") == 4
    assert honest.count("| ImageNet (Keras), as loaded |") == 1


def test_the_honest_table_says_how_its_runs_intervals_were_made(tmp_path):
    sweep = _sweep(tmp_path, archs=("ResNet50", "VGG16"))
    _finished_run(sweep / run_name("ResNet50", 1e-4, 16), 0.9, 0.9, 3)
    honest = write_tables(sweep).read_text().split("### Discrimination and calibration")[1]
    assert honest.startswith(" on the test set (95% intervals)\n\n95% intervals: Wilson score "
                             "intervals for accuracy, sensitivity, specificity and PPV;")
    # A run evaluated before the Wilson intervals (no "intervals" in its report) keeps its
    # stratified bootstrap when the tables are written again, and the table says so.
    old = sweep / run_name("VGG16", 1e-4, 16)
    _finished_run(old, 0.8, 0.8, 3)
    metrics = json.loads((old / "metrics.json").read_text())
    for report in metrics["subsets"].values():
        del report["intervals"]
    (old / "metrics.json").write_text(json.dumps(metrics))
    honest = write_tables(sweep).read_text().split("### Discrimination and calibration")[1]
    assert "95% intervals, which differ between runs (each run's metrics.md says which): " in honest
    assert "percentile bootstrap within each true class (stratified) for every figure" in honest
    assert "bootstrap intervals)" not in honest


def test_the_committed_sweep_tables_are_what_their_runs_render():
    """results/sweep-*/tables.md said the ECE's range was a percentile bootstrap 95% interval
    like the AUC's: each is now what `cxr sweep --tables-only` writes from the committed runs,
    whose ECE is named by its bootstrap spread (cxr.evaluation.metrics)."""
    from pathlib import Path

    from cxr.evaluation.metrics import ECE_SPREAD
    from cxr.evaluation.runs import read_sweep
    from cxr.evaluation.tables import TABLES_FILE, render_tables

    sweeps = sorted((Path(__file__).resolve().parents[2] / "results").glob(f"sweep-*/{TABLES_FILE}"))
    assert sweeps, "no committed sweep tables"
    for path in sweeps:
        plan = read_sweep(path.parent)
        committed = path.read_text(encoding="utf-8")
        assert render_tables(collect_runs(path.parent), plan["lrs"], plan["batch_sizes"]) == committed, path
        assert f"| ECE ({ECE_SPREAD}) |" in committed and "macro precision and ECE" not in committed, path
