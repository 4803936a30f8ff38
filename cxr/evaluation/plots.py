"""PNG figures of training and evaluation: learning curves, confusion matrix, ROC, reliability.

Figures are drawn on `matplotlib.figure.Figure` with the Agg canvas, never through pyplot, so
nothing needs a display and nothing is left open between calls (safe in threads and tests).
"""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import roc_auc_score, roc_curve

from cxr.evaluation.metrics import (
    ECE_BINS,
    ECE_SPREAD,
    expected_calibration_error,
    reliability_bins,
)
from cxr.inference.site_check import wilson_interval  # defined once, on the serving side


def _save(fig: Figure, out_png: str | Path) -> Path:
    """Write the figure, its titles also as the PNG's Title text: what a committed figure says
    (the ECE's words on the bundled card's, for one) can then be checked without looking at it."""
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    title = "\n".join(t for t in [fig.get_suptitle(), *(ax.get_title() for ax in fig.axes)] if t)
    fig.savefig(out_png, dpi=120, bbox_inches="tight", metadata={"Title": title} if title else None)
    return out_png


def read_history(history_csv: str | Path) -> dict[str, np.ndarray]:
    """Columns of a training `history.csv` as float arrays, by name."""
    with open(history_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {key: np.array([float(r[key]) if r[key] != "" else np.nan for r in rows])
            for key in rows[0]}


def plot_curves(history_csv: str | Path, out_png: str | Path, title: str | None = None) -> Path:
    """Training and validation loss and accuracy per epoch, side by side (the paper's Fig. 1)."""
    history = read_history(history_csv)
    fig = Figure(figsize=(10, 4))
    loss_ax, acc_ax = fig.subplots(1, 2)
    if history:
        epochs = history["epoch"]
        # The checkpoint kept is the epoch with the lowest validation loss.
        finite = np.isfinite(history["val_loss"])
        best_epoch = epochs[int(np.nanargmin(history["val_loss"]))] if finite.any() else None
        for ax, metric, name in ((loss_ax, "loss", "Loss"), (acc_ax, "acc", "Accuracy")):
            ax.plot(epochs, history[f"train_{metric}"], marker="o", ms=3, label="training")
            ax.plot(epochs, history[f"val_{metric}"], marker="o", ms=3, label="validation")
            if best_epoch is not None:
                ax.axvline(best_epoch, color="grey", ls=":", lw=1, label="kept (lowest val. loss)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
    else:
        loss_ax.text(0.5, 0.5, "no epochs recorded", ha="center", va="center")
    if title:
        fig.suptitle(title)
    return _save(fig, out_png)


def plot_confusion(confusion: Sequence[Sequence[int]], classes: Sequence[str],
                   out_png: str | Path, title: str = "Confusion matrix") -> Path:
    """Counts with row percentages (share of each true class), rows = true class."""
    cm = np.asarray(confusion, dtype=float)
    row_share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(1.4 * len(classes) + 2, 1.2 * len(classes) + 1.5))
    ax = fig.subplots()
    ax.imshow(row_share, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{int(cm[i, j])}\n{row_share[i, j]:.0%}", ha="center", va="center",
                    color="white" if row_share[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, out_png)


def plot_roc(y_true: Sequence[int], probs: np.ndarray, classes: Sequence[str],
             out_png: str | Path, title: str = "ROC (one vs rest)",
             auc_ci: Mapping[str, Sequence[float] | None] | None = None) -> Path:
    """One-vs-rest ROC curve per class, with its AUC in the legend; `auc_ci` (class -> its 95%
    interval, as the model card holds them) adds each AUC's interval, so that a reader sees how
    little a third decimal tells on a few dozen positives."""
    y_true, probs = np.asarray(y_true, dtype=int), np.asarray(probs, dtype=float)
    fig = Figure(figsize=(5.5, 5.6), layout="constrained")
    ax = fig.subplots()
    for k, name in enumerate(classes):
        positive = y_true == k
        if positive.all() or not positive.any():
            continue  # a ROC curve needs both positives and negatives
        fpr, tpr, _ = roc_curve(positive, probs[:, k])
        auc = roc_auc_score(positive, probs[:, k])
        ci = (auc_ci or {}).get(name)
        interval = f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci and None not in ci else ""
        ax.plot(fpr, tpr, label=f"{name}: AUC {auc:.3f}{interval}")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set_xlabel("1 - specificity (false positive rate)")
    ax.set_ylabel("sensitivity (true positive rate)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    # Below the axes: inside, a weak class's curve runs through the lower right corner.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center")
    return _save(fig, out_png)


def plot_reliability(y_true: Sequence[int], probs: np.ndarray, out_png: str | Path,
                     n_bins: int = ECE_BINS, title: str = "Reliability (top label)",
                     intervals: bool = False, ece_ci: Sequence[float] | None = None) -> Path:
    """Accuracy against confidence per bin; bars on the diagonal mean honest probabilities.
    `intervals` adds each bin's Wilson 95% interval: for a site's few dozen X-rays, or the
    low-confidence bins of a test split that hold one or two images, it shows which gaps from
    the diagonal the cases can tell apart from chance. `ece_ci` (the ECE's `ci95`, as the model
    card holds it) goes into the title beside the ECE as what it is, its bootstrap spread: no
    confidence interval, since the binned ECE runs high (cxr.evaluation.metrics)."""
    bins = reliability_bins(y_true, probs, n_bins)
    ece = expected_calibration_error(y_true, probs, n_bins)
    edges = bins["edges"]
    width = edges[1] - edges[0]
    filled = bins["count"] > 0
    fig = Figure(figsize=(5.5, 6.4), layout="constrained")
    ax, hist_ax = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    ax.bar(edges[:-1][filled], bins["accuracy"][filled], width=width, align="edge",
           edgecolor="black", alpha=0.8, label="accuracy")
    if intervals:
        counts = bins["count"][filled]
        hits = np.rint(bins["accuracy"][filled] * counts).astype(int)
        low, high = np.array([wilson_interval(int(h), int(n)) for h, n in zip(hits, counts, strict=True)]).T
        accuracy = bins["accuracy"][filled]
        # Never below 0 (matplotlib refuses a negative error bar): a bin's mean accuracy and its
        # count's share can differ in the last bit.
        below, above = np.clip(accuracy - low, 0.0, None), np.clip(high - accuracy, 0.0, None)
        ax.errorbar(edges[:-1][filled] + width / 2, accuracy, yerr=[below, above],
                    fmt="none", ecolor="black", capsize=3, lw=1, label="95% interval")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    interval = (f" ({ECE_SPREAD} {ece_ci[0]:.3f}-{ece_ci[1]:.3f})"
                if ece_ci and None not in ece_ci else "")
    ax.set_title(f"{title}\nECE {ece:.3f}{interval}")
    # Below the figure: inside the axes, any corner can hold a bar reaching 0 or 1 (a bin of
    # one image at low confidence).
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3)
    hist_ax.bar(edges[:-1], bins["count"], width=width, align="edge", edgecolor="black",
                color="grey")
    hist_ax.set_xlabel("confidence of the predicted class")
    hist_ax.set_ylabel("images")
    hist_ax.set_xlim(0, 1)
    return _save(fig, out_png)


def plot_risk_coverage(curves: dict[str, dict], out_png: str | Path, target: float | None = None,
                       title: str = "Labelled readings right, against the share labelled") -> Path:
    """One risk-coverage curve per held-out source group (`cxr.evaluation.selective`): how often
    the labelled readings are right when the model labels the given share of images."""
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.subplots()
    for name, curve in curves.items():
        ax.step(curve["coverage"], curve["accuracy"], where="post", label=f"{name} ({curve['labelled'][-1]})")
    if target is not None:
        ax.axhline(target, ls="--", color="grey", lw=1, label=f"target {target:.0%}")
    ax.set_xlabel("share of images given a label (coverage)")
    ax.set_ylabel("labelled readings right (selective accuracy)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    # Beside the axes: inside, some corner is crossed by a curve (a poor model's swing down to 0
    # at low coverage, or end low at full coverage).
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, title="held-out source (images)",
              title_fontsize=8)
    return _save(fig, out_png)
