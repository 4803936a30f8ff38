"""Does the bundled model's heat map lie on the lungs? The tables behind the card's heatmap_check.

    .venv/bin/python -m studies.cam_lung_overlap.study                # bundled model, ../shared
    .venv/bin/python -m studies.cam_lung_overlap.study --model DIR --shared PATH/TO/cxr

Measures every X-ray with a lung mask (cxr.evaluation.heatmap_check explains the numbers) and prints one
Markdown table per grouping: all, true label, source and label, the model's split subset, and
the predicted class.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from cxr.evaluation.heatmap_check import MASK_INDEX, measure, subsets_by_file_name, summary
from cxr.evaluation.markdown import frame_table, write_output
from cxr.inference.predictor import Predictor

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "cam_lung_overlap.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "bundled")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data" / "cxr")
    args = parser.parse_args()
    if not (args.shared / MASK_INDEX).exists():
        raise SystemExit(f"no lung masks under {args.shared}: nothing to measure")
    predictor = Predictor.load(args.model)
    split_csv = Path(predictor.card.training.split["csv"])
    subsets = subsets_by_file_name(pd.read_csv(split_csv)) if split_csv.exists() else None
    frame = measure(predictor, args.shared, pd.read_csv(args.shared / MASK_INDEX), subsets)
    parts = [f"model {predictor.version}, {len(frame)} masked X-rays"]
    for by in ([], ["label"], ["source", "label"], ["subset"], ["predicted"]):
        table = summary(frame, by)
        table["heat / area"] = table["heat_on_lungs"] / table["lung_area"]
        parts.append(frame_table(table.round(3).reset_index()))
    output = "\n\n".join(parts)
    print(output)
    write_output(PAGE, " ".join(["python -m studies.cam_lung_overlap.study", *sys.argv[1:]]), output,
                 "Where the heat map looks: lungs or shortcuts")


if __name__ == "__main__":
    main()
