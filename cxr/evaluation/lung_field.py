"""How good the lung-field segmenter is, and whether heat maps off the lungs mean worse readings.

- `dice_scores`: per image Dice of the predicted lungs with the outlined lungs (pixels marked
  "ignore" in the mask, devices and markup, are left out of both).
- `dice_summary`: mean and 5th percentile per held-out group, with bootstrap 95% CIs.
- `off_lung_accuracy`: out-of-source readings split by whether their heat map lies mostly off
  the predicted lungs; accuracy of each part with Wilson 95% CIs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cxr.evaluation.heatmap_check import IGNORE, LUNG
from cxr.evaluation.metrics import bootstrap_statistic
from cxr.inference.lung_field import LUNG_PROBABILITY
from cxr.inference.site_check import proportion


def dice_scores(probabilities: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(N, S, S) lung probabilities and (N, S, S) mask files (0 / 127 / 255) -> (N,) Dice."""
    counted = masks != IGNORE
    predicted = (probabilities > LUNG_PROBABILITY) & counted
    truth = (masks == LUNG) & counted
    inter = (predicted & truth).sum(axis=(1, 2))
    total = predicted.sum(axis=(1, 2)) + truth.sum(axis=(1, 2))
    return np.where(total > 0, 2.0 * inter / np.maximum(total, 1), 1.0)


def dice_summary(dice: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """Mean Dice and its 5th percentile (the bad cases), each with a bootstrap 95% CI."""
    frame = pd.DataFrame({"dice": np.asarray(dice, float)})
    return {
        "images": int(len(frame)),
        "mean_dice": bootstrap_statistic(frame, lambda f: f["dice"].mean(), n_boot, seed),
        "p5_dice": bootstrap_statistic(frame, lambda f: f["dice"].quantile(0.05), n_boot, seed),
        "below_0_8": proportion(int((frame["dice"] < 0.8).sum()), len(frame)),
    }


def off_lung_accuracy(frame: pd.DataFrame, threshold: float) -> dict:
    """`frame`: one row per out-of-source reading with `correct` (bool) and `heat_on_lungs`.

    Returns, for readings whose heat share on the lungs is below `threshold` ("off the lungs")
    and the others, their count and accuracy with 95% CIs, overall and per `group`."""
    def split(part: pd.DataFrame) -> dict:
        off = part["heat_on_lungs"] < threshold
        return {
            "readings": int(len(part)),
            "off_lungs": proportion(int(off.sum()), len(part)),
            "accuracy_off_lungs": proportion(int(part.loc[off, "correct"].sum()), int(off.sum())),
            "accuracy_on_lungs": proportion(int(part.loc[~off, "correct"].sum()), int((~off).sum())),
        }

    result = {"threshold": float(threshold), "all": split(frame)}
    if "group" in frame:
        result["by_group"] = {str(g): split(part) for g, part in frame.groupby("group", sort=True)}
    return result
