"""`cxr validate-site` and the web app's site check read labels by one mapping and list cases alike.

The web app may not import cxr.data or cxr.cli (tests/test_import_rules.py), so the mapping of
label spellings lives in cxr.labels, and this test (outside webapp/) holds the two sides together.
"""
from __future__ import annotations

import csv
from types import SimpleNamespace

from django.utils import translation

from cxr.inference.notices import Notice

CLASSES = ["covid", "pneumonia", "normal"]


def test_one_mapping_of_label_spellings_for_data_import_validate_site_and_the_web_page():
    """`data import` maps class folders by cxr.labels; the command and the page both read a labels
    file with site_check.read_labels_csv, which maps by the same function."""
    import inspect

    import cxr.labels
    from cxr.cli import validate_site
    from cxr.data import layouts
    from cxr.inference import site_check
    from webapp.screening import site_validation

    assert layouts.CLASS_ALIASES is cxr.labels.CLASS_ALIASES
    assert site_check.class_label is cxr.labels.class_label
    for reader in (validate_site.read_labels, site_validation.read_labels):
        assert "read_labels_csv(" in inspect.getsource(reader)
    for word, label in (("COVID-19", "covid"), ("Viral Pneumonia", "pneumonia"), ("No Finding", "normal"),
                        ("  NORMAL ", "normal"), ("bacterial-pneumonia", "pneumonia")):
        assert cxr.labels.class_label(word) == label
    assert cxr.labels.class_label("Lung Opacity") == "lung_opacity"  # no class: refused by both


def _prediction(label, probabilities, prediction_set=None, rejected=False, warnings=(), reason=None):
    return SimpleNamespace(label=label, probabilities=probabilities, prediction_set=prediction_set,
                           rejected=rejected, warnings=list(warnings), reason=reason)


def test_the_web_pages_case_list_is_validate_sites_cases_csv(tmp_path):
    from cxr.cli.validate_site import write_cases
    from webapp.screening.site_validation import case_columns, case_record, case_row

    rows = [("a.png", "covid"), ("b.png", "normal"), ("c.png", "pneumonia"), ("d.png", "normal")]
    results = [
        _prediction("covid", {"covid": 0.91234, "pneumonia": 0.05, "normal": 0.03766}, ["covid"],
                    warnings=[Notice("unfamiliar_image")]),
        _prediction("covid", {"covid": 0.6, "pneumonia": 0.1, "normal": 0.3}, ["covid", "normal"]),
        _prediction(None, {"covid": 0.4, "pneumonia": 0.35, "normal": 0.25}, ["covid", "pneumonia"],
                    reason=Notice("uncertain", percent=40.0, label="covid", threshold_percent=60)),
        _prediction(None, {"covid": 0.2, "pneumonia": 0.2, "normal": 0.6}, None, rejected=True,
                    reason=Notice("not_cxr_colour", percent=93)),
    ]
    path = tmp_path / "cases.csv"
    write_cases(path, rows, results, CLASSES)
    with open(path, newline="", encoding="utf-8") as f:
        cli = list(csv.reader(f))
    with translation.override("en"):
        web = [case_columns(CLASSES)] + [case_row(case_record(name, truth, r, CLASSES), CLASSES)
                                         for (name, truth), r in zip(rows, results, strict=True)]
    assert web[0] == cli[0]
    reason_text = cli[0].index("reason_text")
    for web_row, cli_row in zip(web[1:], cli[1:], strict=True):
        assert web_row[:reason_text] == cli_row[:reason_text]
        assert bool(web_row[reason_text]) == bool(cli_row[reason_text])
    assert web[-1][reason_text].startswith("This does not look like a frontal chest X-ray")
