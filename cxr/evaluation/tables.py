"""The paper's Tables I-IV (and a table of the honest metrics) from the runs of a sweep.

The paper has one table per (learning rate, batch size) combination; rows are architectures,
columns the epochs trained and the validation and test accuracy, precision and recall, with the
best value of each column in bold. Runs not finished yet are shown as "—" so that a partial grid
renders. The extra table puts each run's test macro AUC, COVID sensitivity and specificity with
their 95% intervals and calibration error next to each other: the numbers the paper left out,
with how the runs' reports made those intervals.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cxr.evaluation.markdown import format_estimate, table
from cxr.evaluation.metrics import ECE_SPREAD, INTERVAL_METHODS, INTERVALS, interval_method
from cxr.evaluation.runs import read_sweep, run_name
from cxr.labels import COVID

PENDING = "—"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
TABLES_FILE = "tables.md"
# (column title, subset, path into that subset's report)
PAPER_COLUMNS = (
    ("Val. accuracy", "val", ("accuracy",)),
    ("Val. precision", "val", ("precision", "macro")),
    ("Val. recall", "val", ("recall", "macro")),
    ("Test accuracy", "test", ("accuracy",)),
    ("Test precision", "test", ("precision", "macro")),
    ("Test recall", "test", ("recall", "macro")),
)


@dataclass
class RunResult:
    """What a sweep's run folder holds: its settings, state, epochs trained and metrics."""

    arch: str
    lr: float
    batch_size: int
    folder: Path
    status: str  # "done", "failed", "running" or "pending"
    epochs: int | None = None
    metrics: dict | None = None
    weights: str = "not recorded"  # where its starting weights came from

    def metric(self, subset: str, path: Sequence[str]) -> dict | None:
        """`{"value", "ci95"}` at `path` in a subset's report, None when absent."""
        node = (self.metrics or {}).get("subsets", {}).get(subset)
        for key in path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node if isinstance(node, dict) and "value" in node else None


def _epochs_trained(folder: Path) -> int | None:
    history = folder / "history.csv"
    if not history.exists():
        return None
    with open(history, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def _recorded_weights(folder: Path) -> str | None:
    """What the run itself recorded about its weights (done.json, written by training)."""
    done = folder / "done.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8")).get("weights")
    return None


def read_run(folder: Path, arch: str, lr: float, batch_size: int,
             planned_weights: str | None = None) -> RunResult:
    """A run folder's state; `planned_weights` (sweep.json) names its weights until the run
    records what it actually loaded."""
    metrics_file = folder / "metrics.json"
    if (folder / "done.json").exists() and metrics_file.exists():
        status = "done"
    elif (folder / "error.txt").exists():
        status = "failed"
    elif folder.exists():
        status = "running"
    else:
        status = "pending"
    metrics = None
    if status == "done":
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    weights = _recorded_weights(folder) or planned_weights or "not recorded"
    return RunResult(arch, lr, batch_size, folder, status, _epochs_trained(folder), metrics, weights)


def collect_runs(sweep_dir: str | Path) -> list[RunResult]:
    """Every grid point of the sweep in `sweep.json`, done or not."""
    sweep_dir = Path(sweep_dir)
    plan = read_sweep(sweep_dir)
    planned = plan.get("weights", {})
    return [
        read_run(sweep_dir / run_name(arch, lr, bs), arch, lr, bs, planned.get(arch))
        for lr in plan["lrs"] for bs in plan["batch_sizes"] for arch in plan["archs"]
    ]


def _percent(metric: dict | None) -> str:
    return PENDING if metric is None or metric.get("value") is None else f"{100 * metric['value']:.2f}"


def _best_bold(cells: list[str], values: list[float | None]) -> list[str]:
    """Bold every cell holding the column's highest value (ties all bold)."""
    present = [v for v in values if v is not None]
    if not present:
        return cells
    best = max(present)
    return [f"**{c}**" if v is not None and abs(v - best) < 1e-12 else c
            for c, v in zip(cells, values, strict=True)]


