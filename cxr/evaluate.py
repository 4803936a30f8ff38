"""Evaluate a trained checkpoint on the validation and test sets of its split.

Writes, into the run folder (or `out_dir`):
- `metrics.json`: per subset the full `cxr.metrics.classification_report` (paper metrics and
  the honest ones with 95% CIs), the ECE after temperature scaling fitted on validation, and the
  accuracy per data source;
- `metrics.md`: the same as readable tables;
- `confusion_<subset>.png`, `roc_<subset>.png`, `reliability_<subset>.png`;
- `predictions_<subset>.csv`: path, source, true label and the probabilities of every image.

`evaluate_predictions` (numbers only, no torch) is separate from `evaluate_run` (loads the
model, predicts), so the metric logic is testable without a network.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxr import plots
from cxr.metrics import (
    classification_report,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    softmax_probs,
)

SUBSETS = ("val", "test")
SUBSET_TITLES = {"train": "Training", "val": "Validation", "test": "Test"}


def checkpoint_path(run_or_checkpoint: str | Path) -> Path:
    """`runs/x` -> `runs/x/best.pt`; a file is returned as is."""
    path = Path(run_or_checkpoint)
    if path.is_dir():
        path = path / "best.pt"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def wilson_interval(successes: int, n: int, z: float = 1.96) -> list[float | None]:
    """95% Wilson score interval of a proportion: sound for small groups (a source with 5 images)."""
    if n == 0:
        return [None, None]
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [max(0.0, centre - half), min(1.0, centre + half)]


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

def fmt(metric: dict | None, digits: int = 3) -> str:
    """`{"value": .95, "ci95": [.93, .97]}` -> '0.950 (0.930-0.970)'; undefined -> 'n/a'."""
    if not metric or metric.get("value") is None:
        return "n/a"
    text = f"{metric['value']:.{digits}f}"
    lo, hi = metric.get("ci95", [None, None])
    if lo is not None and hi is not None:
        text += f" ({lo:.{digits}f}-{hi:.{digits}f})"
    return text


def render_markdown(result: dict, title: str = "Evaluation") -> str:
    classes = result["classes"]
    subsets = result["subsets"]
    lines = [f"# {title}", ""]
    for key in ("checkpoint", "arch", "split_csv", "img_size", "contrast"):
        if result.get(key) is not None:
            lines.append(f"- {key.replace('_', ' ')}: `{result[key]}`")
    lines += [
        f"- classes (output order): {', '.join(classes)}",
        "- 95% intervals in brackets: stratified bootstrap "
        f"({next(iter(subsets.values()))['n_boot'] if subsets else 0} resamples); per-source "
        "accuracy: Wilson interval.",
        "",
        "Research metrics of a screening aid on retrospective data, not evidence that it can "
        "diagnose: a clinician and an RT-PCR test decide.",
        "",
        "## As reported in the paper",
        "",
        "| subset | n | accuracy | precision (macro) | recall (macro) |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for name, rep in subsets.items():
        lines.append(
            f"| {SUBSET_TITLES.get(name, name)} | {rep['n']} | {fmt(rep['accuracy'])} | "
            f"{fmt(rep['precision']['macro'])} | {fmt(rep['recall']['macro'])} |"
        )
    for name, rep in subsets.items():
        lines += [
            "",
            f"## {SUBSET_TITLES.get(name, name)} set: per class",
            "",
            "| class | images | sensitivity | specificity | PPV | AUC (one vs rest) |",
            "| --- | ---: | --- | --- | --- | --- |",
        ]
        for cls in classes:
            m = rep["per_class"][cls]
            lines.append(
                f"| {cls} | {rep['support'][cls]} | {fmt(m['sensitivity'])} | "
                f"{fmt(m['specificity'])} | {fmt(m['ppv'])} | {fmt(m['auc'])} |"
            )
        lines += ["", f"- macro AUC: {fmt(rep['macro_auc'])}", f"- ECE (top label, 15 bins): {fmt(rep['ece'])}"]
        if rep.get("ece_after_temperature") is not None:
            lines.append(
                f"- ECE after temperature scaling (T = {result['temperature']:.3f}, fitted on "
                f"validation): {rep['ece_after_temperature']:.3f}"
            )
        lines += [
            "",
            "Confusion matrix (rows = true, columns = predicted):",
            "",
            "| true \\ predicted | " + " | ".join(classes) + " |",
            "| --- |" + " ---: |" * len(classes),
        ]
        for cls, row in zip(classes, rep["confusion_matrix"], strict=True):
            lines.append(f"| {cls} | " + " | ".join(str(v) for v in row) + " |")
        lines += [
            "",
            "Accuracy per data source (sources are confounded with classes: a high score can "
            "mean the model recognises the source, not the disease):",
            "",
            "| source | images | labels | accuracy |",
            "| --- | ---: | --- | --- |",
        ]
        for source, m in rep["per_source"].items():
            labels = ", ".join(f"{k} {v}" for k, v in m["by_label"].items())
            lines.append(f"| {source} | {m['n']} | {labels} | {fmt(m['accuracy'])} |")
    figures = result.get("figures", {})
    if figures:
        lines += ["", "## Figures", ""]
        for name, files in figures.items():
            for kind, file in files.items():
                lines.append(f"- {SUBSET_TITLES.get(name, name)} {kind}: [{file}]({file})")
    return "\n".join(lines) + "\n"


# --- files -----------------------------------------------------------------------------------

def _json_safe(value):
    """numpy scalars -> Python; NaN -> None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
        plots.plot_roc(y, probs, classes, out_dir / f"roc_{name}.png", title=f"{label} set: ROC")
        plots.plot_reliability(y, probs, out_dir / f"reliability_{name}.png",
                               title=f"{label} set: reliability")
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
    metrics_json.write_text(json.dumps(_json_safe(result), indent=2) + "\n", encoding="utf-8")
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


