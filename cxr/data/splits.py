"""Train/validation/test splits, saved as CSV and reused.

- `random`: stratified 80/10/10 by image, seeded: the paper's split. Images of one patient can
  land on both sides, which flatters the test score.
- `patient`: stratified and grouped: no patient in two subsets (images without a patient id are
  their own group).
- `source`: the named sources are the test set (a different hospital/collection); the rest is
  split 8:1 into train/val, grouped by patient.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

SPLIT_KINDS = ("random", "patient", "source")


def _groups(frame: pd.DataFrame) -> np.ndarray:
    pid = frame["patient_id"].fillna("").astype(str)
    return np.where(pid != "", pid, "image:" + frame["path"].astype(str))


def _grouped_folds(frame: pd.DataFrame, n_splits: int, seed: int) -> np.ndarray:
    """Fold number per row from a stratified, grouped K-fold."""
    folds = np.zeros(len(frame), dtype=int)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for fold, (_, held) in enumerate(splitter.split(frame, frame["y"], _groups(frame))):
        folds[held] = fold
    return folds


def make_split(
    frame: pd.DataFrame,
    kind: str,
    seed: int = 0,
    holdout_sources: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return `frame` (a task frame with `y`) plus a `subset` column: train, val or test."""
    if kind not in SPLIT_KINDS:
        raise ValueError(f"unknown split {kind!r}; choose one of {SPLIT_KINDS}")
    out = frame.reset_index(drop=True).copy()
    subset = np.empty(len(out), dtype=object)
    if kind == "random":
        idx = np.arange(len(out))
        train, rest = train_test_split(idx, test_size=0.2, stratify=out["y"], random_state=seed)
        val, test = train_test_split(
            rest, test_size=0.5, stratify=out["y"].iloc[rest], random_state=seed
        )
        subset[train], subset[val], subset[test] = "train", "val", "test"
    elif kind == "patient":
        folds = _grouped_folds(out, n_splits=10, seed=seed)
        subset[:] = "train"
        subset[folds == 0] = "test"
        subset[folds == 1] = "val"
    else:
        if not holdout_sources:
            raise ValueError("a `source` split needs --holdout-sources")
        unknown = set(holdout_sources) - set(out["source"])
        if unknown:
            raise ValueError(f"holdout sources not in the data: {sorted(unknown)}")
        is_test = out["source"].isin(holdout_sources).to_numpy()
        subset[is_test] = "test"
        rest = out[~is_test]
        folds = _grouped_folds(rest, n_splits=9, seed=seed)
        subset[np.flatnonzero(~is_test)] = np.where(folds == 0, "val", "train")
    out["subset"] = subset
    return out


def default_split_path(data_dir: str | Path, task: str, kind: str, seed: int) -> Path:
    return Path(data_dir) / "splits" / f"{task}_{kind}_s{seed}.csv"


def save_split(split: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    split.to_csv(path, index=False)
    return path


def read_split(path: str | Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"patient_id": str}, keep_default_na=False)
    if "subset" not in frame.columns or "y" not in frame.columns:
        raise ValueError(f"{path} is not a split file (needs `y` and `subset` columns)")
    return frame


def describe_split(split: pd.DataFrame) -> dict:
    """Counts per subset, label and source: what the model card and results tables report."""
    counts: dict = {}
    for subset, rows in split.groupby("subset"):
        counts[subset] = {
            "n": int(len(rows)),
            "by_label": {k: int(v) for k, v in rows["label"].value_counts().sort_index().items()},
            "by_source": {k: int(v) for k, v in rows["source"].value_counts().sort_index().items()},
        }
    return counts


def stratified_sample(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """At most about `limit` rows, drawn per source-and-class group so small sources keep their share."""
    if len(frame) <= limit:
        return frame
    share = limit / len(frame)
    parts = [rows.sample(n=max(1, round(len(rows) * share)), random_state=seed)
             for _, rows in frame.groupby(["source", "label"])]
    return pd.concat(parts).sort_index()
