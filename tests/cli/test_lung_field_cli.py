"""`python -m cxr lung-field --oos-only`: a refit of the folds measured with the shipped segmenter."""
from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("torch")

from cxr.cli import main  # noqa: E402
from cxr.inference.card import BUNDLED_MODEL_DIR  # noqa: E402
from cxr.inference.lung_field import LUNG_FIELD_FILE  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.slow]


def test_oos_only_measures_every_held_out_reading_and_trains_nothing(oos_dir, cxr_dir, tmp_path):
    if not (BUNDLED_MODEL_DIR / LUNG_FIELD_FILE).exists():
        pytest.skip("models/bundled has no lung field")
    before = {p.name: p.stat().st_mtime_ns for p in BUNDLED_MODEL_DIR.iterdir()}
    page = tmp_path / "lung.md"
    assert main(["lung-field", "--shared", str(cxr_dir), "--model-dir", str(BUNDLED_MODEL_DIR),
                 "--oos", str(oos_dir), "--oos-only", "--report", str(page)]) == 0
    text = page.read_text()
    assert "(shipped; not retrained)" in text and "32 px folds" in text
    # One row per held-out group plus "all", and "all" counts every image of the folds.
    n_images = len(pd.read_csv(oos_dir / "oos_predictions.csv"))
    assert f"| all | {n_images} |" in text
    assert all(f"| {g} |" in text for g in "abc")
    # The shipped model folder is read, never written.
    assert {p.name: p.stat().st_mtime_ns for p in BUNDLED_MODEL_DIR.iterdir()} == before


def test_oos_only_without_a_folder_says_what_is_missing(cxr_dir, capsys):
    assert main(["lung-field", "--shared", str(cxr_dir), "--oos-only"]) == 2
    assert "--oos-only needs --oos" in capsys.readouterr().err
