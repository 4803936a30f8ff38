"""Dice and the off-lung accuracy split (cxr.evaluation.lung_field), on hand-made arrays."""
import numpy as np
import pandas as pd
import pytest

from cxr.evaluation.lung_field import dice_scores, dice_summary, off_lung_accuracy


def test_dice_counts_overlap_and_leaves_out_ignored_pixels():
    mask = np.zeros((2, 4, 4), np.uint8)
    mask[:, :, :2] = 255  # left half is lung
    mask[1, 0, 2] = 127  # a device, ignored
    probs = np.zeros((2, 4, 4), np.float32)
    probs[0, :, :2] = 0.9  # exactly right
    probs[1, :, :1] = 0.9  # half the lung
    probs[1, 0, 2] = 0.9  # predicted lung on the ignored pixel: not counted
    dice = dice_scores(probs, mask)
    assert dice[0] == pytest.approx(1.0)
    assert dice[1] == pytest.approx(2 * 4 / (4 + 8))


def test_dice_summary_has_intervals_around_the_mean():
    summary = dice_summary(np.array([0.9, 0.95, 0.7, 0.92, 0.88]), n_boot=200)
    assert summary["images"] == 5
    lo, hi = summary["mean_dice"]["ci95"]
    assert lo <= summary["mean_dice"]["value"] <= hi
    assert summary["below_0_8"]["value"] == pytest.approx(0.2)


def test_off_lung_accuracy_splits_readings_at_the_threshold():
    frame = pd.DataFrame({
        "group": ["a", "a", "a", "b", "b", "b"],
        "heat_on_lungs": [0.2, 0.3, 0.8, 0.9, 0.7, 0.1],
        "correct": [False, False, True, True, True, True],
    })
    result = off_lung_accuracy(frame, 0.5)
    assert result["all"]["off_lungs"]["value"] == pytest.approx(3 / 6)
    assert result["all"]["accuracy_off_lungs"]["value"] == pytest.approx(1 / 3)
    assert result["all"]["accuracy_on_lungs"]["value"] == pytest.approx(1.0)
    assert result["by_group"]["a"]["accuracy_off_lungs"]["value"] == 0.0
    assert result["by_group"]["b"]["off_lungs"]["n"] == 3
