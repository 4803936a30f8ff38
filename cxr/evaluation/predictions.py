"""Statistics of a predictions table: one row per image, with its true `label`, the `predicted`
class and a probability column `p_<class>` per class (what `cxr evaluate` writes as
`predictions_<subset>.csv`).

The studies compare runs on held-out hospitals through these, so every study computes accuracy,
sensitivity and macro AUC the same way. Macro AUC is taken over the classes present: a held-out
collection may have no COVID at all, and an AUC needs both positives and negatives.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from cxr.evaluation.markdown import format_estimate
from cxr.evaluation.metrics import bootstrap_statistic
from cxr.labels import TASKS

CLASSES = TASKS["3class"]


def probability_columns(classes: Sequence[str] = CLASSES) -> list[str]:
    """The probability columns of a predictions table, in the order of `classes`."""
    return [f"p_{name}" for name in classes]


def accuracy(frame: pd.DataFrame) -> float:
    """Share of rows whose predicted class is the true label."""
    return float((frame["predicted"] == frame["label"]).mean())


def sensitivity(frame: pd.DataFrame, name: str) -> float:
    """Share of the rows labelled `name` that were predicted `name`; NaN when there are none."""
    positive = frame["label"] == name
    return float((frame.loc[positive, "predicted"] == name).mean()) if positive.any() else float("nan")


def sensitivity_of(name: str) -> Callable[[pd.DataFrame], float]:
    """`sensitivity` of one class as a function of the frame alone, for `with_ci`."""
    return partial(sensitivity, name=name)


def macro_auc_present(frame: pd.DataFrame, classes: Sequence[str] = CLASSES) -> float:
    """Mean one-vs-rest ROC AUC over the classes that have both positives and negatives here;
    NaN when no class does."""
    aucs = []
    for name in classes:
        positive = (frame["label"] == name).to_numpy()
        if 0 < positive.sum() < len(positive):
            aucs.append(roc_auc_score(positive, frame[f"p_{name}"]))
    return float(np.mean(aucs)) if aucs else float("nan")


def with_ci(frame: pd.DataFrame, statistic: Callable[[pd.DataFrame], float], seed: int = 0) -> str:
    """'0.723 [0.693, 0.756]': `statistic` of the frame and its 95% bootstrap interval over rows
    (`cxr.evaluation.metrics.bootstrap_statistic`, 1,000 resamples)."""
    return format_estimate(bootstrap_statistic(frame, statistic, seed=seed), brackets=True)


def ensemble(frames: Sequence[pd.DataFrame], classes: Sequence[str] = CLASSES) -> pd.DataFrame:
    """The per-image mean of several runs' probabilities, with `predicted` its argmax.

    The runs must have been tested on the same images in the same order (their `path` columns
    equal); otherwise the mean would mix different images, so it raises ValueError.
    """
    first = frames[0]
    for other in frames[1:]:
        if not first["path"].equals(other["path"]):
            raise ValueError("the runs were tested on different images; an ensemble needs the same test set")
    columns = probability_columns(classes)
    mean = first.copy()
    mean[columns] = np.mean([f[columns].to_numpy() for f in frames], axis=0)
    mean["predicted"] = np.array(classes)[mean[columns].to_numpy().argmax(axis=1)]
    return mean
