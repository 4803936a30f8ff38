"""The site check page reads its labels file with the reader `cxr validate-site` uses
(cxr.inference.site_check.read_labels_csv; tests/cli/test_validate_site_labels_like_the_page.py
for the command): the same rows, labels and line numbers; the page keeps each file's name (uploads
carry no folders), and words each problem in the reader's language."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cxr.inference.site_check import read_labels_csv
from webapp.screening.site_validation import ValidationRefused
from webapp.screening.site_validation import read_labels as page_labels

CLASSES = ["covid", "pneumonia", "normal"]


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("labels.csv", text.encode(), content_type="text/csv")


def test_the_page_reads_the_rows_of_the_shared_reader():
    text = "File ; Label\nward2\\a.png;COVID-19\nward2\\b.png;healthy\n"
    rows, listed, problems = page_labels(_upload(text), CLASSES)
    assert rows == [("a.png", "covid"), ("b.png", "normal")] and listed == {"a.png", "b.png"} and problems == []
    shared = read_labels_csv(text.encode())
    assert [(row.file, row.truth) for row in shared] == [("ward2/a.png", "covid"), ("ward2/b.png", "normal")]


def test_the_page_words_a_file_without_the_columns_in_both_languages():
    for language, phrase in (("en", "needs the columns file and label"), ("id", "memerlukan kolom file dan label")):
        with translation.override(language):
            try:
                page_labels(_upload("name;diagnosis\na.png;covid\n"), CLASSES)
            except ValidationRefused as refused:
                assert phrase in str(refused) and "name, diagnosis" in str(refused)
            else:
                raise AssertionError("not refused")


def test_a_bad_label_names_its_line_on_the_page():
    with translation.override("en"):
        rows, _listed, problems = page_labels(_upload("file,label\na.png,covid\nb.png,tuberculosis\n"), CLASSES)
        assert rows == [("a.png", "covid")]
        assert [str(p) for p in problems] == [
            "Line 3: the label “tuberculosis” of b.png is not one of: covid, pneumonia, normal (or a "
            "spelling of one such as COVID-19 or Viral Pneumonia)."]
