"""Does the bundled model's heat map lie on the lungs? Measured on the 466 X-rays with lung masks.

    .venv/bin/python scripts/cam_lung_overlap.py                     # bundled model, ../shared
    .venv/bin/python scripts/cam_lung_overlap.py --model DIR --shared PATH/TO/cxr

A shortcut-learning model looks at what tells the hospitals apart (borders, text, markers, a
child's body outline) rather than at the lungs. For every image of `lung_masks/index.csv` the
heat map the app shows (positive CAM of the predicted class, upsampled to the image the way the
app draws it) is compared with the annotated lungs:

- heat share in lungs: the fraction of the heat map's mass on lung pixels, against the share
  the lungs have of the image (what a heat map spread evenly would score);
- peak in lungs: whether the hottest pixel lies on a lung ("pointing game");
- best possible: the heat share of the lung mask itself, averaged onto the CAM's coarse grid
  (7 x 7 at 224 px) and upsampled the same way: a perfect lung-only map cannot score higher.

Mask value 127 ("ignore": devices, markup) is left out of both sides. Images are grouped by
source and label, and by whether the bundled model's split put them in training.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cxr.inference.cam import heatmap_from_cam  # noqa: E402
from cxr.inference.predictor import Predictor  # noqa: E402

LUNG, IGNORE = 255, 127


def overlap(heat: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Heat share on the lungs, the lungs' share of the image, and whether the peak is on a lung."""
    counted = mask != IGNORE
    lung = (mask == LUNG) & counted
    mass = float(heat[counted].sum())
    peak = np.unravel_index(np.argmax(np.where(counted, heat, -1.0)), heat.shape)
    return {
        "heat_in_lungs": float(heat[lung].sum()) / mass if mass > 0 else float("nan"),
        "lung_area": float(lung.sum()) / float(counted.sum()),
        "peak_in_lungs": float(lung[peak]),
    }


def coarse_lung_map(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """The lung mask as a CAM of the model's resolution would see it, drawn back at full size."""
    lung = Image.fromarray(((mask == LUNG) * 255).astype(np.uint8))
    coarse = np.asarray(lung.resize(grid[::-1], Image.Resampling.BOX), dtype=np.float32) / 255
    return heatmap_from_cam(coarse, (mask.shape[1], mask.shape[0]))


def measure(predictor: Predictor, shared: Path, index: pd.DataFrame, split: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (image, mask) pair of `index` (the columns of lung_masks/index.csv)."""
    subsets = {} if split is None else dict(zip(split["path"].map(lambda p: Path(p).name), split["subset"], strict=True))
    rows = []
    for image_path, mask_path in zip(index["image"], index["mask"], strict=True):
        reading = predictor.predict(shared / image_path)
        mask = np.asarray(Image.open(shared / mask_path).convert("L"))
        height, width = reading.image.shape
        if mask.shape != (height, width):  # the set promises equal sizes; say so if it breaks
            raise SystemExit(f"{mask_path}: mask {mask.shape} vs image {(height, width)}")
        heat = heatmap_from_cam(reading._cam, (width, height))
        source, label = Path(image_path).name.split("__")[0], Path(image_path).parent.name
        best = overlap(coarse_lung_map(mask, reading._cam.shape), mask)["heat_in_lungs"]
        rows.append({"source": source, "label": label, "predicted": reading.heatmap_class,
                     "subset": subsets.get(Path(image_path).name, "?"), **overlap(heat, mask),
                     "best_possible": best})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(by) if by else frame.groupby(lambda _: "all")
    out = grouped.agg(images=("heat_in_lungs", "size"), heat_in_lungs=("heat_in_lungs", "mean"),
                      lung_area=("lung_area", "mean"), best_possible=("best_possible", "mean"),
                      peak_in_lungs=("peak_in_lungs", "mean"))
    out["heat / area"] = out["heat_in_lungs"] / out["lung_area"]
    return out.round(3)


def markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(map(str, values)) + " |" for values in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "bundled")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data" / "cxr")
    args = parser.parse_args()
    if not (args.shared / "lung_masks" / "index.csv").exists():
        raise SystemExit(f"no lung masks under {args.shared}: nothing to measure")
    predictor = Predictor.load(args.model)
    split_csv = Path(predictor.card["training"]["split"]["csv"])
    split = pd.read_csv(split_csv) if split_csv.exists() else None
    frame = measure(predictor, args.shared, pd.read_csv(args.shared / "lung_masks" / "index.csv"), split)
    print(f"model {predictor.version}, {len(frame)} masked X-rays\n")
    for by in ([], ["label"], ["source", "label"], ["subset"], ["predicted"]):
        print(markdown(summary(frame, by).reset_index()), end="\n\n")


if __name__ == "__main__":
    main()
