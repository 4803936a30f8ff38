"""cxr.evaluation.predictions.ensemble (studies.ensembles): the per-image mean of the runs'
probabilities."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxr.evaluation.predictions import CLASSES, ensemble, probability_columns

PROBABILITY_COLUMNS = probability_columns()


def predictions(paths, probabilities) -> pd.DataFrame:
    frame = pd.DataFrame(probabilities, columns=PROBABILITY_COLUMNS)
    frame.insert(0, "path", paths)
    frame.insert(1, "label", ["covid", "pneumonia", "normal"][: len(paths)])
    frame["predicted"] = np.array(CLASSES)[frame[PROBABILITY_COLUMNS].to_numpy().argmax(1)]
    return frame


def test_ensemble_averages_probabilities_and_predicts_the_argmax_of_the_mean():
    a = predictions(["x", "y"], [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    b = predictions(["x", "y"], [[0.1, 0.8, 0.1], [0.2, 0.4, 0.4]])
    mean = ensemble([a, b])
    np.testing.assert_allclose(mean[PROBABILITY_COLUMNS].to_numpy(),
                               [[0.35, 0.55, 0.10], [0.2, 0.3, 0.5]])
    # Each run alone calls image x covid and pneumonia; together, pneumonia.
    assert list(mean["predicted"]) == ["pneumonia", "normal"]


def test_ensemble_refuses_runs_tested_on_different_images():
    a = predictions(["x", "y"], [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    b = predictions(["x", "z"], [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    with pytest.raises(ValueError, match="different images"):
        ensemble([a, b])
