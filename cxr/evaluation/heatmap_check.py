"""Does a model's heat map lie on the lungs? Measured on X-rays whose lungs were outlined.

A shortcut-learning model looks at what tells the hospitals apart (borders, text, markers, a
child's body outline) rather than at the lungs. For every pair of `lung_masks/index.csv`
(image path and mask path, both relative to the X-ray folder) the heat map the app shows
(positive CAM of the predicted class, upsampled to the image the way the app draws it) is
compared with the annotated lungs:

- heat share on lungs: the fraction of the heat map's mass on lung pixels, against the share
  the lungs have of the image (what a heat map spread evenly would score);
- peak on lungs: whether the hottest pixel lies on a lung ("pointing game");
- best possible: the heat share of the lung mask itself, averaged onto the CAM's coarse grid
  (7 x 7 at 224 px) and upsampled the same way: a lung-only map cannot score higher.

Mask value 127 ("ignore": devices, markup) is left out of both sides. Used by `cxr export`
(the card's `heatmap_check`) and studies/cam_lung_overlap/study.py (the tables).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from cxr.inference.cam import heatmap_from_cam

LUNG, IGNORE = 255, 127
MASK_INDEX = Path("lung_masks") / "index.csv"


def overlap(heat: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Heat share on the lungs, the lungs' share of the image, and whether the peak is on a lung."""
    counted = mask != IGNORE
    lung = (mask == LUNG) & counted
    mass = float(heat[counted].sum())
    peak = np.unravel_index(np.argmax(np.where(counted, heat, -1.0)), heat.shape)
    return {
        "heat_on_lungs": float(heat[lung].sum()) / mass if mass > 0 else float("nan"),
        "lung_area": float(lung.sum()) / float(counted.sum()),
        "peak_on_lungs": float(lung[peak]),
    }


def coarse_lung_map(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """The lung mask as a CAM of the model's resolution would see it, drawn back at full size."""
    lung = Image.fromarray(((mask == LUNG) * 255).astype(np.uint8))
    coarse = np.asarray(lung.resize(grid[::-1], Image.Resampling.BOX), dtype=np.float32) / 255
    return heatmap_from_cam(coarse, (mask.shape[1], mask.shape[0]))


def subsets_by_file_name(split: pd.DataFrame) -> dict[str, str]:
    """File name -> train/val/test of a split CSV (mask paths and split paths share file names)."""
    return dict(zip(split["path"].map(lambda p: Path(p).name), split["subset"], strict=True))


def measure(predictor, cxr_dir: Path, index: pd.DataFrame,
            subsets: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (image, mask) pair of `index`; `subsets` maps a file name to train/val/test."""
    rows = []
    for image_path, mask_path in zip(index["image"], index["mask"], strict=True):
        reading = predictor.predict(cxr_dir / image_path)
        mask = np.asarray(Image.open(cxr_dir / mask_path).convert("L"))
        height, width = reading.image.shape
        if mask.shape != (height, width):  # the set promises equal sizes; say so if it breaks
            raise ValueError(f"{mask_path}: mask {mask.shape} vs image {(height, width)}")
        name = Path(image_path).name
        rows.append({
            "source": name.split("__")[0], "label": Path(image_path).parent.name,
            "predicted": reading.heatmap_class, "subset": (subsets or {}).get(name, "?"),
            **overlap(reading.heatmap_at((width, height)), mask),
            "best_possible": overlap(coarse_lung_map(mask, reading.cam_grid), mask)["heat_on_lungs"],
        })
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Means per group (one row "all" without `by`)."""
    grouped = frame.groupby(by) if by else frame.groupby(lambda _: "all")
    out = grouped.agg(images=("heat_on_lungs", "size"), heat_on_lungs=("heat_on_lungs", "mean"),
                      lung_area=("lung_area", "mean"), best_possible=("best_possible", "mean"),
                      peak_on_lungs=("peak_on_lungs", "mean"))
    return out


def card_section(frame: pd.DataFrame, description: str) -> dict:
    """The model card's `heatmap_check`: the overall means and the same per true label."""
    def means(part: pd.DataFrame) -> dict:
        row = summary(part, []).iloc[0]
        return {"images": int(row["images"]), **{k: float(row[k]) for k in
                ("heat_on_lungs", "lung_area", "best_possible", "peak_on_lungs")}}

    return {
        "method": "share of the positive CAM of the predicted class on annotated lung pixels "
                  "(cxr.evaluation.heatmap_check); best_possible = the lung mask through the CAM grid",
        "masks": description,
        **means(frame),
        "by_label": {label: means(part) for label, part in frame.groupby("label")},
        "by_source": {source: means(part) for source, part in frame.groupby("source")},
    }


def check_model(predictor, cxr_dir: str | Path, subsets: dict[str, str] | None = None) -> dict | None:
    """`card_section` for every mask under `cxr_dir`, or None when the folder has no masks."""
    cxr_dir = Path(cxr_dir)
    if not (cxr_dir / MASK_INDEX).is_file():
        return None
    index = pd.read_csv(cxr_dir / MASK_INDEX)
    frame = measure(predictor, cxr_dir, index, subsets)
    sources = ", ".join(f"{s} {n}" for s, n in frame["source"].value_counts().sort_index().items())
    return card_section(frame, f"{len(frame)} lung masks under {MASK_INDEX} ({sources})")
