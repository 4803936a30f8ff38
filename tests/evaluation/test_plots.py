"""The evaluation figures, drawn from real arrays into real PNG files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image
from sklearn.metrics import roc_auc_score

from cxr.evaluation.metrics import ECE_SPREAD, expected_calibration_error
from cxr.evaluation.plots import plot_reliability, plot_roc
from cxr.inference.card import BUNDLED_MODEL_DIR, CARD_FILE
from tests.support.drawn_figures import keep_drawn_figures


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


def _legends(fig: Figure) -> list:
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]


def _with_lone_low_confidence_bins():
    """The bundled model's test split in miniature: many confident right readings, and one image
    in each of two low-confidence bins (right at 0.35, so its bar reaches 1, wrong at 0.45)."""
    y, probs = _reliable_and_wrong(60, 0, chance=0.97)
    return np.append(y, [0, 2]), np.vstack([probs, [0.35, 0.33, 0.32], [0.45, 0.45, 0.10]])


def test_reliability_legend_covers_no_bar_nor_axes(tmp_path, monkeypatch):
    """The legend sat in the upper left, over the low-confidence bins' bars (a bin of one right
    image reaches 1.0 there): it must lie outside the axes, in any corner any bar can reach."""
    figures = keep_drawn_figures(monkeypatch)
    y, probs = _with_lone_low_confidence_bins()
    plot_reliability(y, probs, tmp_path / "r.png", intervals=True)
    (fig,) = figures.values()
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    (legend,) = _legends(fig)
    box = legend.get_window_extent(renderer)
    bars = [bar.get_window_extent(renderer) for ax in fig.axes for bar in ax.patches]
    # An error bar's extent is its data limits on the screen (its own window extent is empty).
    whiskers = [Bbox(ax.transData.transform(lines.get_datalim(ax.transData).get_points()))
                for ax in fig.axes for lines in ax.collections]
    assert len(bars) > 3 and whiskers
    for drawn in (*bars, *whiskers):
        assert not box.overlaps(drawn), drawn
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer))
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)  # not cut off
    # As legible as the axis labels beside it.
    label_size = fig.axes[0].yaxis.label.get_fontsize()
    assert all(text.get_fontsize() >= label_size for text in legend.get_texts())


def test_reliability_title_gives_the_ece_with_its_bootstrap_spread(tmp_path, monkeypatch):
    # The binned ECE runs high, its bootstrap range with it: no 95% CI (cxr.evaluation.metrics).
    figures = keep_drawn_figures(monkeypatch)
    y, probs = _with_lone_low_confidence_bins()
    plot_reliability(y, probs, tmp_path / "r.png", title="Test split", ece_ci=(0.0171, 0.0398))
    plot_reliability(y, probs, tmp_path / "plain.png", title="Test split")
    ece = expected_calibration_error(y, probs)
    drawn = list(figures.values())
    assert drawn[0].axes[0].get_title().endswith(f"ECE {ece:.3f} (bootstrap spread 0.017-0.040)")
    assert "CI" not in drawn[0].axes[0].get_title()
    assert drawn[1].axes[0].get_title().endswith(f"ECE {ece:.3f}")


def test_a_saved_figure_carries_its_titles_as_png_text(tmp_path):
    """What a committed PNG's title says can be read without looking at it (the bundled card's
    figure is checked so, below)."""
    y, probs = _with_lone_low_confidence_bins()
    out = plot_reliability(y, probs, tmp_path / "r.png", title="Test split", ece_ci=(0.0171, 0.0398))
    ece = expected_calibration_error(y, probs)
    with Image.open(out) as image:
        assert image.text["Title"] == f"Test split\nECE {ece:.3f} (bootstrap spread 0.017-0.040)"


def test_the_bundled_reliability_figure_says_what_its_card_says():
    """models/bundled/reliability_test.png called the ECE's bootstrap spread a "95% CI" (drawn
    before the statistics audit): redrawn, its title gives the card's test ECE and spread with the
    words of ECE_SPREAD."""
    card = json.loads((BUNDLED_MODEL_DIR / CARD_FILE).read_text(encoding="utf-8"))
    kind = Path(card["metrics"]["patient"]["split_csv"]).stem.split("_")[1]
    ece = card["metrics"][kind]["ece"]
    low, high = ece["ci95"]
    with Image.open(BUNDLED_MODEL_DIR / card["plots"]["reliability"]) as image:
        title = image.text.get("Title")
    assert title == f"Test split, calibrated\nECE {ece['value']:.3f} ({ECE_SPREAD} {low:.3f}-{high:.3f})"


def _three_classes(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) + 2.0 * np.eye(3)[y]
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_roc_legend_gives_each_auc_with_its_interval_outside_the_axes(tmp_path, monkeypatch):
    """The ROC legend gave bare AUCs though the card holds their intervals; inside the axes, a
    weak class's curve runs under it."""
    figures = keep_drawn_figures(monkeypatch)
    y, probs = _three_classes()
    plot_roc(y, probs, ["covid", "pneumonia", "normal"], tmp_path / "roc.png",
             auc_ci={"covid": (0.9881, 0.9972), "pneumonia": None})
    (fig,) = figures.values()
    auc = {name: roc_auc_score(y == k, probs[:, k]) for k, name in enumerate(["covid", "pneumonia", "normal"])}
    (legend,) = _legends(fig)
    texts = [text.get_text() for text in legend.get_texts()]
    assert texts == [f"covid: AUC {auc['covid']:.3f} (95% CI 0.988-0.997)",
                     f"pneumonia: AUC {auc['pneumonia']:.3f}", f"normal: AUC {auc['normal']:.3f}"]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    assert not legend.get_window_extent(renderer).overlaps(fig.axes[0].get_window_extent(renderer))
