"""The one reader of a site's labels file (cxr.inference.site_check.read_labels_csv), shared by
the web app's site check and `cxr validate-site`."""
from __future__ import annotations

import pytest

from cxr.inference.site_check import LabelRow, LabelsFileError, read_labels_csv


def test_separators_column_names_windows_paths_and_blank_lines():
    data = "\ufeffNotes ; File ;LABEL\nok;ward2\\0001.png;COVID-19\n\n;;\nseen twice;b.png; normal \n".encode()
    assert read_labels_csv(data) == [LabelRow(2, "ward2/0001.png", "COVID-19", "covid"),
                                     LabelRow(5, "b.png", "normal", "normal")]
    assert read_labels_csv(b"file\tlabel\na.png\tViral Pneumonia\n") == [
        LabelRow(2, "a.png", "Viral Pneumonia", "pneumonia")]


@pytest.mark.parametrize(("data", "code", "params"), [
    (b"file,label\n\xe9.png,covid\n", "not_utf8", {"byte": 0xE9, "position": 11}),
    (b"name;diagnosis\na.png;covid\n", "no_columns", {"columns": ["name", "diagnosis"]}),
    (b"", "no_columns", {"columns": []}),
    (b'file,label\n"a.png,covid\n' + b"b.png,normal\n" * 12_000, "not_csv", None),
])
def test_what_is_not_a_labels_file_says_why(data, code, params):
    with pytest.raises(LabelsFileError) as error:
        read_labels_csv(data)
    assert error.value.code == code
    if params is not None:
        assert error.value.params == params
    else:
        assert "field larger than field limit" in error.value.params["problem"]
