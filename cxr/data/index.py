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


def image_file_problem(path: str | Path) -> str | None:
    """Why `path` cannot be an X-ray of the index, from its size and its first and last bytes
    (no decoding, so a folder of thousands is checked in seconds), or None when it looks whole:
    an empty file, one that is not PNG, JPEG, TIFF, BMP or DICOM, a PNG or JPEG cut short (no
    end marker), a BMP shorter than its header says. Damage inside a file is found only by
    decoding it (`data cache`, training)."""
    from cxr.inference.decode import sniff_format
    from cxr.inference.errors import ImageError

    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            return "empty file"
        with open(path, "rb") as f:
            head = f.read(132)
            f.seek(max(0, size - 1024))
            tail = f.read()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    try:
        fmt = sniff_format(head)
    except ImageError as exc:
        return f"not a PNG, JPEG, TIFF, BMP or DICOM image ({exc.code})"
    if fmt == "png" and not tail.endswith(b"IEND\xaeB`\x82"):
        return "truncated PNG (it does not end with the IEND chunk)"
    if fmt == "jpeg" and b"\xff\xd9" not in tail:
        return "truncated JPEG (no end-of-image marker)"
    if fmt == "bmp" and size < int.from_bytes(head[2:6], "little"):
        return f"truncated BMP ({size} of the {int.from_bytes(head[2:6], 'little')} bytes its header declares)"
    return None


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
