"""What a site's own labelled X-rays buy: sets and abstention calibrated at the site.

    python -m studies.local_calibration.study [--oos results/oos-codeclast-balanced224]
        [--local 50 100 200] [--repeats 20]   # about a minute on 2 cores

Issue 15 asks for 90% prediction sets that cover >= 0.88 of every held-out source with at most
1.7 classes on average, and labels right >= 0.85 per source. Fitted on other sources, they do
not transfer (docs/results/trustworthy_readings.md: sets cover 0.46-1.00 per group). A hospital
that runs `python -m cxr validate-site` has labelled X-rays of its own; this study asks what
calibrating at the site with N of them would give, on the leave-sources-out readings the project
already has: every image read by a fold model that never saw its source group
(`python -m cxr out-of-source`; `results/<folder>/oos_predictions.csv`, committed).

For each held-out group and each N: 20 random draws of N of its X-rays (its own class mix) are
the "local labelled cases"; `cxr.evaluation.local_calibration` fits a vector scaling on half of
them and class-conditional 90% sets (crepes) and the top-probability threshold for labels right
>= 0.90 on the other half; the group's remaining X-rays measure it. Mean over draws, with the 2.5
and 97.5 percentiles of the draws in brackets (the spread of what one site could see, not a
confidence interval). Beside it: the same group read with what was fitted on the other groups
(`trust.json`, from `python -m cxr trust`), and the pairwise AUC among the classes present, which
says what the network can tell apart there at all.

Imports only cxr, numpy and pandas; writes docs/results/local_calibration.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxr.evaluation.local_calibration import local_budget, pairwise_auc, summarise_draws
from cxr.evaluation.markdown import format_spread, table, write_output

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "local_calibration.md"
MEASURES = ("set_coverage", "mean_set_size", "mean_set_size_seen", "accuracy", "coverage", "labelled_accuracy")


def _from_other_groups(group: dict) -> list[str]:
    def value(key: str) -> str:
        entry = group.get(key)
        entry = entry.get("value") if isinstance(entry, dict) else entry
        return "-" if entry is None else f"{entry:.3f}"
    return [value("set_coverage"), f"{group.get('mean_set_size', float('nan')):.2f}", "-", value("accuracy_all"),
            value("coverage"), value("labelled_accuracy")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies.local_calibration.study",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--oos", type=Path, default=Path("results/oos-codeclast-balanced224"),
                        help="folder with oos_predictions.csv and trust.json")
    parser.add_argument("--local", type=int, nargs="+", default=[50, 100, 200], metavar="N")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    readings_file = REPO / args.oos / "oos_predictions.csv"
    if not readings_file.is_file():
        raise SystemExit(f"no out-of-source readings at {readings_file}: run python -m cxr out-of-source")
    started = time.time()
    readings = pd.read_csv(readings_file)
    classes = [c.removeprefix("logit_") for c in readings.columns if c.startswith("logit_")]
    trust_file = REPO / args.oos / "trust.json"
    other_groups = json.loads(trust_file.read_text())["measured"]["by_group"] if trust_file.is_file() else {}

    mix_rows, budget_rows = [], []
    for group, frame in readings.groupby("group", sort=True):
        logits = frame[[f"logit_{c}" for c in classes]].to_numpy()
        y = frame["label"].map(classes.index).to_numpy()
        counts = np.bincount(y, minlength=len(classes))
        aucs = pairwise_auc(logits, y, classes)
        mix_rows.append([group, len(y), ", ".join(f"{c} {n}" for c, n in zip(classes, counts, strict=True) if n),
                         f"{counts.max() / len(y):.3f}", f"{(logits.argmax(axis=1) == y).mean():.3f}",
                         "; ".join(f"{pair} {auc:.2f}" for pair, auc in aucs.items())])
        if group in other_groups:
            budget_rows.append([group, "0 (fitted on the other groups)", *_from_other_groups(other_groups[group])])
        for n_local in args.local:
            if n_local + 50 > len(y):  # too few left to measure on
                continue
            summary = summarise_draws(local_budget(logits, y, n_local, repeats=args.repeats))
            budget_rows.append([group, n_local, *(format_spread(summary[m], 2 if "size" in m else 3)
                                                  for m in MEASURES)])

    output = "\n".join([
        f"Readings: `{args.oos.as_posix()}/oos_predictions.csv` (each image read by a fold model that never saw its "
        f"source group). {args.repeats} draws per row; mean [2.5th, 97.5th percentile of the draws].", "",
        "**The held-out groups** (accuracy: the fold model's plain reading; AUC: the logit difference of each "
        "pair of classes present, among images of those two classes):", "",
        table(["group", "X-rays", "classes", "largest class share", "accuracy", "pairwise AUC"], mix_rows,
              "lrlrrl"), "",
        "**Calibrated with N of the group's own labelled X-rays** (half fit the scaling, half the 90% sets and "
        "the label threshold for 0.90 right), measured on its other X-rays:", "",
        table(["group", "local X-rays", "90% set coverage", "mean set size", "set size, classes seen locally",
               "accuracy", "labelled share", "right among labelled"], budget_rows, "lrrrrrrr"),
        f"\n({time.time() - started:.0f} s)",
    ])
    print(output)
    command = " ".join(["python -m studies.local_calibration.study", *(argv if argv is not None else sys.argv[1:])])
    write_output(PAGE, command, output, "Calibrating at the site: what its own labelled X-rays buy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
