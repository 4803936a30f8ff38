"""Which backbone reads X-rays from unseen collections better: Xception (the paper's) or Lite0?

    python -m studies.backbone_out_of_source.study   # seconds; reads committed results only

Both networks were trained with the bundled model's recipe (ImageNet weights, lr 1e-4, batch 32,
8 epochs of at most 100 batches, 224 px, JPEG codec last, classes balanced) on the same four
leave-sources-out folds, at the same time on one lent H200 (`scripts/gpu_session.sh`, 2026-12-04):
`results/oos-lite0-gpu224` and `results/oos-xception-gpu224`. Each folder holds every X-ray's
reading by the fold model that never saw its collection (`oos_predictions.csv`) and what
`python -m cxr trust` measured on it (`trust.json`: each group read with a temperature, sets and
familiarity threshold fitted on the other groups), and the log loss of the readings under such a
temperature beside two baselines that ignore the image (cxr.evaluation.trust.left_out_log_loss). The CPU folds of the same Lite0 recipe
(`results/oos-codeclast-balanced224`, 2026-12-03) are a third column: how much two trainings of
one recipe differ.

Imports only cxr, numpy and pandas; writes docs/results/backbone_out_of_source.md.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxr.evaluation.local_calibration import pairwise_auc
from cxr.evaluation.markdown import format_estimate, table, write_output
from cxr.evaluation.trust import left_out_log_loss

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "backbone_out_of_source.md"
FOLDERS = {
    "Lite0 (H200)": "results/oos-lite0-gpu224",
    "Xception (H200)": "results/oos-xception-gpu224",
    "Lite0 (CPU, earlier run)": "results/oos-codeclast-balanced224",
}
GROUP_NAMES = {"cohen": "Cohen (adults, COVID-19 and pneumonia)", "nih": "NIH via DarkCovidNet",
               "kermany": "Kermany (children)", "raddb": "COVID-19 Radiography DB", "pooled": "pooled"}


def _load(folder: Path) -> tuple[pd.DataFrame, list[str], dict]:
    readings = pd.read_csv(folder / "oos_predictions.csv")
    classes = [c.removeprefix("logit_") for c in readings.columns if c.startswith("logit_")]
    trust = json.loads((folder / "trust.json").read_text(encoding="utf-8"))
    return readings, classes, trust


def _speed(folder: Path) -> str:
    """Training images per second of each fold (training steps only; the folds shared the GPU
    with each other and with the paper's grid, so this compares the two, not the GPU)."""
    rates = [json.loads(p.read_text())["train_images_per_second"] for p in sorted(folder.glob("*/run/done.json"))]
    return f"{np.mean(rates):.0f}" if rates else "-"


def _log_loss_table(results: dict, names: list[str], groups: list[str]) -> list[str]:
    """Mean NLL per held-out group (cxr.evaluation.trust.left_out_log_loss) beside 1/C for every
    class and the other groups' class shares (add-one): at the temperature's bound the ECE is
    about |accuracy - mean confidence|, and these say whether the probabilities carry anything."""
    losses = {}
    for name in names:
        readings, classes, _ = results[name]
        losses[name] = left_out_log_loss(
            readings.assign(y=readings["label"].map({c: i for i, c in enumerate(classes)})), classes)
    first = losses[names[0]]
    uniform = np.log(len(results[names[0]][1]))
    return [table(["held-out group", "images", *names, f"every class 1/{len(results[names[0]][1])}", "other groups' class shares"],
                  [[GROUP_NAMES.get(g, g), str(first[g]["images"]), *[f"{losses[n][g]['nll']:.3f}" for n in names],
                    f"{uniform:.3f}", f"{first[g]['prior_nll']:.3f}"] for g in groups], "lr" + "r" * (len(names) + 2))]


def render(results: dict[str, tuple[pd.DataFrame, list[str], dict]]) -> str:
    names = list(results)
    groups = [*results[names[0]][2]["measured"]["by_group"], "pooled"]

    def measured(name: str, group: str) -> dict:
        m = results[name][2]["measured"]
        return m["pooled"] if group == "pooled" else m["by_group"][group]

    out = ["### Right, out of source (argmax; 95% CI)", "",
           table(["held-out group", "images", *names],
                 [[GROUP_NAMES.get(g, g), str(measured(names[0], g)["images"]),
                   *[format_estimate(measured(n, g)["accuracy_all"], brackets=True) for n in names]]
                  for g in groups], "lrrrr"[:2 + len(names)]),
           "", "### Calibration and 90% prediction sets fitted on the other groups", "",
           table(["held-out group", *[f"{n}: ECE / set coverage / mean size" for n in names]],
                 [[GROUP_NAMES.get(g, g), *[
                     f"{measured(n, g)['ece']['value']:.3f} / {measured(n, g)['set_coverage']['value']:.3f}"
                     f" / {measured(n, g)['mean_set_size']:.2f}" for n in names]] for g in groups]),
           "", "### Log loss out of source (temperature fitted on the other groups) against baselines that ignore the image", "",
           *_log_loss_table(results, names, groups),
           "", "### What each network can tell apart in a group it never saw (pairwise AUC of the logits)", ""]
    rows = []
    for g in groups[:-1]:
        for name in names:
            readings, classes, _ = results[name]
            part = readings[readings["group"] == g]
            y = part["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
            aucs = pairwise_auc(part[[f"logit_{c}" for c in classes]].to_numpy(), y, classes)
            rows.append([GROUP_NAMES.get(g, g), name, ", ".join(f"{k} {v:.2f}" for k, v in aucs.items())])
    out += [table(["held-out group", "network", "AUC per pair of classes present"], rows), "",
            "### Fitted on all groups (what a card's trust section would carry)", "",
            table(["network", "temperature", "rule", "labels anything", "training img/s per fold"],
                  [[n, f"{results[n][2]['temperature']:.2f}", results[n][2]["rule"],
                    "no" if results[n][2]["threshold"] is None else f"above {results[n][2]['threshold']:.3f}",
                    _speed(REPO / FOLDERS[n])] for n in names], "lrllr")]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies.backbone_out_of_source.study",
                                     description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    missing = [f for f in FOLDERS.values() if not (REPO / f / "trust.json").exists()]
    if missing:
        print(f"skipped: no trust.json in {', '.join(missing)} (run `python -m cxr trust FOLDER` first)",
              file=sys.stderr)
        return 1
    results = {name: _load(REPO / folder) for name, folder in FOLDERS.items()}
    output = render(results)
    write_output(PAGE, "python -m studies.backbone_out_of_source.study", output,
                 "Xception or EfficientNet-Lite0, measured out of source")
    print(output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
