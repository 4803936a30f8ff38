"""The "what each change did" table of studies/recipe_ablation/run.sh, as Markdown.

    python -m studies.recipe_ablation.table runs/ablation

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

import pandas as pd

from cxr.evaluation.markdown import frame_table, write_output
from cxr.evaluation.predictions import CLASSES, accuracy, macro_auc_present, sensitivity_of, with_ci

PAGE = Path(__file__).resolve().parents[2] / "docs" / "results" / "recipe_ablation.md"


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
        "test acc (unseen)": with_ci(test, accuracy),
        "macro AUC (classes present)": with_ci(test, macro_auc_present),
    }
    for name in present:
        out[f"{name} sens"] = with_ci(test, sensitivity_of(name))
    return out


def main(root: str) -> None:
    runs = sorted(p.parent.parent for p in Path(root).glob("*/*/eval/metrics.json"))
    if not runs:
        raise SystemExit(f"no finished runs under {root} (run studies/recipe_ablation/run.sh first)")
    by_fold: dict[str, list[dict]] = {}
    for run_dir in runs:
        for eval_name in ("eval", "eval-tta"):  # eval-tta: the same model with --tta flip
            if (run_dir / eval_name / "metrics.json").exists():
                by_fold.setdefault(run_dir.parent.name, []).append(row(run_dir, eval_name))
    parts = []
    for fold, rows in by_fold.items():
        frame = pd.DataFrame(rows)
        parts.append(f"### Held out: {fold} ({frame.iloc[0]['fold (held-out sources, images)']})\n\n"
                     + frame_table(frame.drop(columns=["fold (held-out sources, images)"])))
    output = "\n\n".join(parts)
    print(output)
    write_output(PAGE, f"python -m studies.recipe_ablation.table {root}", output,
                 "What each change of the recipe did: leave-sources-out ablation")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        raise SystemExit(__doc__)
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/ablation")
