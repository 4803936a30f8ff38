"""scripts/cam_lung_overlap.py: how much of the heat map lies on annotated lungs."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import cam_lung_overlap  # noqa: E402


def test_overlap_counts_heat_on_lungs_and_leaves_ignored_pixels_out():
    mask = np.zeros((4, 4), np.uint8)
    mask[:, :2] = cam_lung_overlap.LUNG  # left half is lung
    mask[0, 3] = cam_lung_overlap.IGNORE  # a marker: counts for neither side
    heat = np.zeros((4, 4), np.float32)
    heat[1, 0], heat[2, 3], heat[0, 3] = 3.0, 1.0, 100.0
    result = cam_lung_overlap.overlap(heat, mask)
    assert result["heat_in_lungs"] == pytest.approx(0.75)
    assert result["lung_area"] == pytest.approx(8 / 15)
    assert result["peak_in_lungs"] == 1.0  # the ignored pixel's 100 is not the peak


def test_a_lung_only_map_scores_the_best_possible(tmp_path):
    mask = np.zeros((64, 64), np.uint8)
    mask[8:56, 8:28] = mask[8:56, 36:56] = cam_lung_overlap.LUNG
    best = cam_lung_overlap.overlap(cam_lung_overlap.coarse_lung_map(mask, (7, 7)), mask)
    uniform = cam_lung_overlap.overlap(np.ones((64, 64), np.float32), mask)
    assert uniform["heat_in_lungs"] == pytest.approx(uniform["lung_area"])
    assert uniform["heat_in_lungs"] < best["heat_in_lungs"] < 1.0  # coarse maps blur past the edge


def test_the_served_model_looks_at_the_lungs_more_than_an_even_map_would(cxr_dir, served_model_dir,
                                                                        served_model_is_tiny):
    if served_model_is_tiny:
        pytest.skip("the tiny test model has not learnt where to look")
    index = pd.read_csv(cxr_dir / "lung_masks" / "index.csv").iloc[::40]  # 12 images, all sources
    from cxr.inference.predictor import Predictor

    frame = cam_lung_overlap.measure(Predictor.load(served_model_dir), cxr_dir, index, split=None)
    assert len(frame) == len(index) and set(frame["source"]) >= {"cohen", "skytells"}
    assert frame["heat_in_lungs"].mean() > 1.3 * frame["lung_area"].mean()
    assert (frame["heat_in_lungs"] <= frame["best_possible"] + 0.05).all()
