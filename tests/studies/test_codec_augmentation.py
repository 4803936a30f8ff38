"""studies/codec_augmentation/study.py: what its tables call the ECE's range."""
from __future__ import annotations

from pathlib import Path

from studies.codec_augmentation.study import oos_table

REPO = Path(__file__).resolve().parents[2]


def test_the_codec_studys_tables_name_the_ece_range_a_bootstrap_spread():
    """Its tables quote each ECE with its range (cxr.evaluation.markdown.format_estimate): the
    binned ECE's bootstrap spread, no 95% CI (the statistics audit; cxr.evaluation.metrics)."""
    header = oos_table({"paper": REPO / "results" / "oos-proxy128"}).splitlines()[0]
    assert "| ECE (bootstrap spread) |" in header
