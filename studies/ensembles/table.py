"""Does averaging several models help on held-out sources? Each run alone, then their mean.

    python scripts/ensemble_table.py runs/ablation/cohen-darkcovidnet/1-paper \
        runs/ablation-seed1/cohen-darkcovidnet/1-paper

Reads each run's `eval/predictions_test.csv` (the same test images in every run, checked),
averages the calibrated probabilities, and prints one Markdown row per run plus one for the
ensemble: macro AUC over the classes present [95% bootstrap CI], accuracy, expected calibration
error and per-class sensitivity. An ensemble of seeds is the cheapest thing that might make a
model more robust and better calibrated on unfamiliar hospitals; this measures whether it does.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ablation_table import CLASSES, macro_auc_present, markdown, sensitivity, with_ci

from cxr.evaluation.metrics import expected_calibration_error

PROBABILITY_COLUMNS = [f"p_{name}" for name in CLASSES]


def ensemble(frames: list[pd.DataFrame]) -> pd.DataFrame:
    first = frames[0]
    for other in frames[1:]:
        if not first["path"].equals(other["path"]):
            raise SystemExit("the runs were tested on different images; an ensemble needs the same test set")
    mean = first.copy()
    mean[PROBABILITY_COLUMNS] = np.mean([f[PROBABILITY_COLUMNS].to_numpy() for f in frames], axis=0)
    mean["predicted"] = np.array(CLASSES)[mean[PROBABILITY_COLUMNS].to_numpy().argmax(axis=1)]
    return mean


def row(name: str, frame: pd.DataFrame) -> dict:
    y_true = frame["label"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
    out = {
        "model": name,
        "macro AUC (classes present)": with_ci(frame, macro_auc_present),
        "accuracy": f"{(frame['predicted'] == frame['label']).mean():.3f}",
        "ECE": f"{expected_calibration_error(y_true, frame[PROBABILITY_COLUMNS].to_numpy()):.3f}",
    }
    for name_ in CLASSES:
        if (frame["label"] == name_).any():
            out[f"{name_} sens"] = f"{sensitivity(name_)(frame):.3f}"
    return out


def main(run_dirs: list[str]) -> None:
    if len(run_dirs) < 2:
        raise SystemExit(__doc__)
    frames = [pd.read_csv(Path(d) / "eval" / "predictions_test.csv") for d in run_dirs]
    rows = [row(d, f) for d, f in zip(run_dirs, frames, strict=True)]
    rows.append(row(f"mean of the {len(frames)} above", ensemble(frames)))
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main(sys.argv[1:])
