"""cxr.evaluation.heatmap_check: how much of the heat map lies on annotated lungs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxr.evaluation import heatmap_check


def test_overlap_counts_heat_on_lungs_and_leaves_ignored_pixels_out():
    mask = np.zeros((4, 4), np.uint8)
    mask[:, :2] = heatmap_check.LUNG  # left half is lung
    mask[0, 3] = heatmap_check.IGNORE  # a marker: counts for neither side
    heat = np.zeros((4, 4), np.float32)
    heat[1, 0], heat[2, 3], heat[0, 3] = 3.0, 1.0, 100.0
    result = heatmap_check.overlap(heat, mask)
    assert result["heat_on_lungs"] == pytest.approx(0.75)
    assert result["lung_area"] == pytest.approx(8 / 15)
    assert result["peak_on_lungs"] == 1.0  # the ignored pixel's 100 is not the peak


def test_a_lung_only_map_scores_the_best_possible():
    mask = np.zeros((64, 64), np.uint8)
    mask[8:56, 8:28] = mask[8:56, 36:56] = heatmap_check.LUNG
    best = heatmap_check.overlap(heatmap_check.coarse_lung_map(mask, (7, 7)), mask)
    uniform = heatmap_check.overlap(np.ones((64, 64), np.float32), mask)
    assert uniform["heat_on_lungs"] == pytest.approx(uniform["lung_area"])
    assert uniform["heat_on_lungs"] < best["heat_on_lungs"] < 1.0  # coarse maps blur past the edge


def test_the_served_model_looks_at_the_lungs_more_than_an_even_map_would(cxr_dir, served_model_dir,
                                                                        served_model_is_tiny):
    if served_model_is_tiny:
        pytest.skip("the tiny test model has not learnt where to look")
    from cxr.inference.predictor import Predictor

    index = pd.read_csv(cxr_dir / heatmap_check.MASK_INDEX).iloc[::40]  # 12 images, all sources
    frame = heatmap_check.measure(Predictor.load(served_model_dir), cxr_dir, index)
    assert len(frame) == len(index) and set(frame["source"]) >= {"cohen", "skytells"}
    assert frame["heat_on_lungs"].mean() > 1.3 * frame["lung_area"].mean()
    assert (frame["heat_on_lungs"] <= frame["best_possible"] + 0.05).all()
    section = heatmap_check.card_section(frame, "test")
    assert section["images"] == len(index)
    assert sum(part["images"] for part in section["by_label"].values()) == len(index)
    assert section["heat_on_lungs"] == pytest.approx(frame["heat_on_lungs"].mean())


def test_no_masks_means_no_check(tmp_path):
    assert heatmap_check.check_model(None, tmp_path) is None