def paper_table(runs: Sequence[RunResult], number: int, lr: float, batch_size: int) -> str:
    """One of the paper's tables: the runs of one learning rate and batch size."""
    rows = [r for r in runs if r.lr == lr and r.batch_size == batch_size]
    header = ["Model", "Epochs", *(title for title, _, _ in PAPER_COLUMNS), "Weights"]
    columns = [[r.arch for r in rows], [_epochs_cell(r) for r in rows]]
    for _, subset, path in PAPER_COLUMNS:
        metrics = [r.metric(subset, path) for r in rows]
        values = [None if m is None else m.get("value") for m in metrics]
        rounded = [None if v is None else round(100 * v, 2) for v in values]
        columns.append(_best_bold([_percent(m) for m in metrics], rounded))
    columns.append([r.weights for r in rows])
    title = ROMAN[number - 1] if number <= len(ROMAN) else str(number)
    return "\n".join([
        f"### Table {title}: learning rate {lr:g}, batch size {batch_size}",
        "",
        table(header, zip(*columns, strict=True), align="l" + "r" * (len(header) - 2) + "l"),
    ])


def _epochs_cell(run: RunResult) -> str:
    if run.status == "done":
        return str(run.epochs) if run.epochs is not None else PENDING
    return {"failed": "failed", "running": "running"}.get(run.status, PENDING)


def honest_table(runs: Sequence[RunResult], subset: str = "test") -> str:
    """Macro AUC, COVID sensitivity/specificity with 95% CIs and ECE (with its bootstrap spread,
    no CI: cxr.evaluation.metrics) for every run."""
    header = ["Model", "Learning rate", "Batch size", "Epochs", "Macro AUC", "COVID sensitivity",
              "COVID specificity", f"ECE ({ECE_SPREAD})", "Weights"]
    paths = [("macro_auc",), ("per_class", COVID, "sensitivity"), ("per_class", COVID, "specificity"),
             ("ece",)]
    rows = ([r.arch, f"{r.lr:g}", r.batch_size, _epochs_cell(r),
             *(format_estimate(r.metric(subset, path), missing=PENDING) for path in paths), r.weights]
            for r in runs)
    # Said from the runs' own reports: a sweep evaluated before the Wilson intervals keeps its
    # stratified-bootstrap numbers when its tables are written again.
    methods = sorted({interval_method(report) for r in runs
                      if (report := ((r.metrics or {}).get("subsets") or {}).get(subset))})
    if len(methods) > 1:
        note = ("95% intervals, which differ between runs (each run's metrics.md says which): "
                + "; or ".join(methods) + ".")
    else:
        note = f"95% intervals: {methods[0] if methods else INTERVAL_METHODS[INTERVALS]}."
    return "\n".join([
        f"### Discrimination and calibration on the {subset} set (95% intervals)",
        "",
        note,
        "",
        table(header, rows, align="lrrrlllll"),
    ])


def render_tables(runs: Sequence[RunResult], lrs: Sequence[float],
                  batch_sizes: Sequence[int]) -> str:
    """Markdown: one paper table per (lr, batch size), in that order, then the honest table."""
    done = sum(r.status == "done" for r in runs)
    parts = [
        "# Sweep results",
        "",
        f"{done} of {len(runs)} runs finished; {PENDING} marks a run not finished yet. Accuracy, "
        "precision and recall (macro) in percent, as in the paper; the best value of each "
        "column in bold. Weights: what each run started from (recorded by the run; for a run "
        "not made yet, what `--pretrained` gives it here).",
    ]
    number = 1
    for lr in lrs:
        for bs in batch_sizes:
            parts += ["", paper_table(runs, number, lr, bs)]
            number += 1
    parts += ["", honest_table(runs)]
    return "\n".join(parts) + "\n"


def write_tables(sweep_dir: str | Path) -> Path:
    """Render the tables of a sweep folder into its `tables.md`."""
    sweep_dir = Path(sweep_dir)
    plan = read_sweep(sweep_dir)
    out = sweep_dir / TABLES_FILE
    out.write_text(render_tables(collect_runs(sweep_dir), plan["lrs"], plan["batch_sizes"]),
                   encoding="utf-8")
    return out
