"""The dataset index: one row per image with its label, source and patient.

Every importer returns a DataFrame with `INDEX_COLUMNS`; the rest of the toolkit only reads
indexes, so adding a layout means adding an importer, nothing else.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxr.labels import classes_for

INDEX_COLUMNS = ["path", "label", "source", "patient_id", "origin"]


def import_shared_manifest(cxr_dir: str | Path) -> pd.DataFrame:
    """Index the project's shared X-ray set (`manifest.csv` with `images/<class>/<source>__name`)."""
    cxr_dir = Path(cxr_dir).resolve()
    manifest = cxr_dir / "manifest.csv"
    if not manifest.exists():
        raise FileNotFoundError(f"no manifest.csv in {cxr_dir}")
    rows = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "path": [str(cxr_dir / f) for f in rows["file"]],
            "label": rows["label"].str.strip().str.lower(),
            # The file name prefix names the source repository (raddb, cohen, ...).
            "source": [Path(f).name.split("__", 1)[0] for f in rows["file"]],
            "patient_id": rows["patient_id"],
            "origin": rows["origin"],
        }
    )
    return frame[INDEX_COLUMNS]


def write_index(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame[INDEX_COLUMNS].to_csv(path, index=False)
    return path


def read_index(path: str | Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(INDEX_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{path} is not a dataset index: missing columns {sorted(missing)}")
    return frame


def task_frame(index: pd.DataFrame, task: str) -> pd.DataFrame:
    """Keep the rows whose label the task uses and add `y`, the label's output position."""
    classes = classes_for(task)
    frame = index[index["label"].isin(classes)].copy()
    frame["y"] = frame["label"].map({c: i for i, c in enumerate(classes)}).astype(int)
    return frame.reset_index(drop=True)
