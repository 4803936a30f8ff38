"""A small learned selector for abstention, against the calibrated top probability, out of source.

    python -m studies.trust_selector.study [OOS_DIR ...]   # default runs/oos-proxy128; a minute

OOS_DIR is a folder of `python -m cxr out-of-source` with its folds' features (the
`<group>/predictions.npz` files stay in runs/, git-ignored; only the readings are committed).

Issue 15 asks which rule decides when a reading gets a label: calibrated top probability,
margin, familiarity, or a small learned selector. `python -m cxr trust` compares the first three
(docs/results/trustworthy_readings.md); this measures the fourth under a stricter protocol, so
that nothing the selector learns comes from the group it is judged on.

For each held-out source group G:
1. every other group H is read with temperature, prediction sets and familiarity fitted on the
   groups other than G and H (`cxr.evaluation.trust.fit`), so H's inputs to the selector are
   what an unseen hospital's would be;
2. the selector, an L2 logistic regression predicting "this reading is right", is fitted on
   those readings; its threshold is the lowest whose labels are right >= the target on the other
   groups' out-of-group selector scores (an inner leave-one-group-out), so it is not tuned on
   its own fitting data;
3. G is read with parameters fitted on all other groups and labelled where the selector's score
   reaches that threshold.
The top-probability rule gets the same steps with its score in place of the selector's.

Selector inputs: calibrated top probability, margin, entropy, prediction-set size, the
nearest-neighbour familiarity ratio (log), and optionally the image's pooled network features
on 16 principal axes ("+ features"), which can tell what kind of image it is, not only how sure
the model is.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cxr.evaluation import trust
from cxr.evaluation.markdown import format_estimate, table, write_output
from cxr.evaluation.metrics import softmax_probs
from cxr.evaluation.selective import area_under_risk_coverage, threshold_for_accuracy
from cxr.inference.abstention import prediction_sets
from cxr.inference.site_check import proportion

REPO_DIR = Path(__file__).resolve().parents[2]
PAGE = REPO_DIR / "docs" / "results" / "trust_selector.md"
TARGET = 0.9
CONFIDENCE = 0.9
FEATURE_AXES = 16
SELECTORS = ("top probability", "selector", "selector + features")


def pooled_features(oos_dir: Path, table_: pd.DataFrame, groups: list[str]) -> np.ndarray:
    """(N, D) pooled network features of every image, from the fold model that never saw it."""
    features = None
    for name in groups:
        with np.load(oos_dir / name / "predictions.npz") as fold:
            if features is None:
                features = np.zeros((len(table_), fold["features"].shape[1]), np.float32)
            features[fold["rows"]] = fold["features"]
    return features


def readings(table_: pd.DataFrame, classes: list[str], fitted_on: pd.DataFrame) -> pd.DataFrame:
    """`table_` read with temperature, sets and familiarity fitted on `fitted_on` only: the
    selector's scalar inputs and whether each reading is right."""
    params = trust.fit(fitted_on, classes, "max_probability", TARGET, CONFIDENCE)
    logits = table_[[f"logit_{c}" for c in classes]].to_numpy()
    probs = softmax_probs(logits, params.temperature)
    ordered = np.sort(probs, axis=1)
    sets = prediction_sets(probs, params.set_thresholds)
    return pd.DataFrame({
        "top": ordered[:, -1],
        "margin": ordered[:, -1] - ordered[:, -2],
        "entropy": -(probs * np.log(np.clip(probs, 1e-12, 1.0))).sum(axis=1),
        "set_size": sets.sum(axis=1),
        "log_knn_ratio": np.log(np.clip(table_["knn_ratio"].to_numpy(), 1e-6, None)),
        "correct": probs.argmax(axis=1) == table_["y"].to_numpy(),
        "group": table_["group"].to_numpy(),
    }, index=table_.index)


SCALARS = ["top", "margin", "entropy", "set_size", "log_knn_ratio"]
# What the ranking alone could give: accuracy of the readings with the highest scores, at these
# coverages of the held-out group (a threshold chosen on the group itself: not deployable).
TOP_SHARES = (0.1, 0.3)


def accuracy_of_top(score: np.ndarray, correct: np.ndarray, share: float) -> str:
    n = max(1, int(round(share * len(score))))
    top = np.argsort(-score, kind="stable")[:n]
    return f"{correct[top].mean():.2f}"


def selector_model(with_features: bool):
    if not with_features:
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))


def design(frame: pd.DataFrame, axes: np.ndarray | None) -> np.ndarray:
    x = frame[SCALARS].to_numpy(np.float64)
    return x if axes is None else np.hstack([x, axes])


