"""The "what each change did" table of scripts/recipe_ablation.sh, as Markdown.

    python scripts/ablation_table.py runs/ablation

One row per (held-out fold, recipe variant): accuracy and AUCs on the held-out sources (hospitals
the model never saw), with the in-distribution validation accuracy beside them, so a change that
only helps on familiar sources shows up as such. Macro AUC is taken over the classes present in
the held-out sources (one fold has no COVID at all); 95% CIs are bootstrap percentiles over images.
A run evaluated again with `--tta flip` into `eval-tta/` gets a row of its own.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

CLASSES = ("covid", "pneumonia", "normal")
N_BOOT = 1000


def macro_auc_present(frame: pd.DataFrame) -> float:
    """Mean one-vs-rest AUC over the classes that have both positives and negatives here."""
    aucs = []
    for name in CLASSES:
        positive = (frame["label"] == name).to_numpy()
        if 0 < positive.sum() < len(positive):
            aucs.append(roc_auc_score(positive, frame[f"p_{name}"]))
    return float(np.mean(aucs)) if aucs else float("nan")


def with_ci(frame: pd.DataFrame, statistic, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    value = statistic(frame)
    boots = [statistic(frame.iloc[rng.integers(0, len(frame), len(frame))]) for _ in range(N_BOOT)]
    lo, hi = np.nanpercentile(boots, [2.5, 97.5])
    return f"{value:.3f} [{lo:.3f}, {hi:.3f}]"


def sensitivity(name: str):
    def statistic(frame: pd.DataFrame) -> float:
        positive = frame["label"] == name
        return float((frame.loc[positive, "predicted"] == name).mean()) if positive.any() else float("nan")
    return statistic


def row(run_dir: Path, eval_name: str = "eval") -> dict:
    metrics = json.loads((run_dir / eval_name / "metrics.json").read_text())
    test = pd.read_csv(run_dir / eval_name / "predictions_test.csv")
    config = json.loads((run_dir / "config.json").read_text())
    held_out = ", ".join(f"{s} {n}" for s, n in test["source"].value_counts().sort_index().items())
    present = [c for c in CLASSES if (test["label"] == c).any()]
    out = {
        "fold (held-out sources, images)": held_out,
        "variant": run_dir.name + (" + flip TTA" if metrics.get("tta") == "flip" else ""),
        "recipe": (f"{config['arch']}, {config['epochs']} epochs, contrast={config['contrast']}, "
                   f"augment={config['augment']}, balance={config['balance']}"
                   + (f", adversary={config['adversary_weight']}" if config.get("adversary_weight") else "")
                   + (f", mixup={config['mixup']}" if config.get("mixup") else "")
                   + (f", label smoothing={config['label_smoothing']}" if config.get("label_smoothing") else "")),
        "best epoch": metrics.get("epoch"),
        "val acc (seen sources)": f"{metrics['subsets']['val']['accuracy']['value']:.3f}",
        "test acc (unseen)": with_ci(test, lambda f: float((f["predicted"] == f["label"]).mean())),
        "macro AUC (classes present)": with_ci(test, macro_auc_present),
    }
    for name in present:
        out[f"{name} sens"] = with_ci(test, sensitivity(name))
    return out


def main(root: str) -> None:
    runs = sorted(p.parent.parent for p in Path(root).glob("*/*/eval/metrics.json"))
    if not runs:
        raise SystemExit(f"no finished runs under {root} (run scripts/recipe_ablation.sh first)")
    by_fold: dict[str, list[dict]] = {}
    for run_dir in runs:
        for eval_name in ("eval", "eval-tta"):  # eval-tta: the same model with --tta flip
            if (run_dir / eval_name / "metrics.json").exists():
                by_fold.setdefault(run_dir.parent.name, []).append(row(run_dir, eval_name))
    for fold, rows in by_fold.items():
        frame = pd.DataFrame(rows)
        print(f"### Held out: {fold} ({frame.iloc[0]['fold (held-out sources, images)']})\n")
        print(markdown(frame.drop(columns=["fold (held-out sources, images)"])))
        print()


def markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(str(v) for v in values) + " |" for values in frame.itertuples(index=False)]
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/ablation")
