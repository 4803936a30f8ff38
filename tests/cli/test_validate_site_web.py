"""`cxr data import` and `cxr validate-site` read class spellings by one mapping, in cxr.labels.

The web app may not import cxr.data or cxr.cli (tests/test_import_rules.py), so the mapping of
label spellings lives in cxr.labels, where its site check can use it too.
"""
from __future__ import annotations


def test_one_mapping_of_label_spellings_for_data_import_and_validate_site():
    import cxr.labels
    from cxr.cli import validate_site
    from cxr.data import layouts

    assert layouts.CLASS_ALIASES is cxr.labels.CLASS_ALIASES
    assert validate_site.class_label is cxr.labels.class_label
    for word, label in (("COVID-19", "covid"), ("Viral Pneumonia", "pneumonia"), ("No Finding", "normal"),
                        ("  NORMAL ", "normal"), ("bacterial-pneumonia", "pneumonia")):
        assert cxr.labels.class_label(word) == label
    assert cxr.labels.class_label("Lung Opacity") == "lung_opacity"  # no class: refused by both
