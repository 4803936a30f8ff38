"""Reports of a model's predictions on the validation and test sets of its split.

Writes, into the run folder (or `out_dir`):
- `metrics.json`: per subset the full `cxr.evaluation.metrics.classification_report` (paper metrics and
  the honest ones with 95% CIs), the ECE after temperature scaling fitted on validation, and the
  accuracy per data source;
- `metrics.md`: the same as readable tables;
- `confusion_<subset>.png`, `roc_<subset>.png`, `reliability_<subset>.png`;
- `predictions_<subset>.csv`: path, source, true label and the probabilities of every image.

This module holds the numbers only (no torch): `evaluate_predictions` and the writers.
`cxr.training.evaluate.evaluate_run` loads the model and predicts, then calls them.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxr.evaluation import plots
from cxr.evaluation.markdown import format_estimate, table
from cxr.evaluation.metrics import (
    ECE_SPREAD,
    classification_report,
    expected_calibration_error,
    fit_temperature,
    interval_method,
    negative_log_likelihood,
    softmax_probs,
)
from cxr.inference.card import json_safe
from cxr.inference.site_check import wilson_interval  # defined once, on the serving side

SUBSETS = ("val", "test")
SUBSET_TITLES = {"train": "Training", "val": "Validation", "test": "Test"}


def per_source_accuracy(frame: pd.DataFrame, y_pred: np.ndarray) -> dict:
    """Accuracy per `source`, with the true-label counts that show how source and class overlap."""
    correct = frame["y"].to_numpy() == np.asarray(y_pred)
    out = {}
    for source, rows in frame.groupby("source", sort=True):
        idx = frame.index.get_indexer(rows.index)
        n, hits = len(idx), int(correct[idx].sum())
        out[str(source)] = {
            "n": n,
            "by_label": {k: int(v) for k, v in rows["label"].value_counts().sort_index().items()},
            "accuracy": {"value": hits / n, "ci95": wilson_interval(hits, n)},
        }
    return out


def evaluate_predictions(
    frames: dict[str, pd.DataFrame],
    logits: dict[str, np.ndarray],
    classes: Sequence[str],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """Metrics for each subset from its rows (`y`, `label`, `source`) and its logits (N, C).

    When `val` is among the subsets, a temperature is fitted on its logits and every subset also
    gets its ECE and NLL after scaling, which is what the exported model will show users.
    """
    temperature = None
    if "val" in logits and len(logits["val"]):
        temperature = fit_temperature(logits["val"], frames["val"]["y"].to_numpy())
    result: dict = {"classes": list(classes), "temperature": temperature, "subsets": {}}
    for name, frame in frames.items():
        frame = frame.reset_index(drop=True)
        y = frame["y"].to_numpy(dtype=int)
        probs = softmax_probs(logits[name])
        report = classification_report(y, probs, classes, n_boot=n_boot, seed=seed)
        report["nll"] = negative_log_likelihood(logits[name], y)
        if temperature is not None:
            scaled = softmax_probs(logits[name], temperature)
            report["ece_after_temperature"] = expected_calibration_error(y, scaled)
            report["nll_after_temperature"] = negative_log_likelihood(logits[name], y, temperature)
        report["per_source"] = per_source_accuracy(frame, probs.argmax(axis=1))
        result["subsets"][name] = report
    return result


# --- Markdown --------------------------------------------------------------------------------

def render_markdown(result: dict, title: str = "Evaluation") -> str:
    classes = result["classes"]
    subsets = result["subsets"]
    lines = [f"# {title}", ""]
    for key in ("checkpoint", "arch", "split_csv", "img_size", "contrast"):
        if result.get(key) is not None:
            lines.append(f"- {key.replace('_', ' ')}: `{result[key]}`")
    first = next(iter(subsets.values()), {})
    lines += [
        f"- classes (output order): {', '.join(classes)}",
        f"- 95% intervals in brackets: {interval_method(first)} ({first.get('n_boot', 0)} "
        "resamples); per-source accuracy: Wilson interval.",
        "",
        "Research metrics of a screening aid on retrospective data, not evidence that it can "
        "diagnose: a clinician and an RT-PCR test decide.",
        "",
        "## As reported in the paper",
        "",
        table(["subset", "n", "accuracy", "precision (macro)", "recall (macro)"],
              ([SUBSET_TITLES.get(name, name), rep["n"], format_estimate(rep["accuracy"]),
                format_estimate(rep["precision"]["macro"]), format_estimate(rep["recall"]["macro"])]
               for name, rep in subsets.items()), align="lrlll"),
    ]
    for name, rep in subsets.items():
        lines += [
            "",
            f"## {SUBSET_TITLES.get(name, name)} set: per class",
            "",
            table(["class", "images", "sensitivity", "specificity", "PPV", "AUC (one vs rest)"],
                  ([cls, rep["support"][cls], *(format_estimate(rep["per_class"][cls][key])
                                                for key in ("sensitivity", "specificity", "ppv", "auc"))]
                   for cls in classes), align="lrllll"),
        ]
        lines += ["", f"- macro AUC: {format_estimate(rep['macro_auc'])}",
                  f"- ECE (top label, 15 bins; in brackets its {ECE_SPREAD}, not a 95% CI): "
                  f"{format_estimate(rep['ece'])}"]
        if rep.get("ece_after_temperature") is not None:
            lines.append(
                f"- ECE after temperature scaling (T = {result['temperature']:.3f}, fitted on "
                f"validation): {rep['ece_after_temperature']:.3f}"
            )
        lines += [
            "",
            "Confusion matrix (rows = true, columns = predicted):",
            "",
            table(["true \\ predicted", *classes],
                  ([cls, *row] for cls, row in zip(classes, rep["confusion_matrix"], strict=True)),
                  align="l" + "r" * len(classes)),
            "",
            "Accuracy per data source (sources are confounded with classes: a high score can "
            "mean the model recognises the source, not the disease):",
            "",
            table(["source", "images", "labels", "accuracy"],
                  ([source, m["n"], ", ".join(f"{k} {v}" for k, v in m["by_label"].items()),
                    format_estimate(m["accuracy"])] for source, m in rep["per_source"].items()), align="lrll"),
        ]
    figures = result.get("figures", {})
    if figures:
        lines += ["", "## Figures", ""]
        for name, files in figures.items():
            for kind, file in files.items():
                lines.append(f"- {SUBSET_TITLES.get(name, name)} {kind}: [{file}]({file})")
    return "\n".join(lines) + "\n"


# --- files -----------------------------------------------------------------------------------

def write_outputs(result: dict, frames: dict[str, pd.DataFrame], logits: dict[str, np.ndarray],
                  out_dir: str | Path, title: str = "Evaluation") -> Path:
    """Write metrics.json, metrics.md, the figures and the predictions; returns metrics.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    classes = result["classes"]
    result["figures"] = {}
    for name, frame in frames.items():
        frame = frame.reset_index(drop=True)
        y = frame["y"].to_numpy(dtype=int)
        probs = softmax_probs(logits[name])
        label = SUBSET_TITLES.get(name, name)
        rep = result["subsets"][name]
        plots.plot_confusion(rep["confusion_matrix"], classes, out_dir / f"confusion_{name}.png",
                             title=f"{label} set: confusion matrix")
        # The figures give the report's own intervals, as the model card's do.
        plots.plot_roc(y, probs, classes, out_dir / f"roc_{name}.png", title=f"{label} set: ROC",
                       auc_ci={cls: rep["per_class"][cls]["auc"]["ci95"] for cls in classes})
        plots.plot_reliability(y, probs, out_dir / f"reliability_{name}.png",
                               title=f"{label} set: reliability", intervals=True,
                               ece_ci=rep["ece"]["ci95"])
        result["figures"][name] = {
            "confusion matrix": f"confusion_{name}.png",
            "ROC": f"roc_{name}.png",
            "reliability": f"reliability_{name}.png",
        }
        predictions = frame[["path", "source", "label", "y"]].copy()
        for k, cls in enumerate(classes):
            predictions[f"p_{cls}"] = probs[:, k]
        predictions["predicted"] = [classes[k] for k in probs.argmax(axis=1)]
        predictions.to_csv(out_dir / f"predictions_{name}.csv", index=False)
    metrics_json = out_dir / "metrics.json"
    metrics_json.write_text(json.dumps(json_safe(result), indent=2) + "\n", encoding="utf-8")
    (out_dir / "metrics.md").write_text(render_markdown(result, title), encoding="utf-8")
    return metrics_json


def subset_frames(split: pd.DataFrame, classes: Sequence[str],
                  subsets: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The split's rows per subset, with `y` recomputed from `label` in the model's class order.

    Each frame keeps the split's row numbers as its index.
    """
    position = {c: i for i, c in enumerate(classes)}
    frames = {}
    for name in subsets:
        rows = split[(split["subset"] == name) & split["label"].isin(position)].copy()
        if rows.empty:
            raise ValueError(f"the split has no {name!r} rows with labels {list(classes)}")
        rows["y"] = rows["label"].map(position).astype(int)
        frames[name] = rows  # the index keeps each row's position in the split
    return frames