def _training_args(checkpoint: dict) -> dict:
    args = checkpoint.get("args") or {}
    return args if isinstance(args, dict) else vars(args)


def _split_csv_of(checkpoint: dict) -> str | None:
    """The split a checkpoint was trained on (absolute path recorded by `cxr.train`)."""
    return (checkpoint.get("split") or {}).get("csv") or _training_args(checkpoint).get("split_csv")


def evaluate_run(
    run_or_checkpoint: str | Path,
    split_csv: str | Path | None = None,
    subsets: Sequence[str] = SUBSETS,
    out_dir: str | Path | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    device: str = "auto",
    batch_size: int = 32,
    cache_dir: str | Path | None = None,
    tta: str = "none",
) -> dict:
    """Load a checkpoint, predict its split's subsets, write the reports; returns the metrics.

    `tta="flip"` averages the logits of each image and its mirror image (test-time augmentation;
    horizontal flips are part of the training augmentation, so both are images the model knows).
    """
    from cxr.data.cache import cached_images
    from cxr.data.splits import read_split
    from cxr.train import load_checkpoint, predict_logits, resolve_device

    ckpt_path = checkpoint_path(run_or_checkpoint)
    device = resolve_device(device)
    model, checkpoint = load_checkpoint(ckpt_path, device=device)
    split_csv = split_csv or _split_csv_of(checkpoint)
    if not split_csv:
        raise ValueError(f"{ckpt_path} does not name its split: pass --split-csv")
    classes = list(checkpoint["classes"])
    img_size, contrast = int(checkpoint["img_size"]), checkpoint.get("contrast", "none")
    split = read_split(split_csv)
    frames = subset_frames(split, classes, subsets)
    cache_dir = cache_dir or _training_args(checkpoint).get("cache_dir")
    # The whole split's paths, in order: the same cache key as training, so its cache is reused.
    images = cached_images(list(split["path"]), size=img_size, contrast=contrast,
                           cache_dir=cache_dir)
    logits = {}
    for name, frame in frames.items():
        subset_images = np.asarray(images[frame.index.to_numpy()])
        logits[name] = np.asarray(predict_logits(model, subset_images, img_size=img_size,
                                                 batch_size=batch_size, device=device))
        if tta == "flip":
            mirrored = np.ascontiguousarray(subset_images[:, :, ::-1])
            logits[name] = (logits[name] + np.asarray(predict_logits(
                model, mirrored, img_size=img_size, batch_size=batch_size, device=device))) / 2
        elif tta != "none":
            raise ValueError(f"unknown test-time augmentation {tta!r} (none, flip)")
    result = evaluate_predictions(frames, logits, classes, n_boot=n_boot, seed=seed)
    result.update(
        checkpoint=str(ckpt_path),
        arch=checkpoint.get("arch"),
        split_csv=str(split_csv),
        img_size=img_size,
        contrast=contrast,
        epoch=checkpoint.get("epoch"),
        tta=tta,
    )
    out_dir = Path(out_dir) if out_dir else ckpt_path.parent
    write_outputs(result, frames, logits, out_dir,
                  title=f"Evaluation of {checkpoint.get('arch', 'model')} ({ckpt_path.parent.name})")
    result["out_dir"] = str(out_dir)
    return result
