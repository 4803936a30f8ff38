r"""Does averaging several models help on held-out sources? Each run alone, then their mean.

    python -m studies.ensembles.table runs/ablation/cohen-darkcovidnet/1-paper \
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

import pandas as pd

from cxr.evaluation.markdown import frame_table, write_output
from cxr.evaluation.metrics import expected_calibration_error
from cxr.evaluation.predictions import (
    CLASSES,
    accuracy,
    ensemble,
    macro_auc_present,
    probability_columns,
    sensitivity,
    with_ci,
)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "results" / "ensembles.md"


def row(name: str, frame: pd.DataFrame) -> dict:
    y_true = frame["label"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
    out = {
        "model": name,
        "macro AUC (classes present)": with_ci(frame, macro_auc_present),
        "accuracy": f"{accuracy(frame):.3f}",
        "ECE": f"{expected_calibration_error(y_true, frame[probability_columns()].to_numpy()):.3f}",
    }
    for class_name in CLASSES:
        if (frame["label"] == class_name).any():
            out[f"{class_name} sens"] = f"{sensitivity(frame, class_name):.3f}"
    return out


def main(run_dirs: list[str]) -> None:
    if len(run_dirs) < 2 or run_dirs[0] in ("-h", "--help"):
        raise SystemExit(__doc__)
    frames = [pd.read_csv(Path(d) / "eval" / "predictions_test.csv") for d in run_dirs]
    try:
        mean = ensemble(frames)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    rows = [row(d, f) for d, f in zip(run_dirs, frames, strict=True)]
    rows.append(row(f"mean of the {len(frames)} above", mean))
    output = frame_table(pd.DataFrame(rows))
    print(output)
    write_output(PAGE, " ".join(["python -m studies.ensembles.table", *run_dirs]), output,
                 "Ensembles")


if __name__ == "__main__":
    main(sys.argv[1:])
