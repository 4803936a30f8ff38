"""The evaluation figures, drawn from real arrays into real PNG files."""
from __future__ import annotations

import numpy as np
from PIL import Image

from cxr.evaluation.plots import plot_reliability


def _reliable_and_wrong(right: int, wrong: int, chance: float, low_chance: float = 0.45):
    """`right` cases given `chance` for their (true) top class, and `wrong` given `low_chance`
    for a class that was not theirs."""
    y, probs = [], []
    for _ in range(right):
        y.append(0)
        probs.append([chance, (1 - chance) / 2, (1 - chance) / 2])
    for _ in range(wrong):
        y.append(2)
        probs.append([low_chance, 1 - low_chance - 0.05, 0.05])
    return np.array(y), np.array(probs)


def test_reliability_intervals_of_bins_all_right_or_all_wrong_are_drawn(tmp_path):
    """A bin of 6 of 6 right (or 0 of 11) made matplotlib refuse a negative error bar, and
    `validate-site` ended in a traceback with no report."""
    for right, wrong in ((6, 11), (21, 7), (31, 22)):
        y, probs = _reliable_and_wrong(right, wrong, chance=0.95)
        out = plot_reliability(y, probs, tmp_path / f"r{right}.png", n_bins=10, intervals=True)
        with Image.open(out) as image:
            assert image.size[0] > 300 and image.size[1] > 300
