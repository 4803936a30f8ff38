"""The card's figures as the export draws them: they show the intervals the card holds."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from sklearn.metrics import roc_auc_score

from cxr.evaluation.metrics import expected_calibration_error
from cxr.export import bundle
from tests.support.drawn_figures import keep_drawn_figures

CLASSES = ["covid", "pneumonia", "normal"]


def _predictions(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 240)
    logits = rng.normal(size=(240, 3)) + 2.5 * np.eye(3)[y]
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_card_figures_give_the_cards_intervals(tmp_path, monkeypatch):
    """The card's reliability figure had no bin intervals and a bare ECE, its ROC bare AUCs,
    though the card beside them holds the intervals."""
    figures = keep_drawn_figures(monkeypatch)
    y, probs = _predictions()
    report = {"ece": {"value": 0.16, "ci95": [0.1312, 0.1846]},
              "per_class": {name: {"auc": {"value": 0.9, "ci95": [0.8512, 0.9431]}} for name in CLASSES}}
    guard = SimpleNamespace(detector=SimpleNamespace(scores=lambda pooled: np.linspace(0.1, 1, len(pooled)),
                                                     threshold=0.8))
    listed = bundle._plots(tmp_path, y, probs, CLASSES, guard, np.zeros((20, 4)), [2.0, 3.0], report=report)
    assert {name: (tmp_path / name).is_file() for name in listed.values()} == dict.fromkeys(listed.values(), True)

    reliability = figures["reliability_test.png"]
    ece = expected_calibration_error(y, probs)
    assert reliability.axes[0].get_title().endswith(f"ECE {ece:.3f} (bootstrap spread 0.131-0.185)")
    legend_texts = [text.get_text() for legend in reliability.legends for text in legend.get_texts()]
    assert "95% interval" in legend_texts
    assert reliability.axes[0].collections, "no error bars drawn"

    (roc_legend,) = figures["roc_test.png"].legends
    auc = roc_auc_score(y == 0, probs[:, 0])
    assert roc_legend.get_texts()[0].get_text() == f"covid: AUC {auc:.3f} (95% CI 0.851-0.943)"