def scores_for(kind: str, train: pd.DataFrame, test: pd.DataFrame,
               feats: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(out-of-group scores of the training readings, scores of the test readings)."""
    if kind == "top probability":
        return train["top"].to_numpy(), test["top"].to_numpy()
    with_features = kind == "selector + features"

    def axes_for(fit_rows: pd.Index, rows: pd.Index):
        if not with_features:
            return None, None
        pca = PCA(FEATURE_AXES, random_state=0).fit(feats[fit_rows])
        return pca.transform(feats[fit_rows]), pca.transform(feats[rows])

    inner = np.zeros(len(train))
    for h in train["group"].unique():
        fit_part, score_part = train[train["group"] != h], train[train["group"] == h]
        a_fit, a_score = axes_for(fit_part.index, score_part.index)
        model = selector_model(with_features).fit(design(fit_part, a_fit), fit_part["correct"])
        inner[(train["group"] == h).to_numpy()] = model.predict_proba(design(score_part, a_score))[:, 1]
    a_fit, a_test = axes_for(train.index, test.index)
    model = selector_model(with_features).fit(design(train, a_fit), train["correct"])
    return inner, model.predict_proba(design(test, a_test))[:, 1]


def run(oos_dir: Path) -> str:
    table_, classes, protocol = trust.load_readings(oos_dir)
    groups = list(protocol["groups"])
    feats = pooled_features(oos_dir, table_, groups)
    rows, pooled = [], {kind: [] for kind in SELECTORS}
    for g in groups:
        others = [h for h in groups if h != g]
        train = pd.concat([readings(table_[table_["group"] == h], classes,
                                    table_[~table_["group"].isin([g, h])]) for h in others])
        test = readings(table_[table_["group"] == g], classes, table_[table_["group"] != g])
        for kind in SELECTORS:
            inner, score = scores_for(kind, train, test, feats)
            threshold = threshold_for_accuracy(inner, train["correct"].to_numpy(), TARGET)
            labelled = score >= threshold
            correct = test["correct"].to_numpy()
            pooled[kind].append(pd.DataFrame({"score": score, "labelled": labelled, "correct": correct}))
            rows.append([g, kind, str(len(test)), format_estimate(proportion(int(labelled.sum()), len(test))),
                         format_estimate(proportion(int(correct[labelled].sum()), int(labelled.sum()))),
                         f"{area_under_risk_coverage(score, correct):.3f}",
                         *(accuracy_of_top(score, correct, q) for q in TOP_SHARES)])
    for kind in SELECTORS:
        frame = pd.concat(pooled[kind])
        labelled, correct = frame["labelled"].to_numpy(), frame["correct"].to_numpy()
        # Pooled AURC mixes groups' score scales; each group's own AURC is in its row.
        rows.append(["pooled", kind, str(len(frame)),
                     format_estimate(proportion(int(labelled.sum()), len(frame))),
                     format_estimate(proportion(int(correct[labelled].sum()), int(labelled.sum()))),
                     f"{area_under_risk_coverage(frame['score'].to_numpy(), correct):.3f}",
                     *(accuracy_of_top(frame["score"].to_numpy(), correct, q) for q in TOP_SHARES)])
    recipe = protocol.get("recipe", {})
    header = (f"Out-of-source readings: `{oos_dir.name}` ({recipe.get('arch', '?')}, "
              f"{recipe.get('img_size', '?')} px, groups {', '.join(groups)}). Target: labelled "
              f"readings right >= {TARGET:.0%}; 95% Wilson intervals; AURC: lower is better "
              f"(all readings ranked by the score); \"right in its top q\": the share right among the "
              f"group's q readings with the highest scores (ranking only, no deployable threshold).")
    top = tuple(f"right in its top {q:.0%}" for q in TOP_SHARES)
    return header + "\n\n" + table(("held-out group", "rule", "images", "coverage", "labelled right",
                                    "AURC", *top), rows)


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [REPO_DIR / "runs" / "oos-proxy128"]
    outputs = []
    for folder in folders:
        if not (folder / "protocol.json").is_file():
            print(f"skipped: no out-of-source readings in {folder} (python -m cxr out-of-source)")
            continue
        groups = json.loads((folder / "protocol.json").read_text(encoding="utf-8"))["groups"]
        missing = [g for g in groups if not (folder / g / "predictions.npz").is_file()]
        if missing:
            print(f"skipped: {folder} lacks the folds' features ({', '.join(missing)}/predictions.npz)")
            continue
        outputs.append(run(folder))
        print(outputs[-1])
    if outputs:
        command = "python -m studies.trust_selector.study " + " ".join(str(f) for f in folders)
        write_output(PAGE, command.strip(), "\n\n".join(outputs),
                     "A learned abstention selector, out of source")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
