"""Does a frozen ImageNet backbone generalise to unseen hospitals better than a fine-tuned one?

    python -m studies.frozen_backbone.study [SIZE ...]   # default 128 and 224 px: ~5 min

The paper unfreezes every layer. With ~7,000 images from five collections, fine-tuning is free to
learn what tells the collections apart (processing, exposure, borders), and the leave-sources-out
ablation says it does. A frozen ImageNet trunk cannot adapt to those cues; only a linear head on
its pooled features is trained. This measures that trade on the ablation's two folds, with the
same held-out images and the same statistics as studies.recipe_ablation.table, so the rows can be set
beside the paper recipe's (fold 1 macro AUC 0.723 / 0.741, fold 2 0.574 / 0.528 at 128 px).

The head is multinomial logistic regression on standardised features; its L2 strength is chosen
on the fold's validation images (seen sources only, as the ablation chooses its best epoch), and
its probabilities are temperature-scaled on the same validation images.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from cxr.data.cache import cache_key, cached_images
from cxr.data.splits import read_split
from cxr.evaluation.markdown import frame_table, write_output
from cxr.evaluation.metrics import expected_calibration_error, fit_temperature, softmax_probs
from cxr.evaluation.predictions import (
    CLASSES,
    accuracy,
    macro_auc_present,
    probability_columns,
    sensitivity,
    with_ci,
)
from cxr.preprocess import to_tensor_layout
from cxr.training.models import build_model

PAGE = Path(__file__).resolve().parents[2] / "docs" / "results" / "frozen_backbone.md"
FOLDS = {
    "cohen-darkcovidnet": "var/data/splits/3class_holdout-cohen-darkcovidnet_s0.csv",
    "skytells-zargari": "var/data/splits/3class_holdout-skytells-zargari_s0.csv",
}
ARCH = "EfficientNet-Lite0"
FEATURE_DIR = Path("var/frozen_features")
RUNS_DIR = Path("runs/frozen-backbone")
L2_STRENGTHS = (0.001, 0.01, 0.1, 1.0)  # sklearn's C: inverse regularisation


def pooled_features(paths: list[str], size: int) -> np.ndarray:
    """GAP features of the ImageNet trunk (no fine-tuning), cached per image list and size."""
    # Keyed like the image cache (the paths in order), so another split's order never reuses them.
    target = FEATURE_DIR / f"{ARCH}-{cache_key(paths, size, 'none')}.npy"
    if target.exists():
        return np.load(target)
    cache = cached_images(paths, size=size)
    model = build_model(ARCH, num_classes=len(CLASSES), pretrained="imagenet").eval()
    torch.set_num_threads(2)
    out = []
    with torch.no_grad():
        for start in range(0, len(paths), 64):
            x = torch.from_numpy(to_tensor_layout(np.asarray(cache[start:start + 64])))
            out.append(model.forward_features(x).mean(dim=(2, 3)).numpy())
    features = np.concatenate(out).astype(np.float32)
    FEATURE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(target, features)
    return features


def fit_head(x_train, y_train, x_val, y_val):
    """The L2 strength with the lowest validation log loss, refitted; returns (head, C, temperature)."""
    best = None
    for c in L2_STRENGTHS:
        head = LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train)
        loss = -np.log(head.predict_proba(x_val)[np.arange(len(y_val)), y_val] + 1e-12).mean()
        if best is None or loss < best[0]:
            best = (loss, c, head)
    _, c, head = best
    temperature = fit_temperature(head.decision_function(x_val), y_val)
    return head, c, temperature


def evaluate_fold(fold: str, split_csv: str, size: int) -> dict:
    split = read_split(split_csv)
    features = pooled_features(split["path"].tolist(), size)
    y = split["label"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
    parts = {name: (split["subset"] == name).to_numpy() for name in ("train", "val", "test")}
    scaler = StandardScaler().fit(features[parts["train"]])
    x = scaler.transform(features)
    head, c, temperature = fit_head(x[parts["train"]], y[parts["train"]], x[parts["val"]], y[parts["val"]])
    # The head knows only the classes its training rows had; all three are present in every fold.
    probs = softmax_probs(head.decision_function(x), temperature)
    test = split[parts["test"]].copy()
    for i, name in enumerate(CLASSES):
        test[f"p_{name}"] = probs[parts["test"], i]
    test["predicted"] = np.array(CLASSES)[probs[parts["test"]].argmax(axis=1)]
    # In a run folder's layout, so that studies.ensembles.table can average it with other runs.
    predictions = RUNS_DIR / f"{fold}-{size}" / "eval" / "predictions_test.csv"
    predictions.parent.mkdir(parents=True, exist_ok=True)
    test[["path", "source", "label", *probability_columns(), "predicted"]].to_csv(predictions, index=False)
    val_acc = float((probs[parts["val"]].argmax(axis=1) == y[parts["val"]]).mean())
    row = {
        "fold": fold,
        "input": f"{size} px",
        "head C / T": f"{c:g} / {temperature:.2f}",
        "val acc (seen)": f"{val_acc:.3f}",
        "test acc (unseen)": with_ci(test, accuracy),
        "macro AUC (classes present)": with_ci(test, macro_auc_present),
        "ECE": f"{expected_calibration_error(y[parts['test']], probs[parts['test']]):.3f}",
    }
    for name in CLASSES:
        row[f"{name} sens"] = f"{sensitivity(test, name):.3f}" if (test["label"] == name).any() else "-"
    return row


def main(sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        for fold, split_csv in FOLDS.items():
            if not Path(split_csv).exists():
                print(f"skip {fold}: {split_csv} is missing (studies/recipe_ablation/run.sh makes it)")
                continue
            rows.append(evaluate_fold(fold, split_csv, size))
    if rows:
        output = frame_table(pd.DataFrame(rows))
        print(output)
        write_output(PAGE, " ".join(["python -m studies.frozen_backbone.study", *map(str, sizes)]), output,
                     "A frozen backbone")


if __name__ == "__main__":
    if any(not arg.isdigit() for arg in sys.argv[1:]):
        raise SystemExit(__doc__)
    main([int(s) for s in sys.argv[1:]] or [128, 224])
