"""Importers for image folders laid out by class, returning the dataset index columns.

- `import_radiography_db`: the Kaggle "COVID-19 Radiography Database" (the paper's dataset):
  `COVID/`, `Normal/`, `Viral Pneumonia/`, `Lung_Opacity/`, each holding the images directly
  (older versions) or in an `images/` subfolder beside a `masks/` subfolder (v4 and later).
  Masks are lung segmentations, not X-rays, so they are never indexed.
- `import_folder_per_class`: any `<folder>/<class>/*.png|jpg|...` tree.

Neither layout records patients, so `patient_id` is empty: the `patient` split then treats every
image as its own patient, which is why `source` splits matter for these data.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxr.data.index import INDEX_COLUMNS
from cxr.labels import CLASS_ALIASES, COVID, NORMAL, PNEUMONIA
from cxr.labels import slug as _slug

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm"}
RADIOGRAPHY_SOURCE = "kaggle-radiography"

# Folder name in the Radiography Database -> index label. `lung_opacity` is kept in the index
# (no task uses it) so that the index describes the whole download.
RADIOGRAPHY_CLASSES = {
    "covid": COVID,
    "normal": NORMAL,
    "viral_pneumonia": PNEUMONIA,
    "lung_opacity": "lung_opacity",
}

def _image_files(class_dir: Path) -> list[Path]:
    """Images of one class folder: those in its `images/` subfolder if it has one, else its own.

    Other subfolders (`masks/`, ...) are never read.
    """
    images_dir = next(
        (d for d in class_dir.iterdir() if d.is_dir() and d.name.lower() == "images"), None
    )
    folder = images_dir or class_dir
    return sorted(
        p.resolve()
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=INDEX_COLUMNS)
    return frame.sort_values("path", kind="stable").reset_index(drop=True)


def _class_dirs(folder: Path, wanted: set[str]) -> dict[str, Path]:
    """Subfolders of `folder` whose slug is in `wanted`, by slug."""
    return {
        _slug(d.name): d for d in sorted(folder.iterdir()) if d.is_dir() and _slug(d.name) in wanted
    }


def radiography_db_folders(folder: str | Path) -> tuple[dict[str, Path], dict[Path, str]]:
    """The class folders of a Radiography Database download (by slug), and the other folders
    beside them, each with why it is left out. `folder` as `import_radiography_db` takes it."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    class_dirs = _class_dirs(folder, set(RADIOGRAPHY_CLASSES))
    if not class_dirs:
        subfolders = [d for d in folder.iterdir() if d.is_dir()]
        if len(subfolders) == 1:
            return radiography_db_folders(subfolders[0])
        raise ValueError(
            f"{folder} does not look like the COVID-19 Radiography Database: expected folders "
            "COVID/, Normal/, Viral Pneumonia/ or Lung_Opacity/"
        )
    left_out = {}
    for other in sorted(d for d in folder.iterdir() if d.is_dir() and d not in class_dirs.values()
                        and not d.name.startswith(".")):
        label = CLASS_ALIASES.get(_slug(other.name))
        left_out[other] = (
            "not a folder of the database's layout (COVID/, Normal/, Viral Pneumonia/, Lung_Opacity/)"
            + (f"; it names the class {label}: rename it to the database's folder, or index this "
               "layout with --folder, which reads any class folder" if label else "")
        )
    return class_dirs, left_out


def import_radiography_db(folder: str | Path) -> pd.DataFrame:
    """Index a Kaggle COVID-19 Radiography Database download.

    `folder` is the folder holding `COVID/`, `Normal/`, ... or the folder above it (the Kaggle
    zip unpacks to `COVID-19_Radiography_Dataset/`), found when it is the only subfolder. Other
    folders beside the class folders are not indexed (`radiography_db_folders` names them).
    """
    folder = Path(folder).resolve()
    class_dirs, _ = radiography_db_folders(folder)
    rows = []
    for slug, class_dir in class_dirs.items():
        for path in _image_files(class_dir):
            rows.append(
                {
                    "path": str(path),
                    "label": RADIOGRAPHY_CLASSES[slug],
                    "source": RADIOGRAPHY_SOURCE,
                    "patient_id": "",
                    # The database pools many collections; per-image origin is only in its
                    # metadata spreadsheets, so record the folder it came from.
                    "origin": f"COVID-19 Radiography Database / {class_dir.name}",
                }
            )
    if not rows:
        raise ValueError(f"no images found under {folder}")
    return _frame(rows)


def import_folder_per_class(folder: str | Path, source: str | None = None) -> pd.DataFrame:
    """Index `<folder>/<class>/<image>` files (or `<folder>/<class>/images/<image>`).

    Class folder names are normalised (`COVID-19` -> `covid`, `Viral Pneumonia` -> `pneumonia`,
    see cxr.labels.CLASS_ALIASES, shared with validate-site's labels and the web app's site
    check); other names are kept as their slug, a label no task uses. `source`
    defaults to the folder's name.
    """
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    source = source or _slug(folder.name) or "local"
    rows = []
    for class_dir in sorted(d for d in folder.iterdir() if d.is_dir()):
        if class_dir.name.startswith("."):
            continue
        slug = _slug(class_dir.name)
        label = CLASS_ALIASES.get(slug, slug)
        for path in _image_files(class_dir):
            rows.append(
                {
                    "path": str(path),
                    "label": label,
                    "source": source,
                    "patient_id": "",
                    "origin": f"{folder.name}/{class_dir.name}",
                }
            )
    if not rows:
        raise ValueError(f"no images found in class folders under {folder}")
    return _frame(rows)
