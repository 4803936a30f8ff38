"""The caution under the probabilities (what the percentages are calibrated on, and that on X-rays
from other hospitals they were far too high) is said wherever the probabilities are: the reading
page had it, the printable report and the PDF dropped it, and the API described the numbers as
plainly "Calibrated" (an audit of the guide and its reports)."""
from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db


def _words(text: str) -> str:
    return " ".join(str(text).replace("\r", " ").split())


def _page_caution(client, reading, language: str) -> str:
    """The caution the reading page shows under its probabilities."""
    page = client.get(reverse("screening:detail", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    found = re.search(r'data-testid="calibration-note">(.*?)</p>', page.content.decode(), re.S)
    assert found, "the reading page lost its caution"
    return _words(html.unescape(found.group(1)))


def _pdf_text(pdf: bytes) -> str:
    return _words(" ".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf)))


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_report_and_the_pdf_say_what_the_probabilities_are_calibrated_on(
        language, patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    note = _page_caution(patient_client, reading, language)
    report = patient_client.get(reverse("screening:report", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    # In the page's language, in the report and the PDF too (the page's own translation).
    assert note.startswith({"en": ("Probabilities are", "Calibrated probabilities"), "id": ("Probabilitas",)}[language])
    assert note in _words(html.unescape(report.content.decode()))
    assert note in _pdf_text(pdf.content)


def test_the_pdf_says_it_under_the_probabilities(patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    note = _page_caution(patient_client, reading, "en")
    text = _pdf_text(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert text.index("Probability") < text.index(note[:40]) < text.index("Heat map: regions")


def test_the_api_schema_does_not_call_the_probabilities_plainly_calibrated(client):
    schema = client.get(reverse("api:openapi")).json()
    description = schema["components"]["schemas"]["Reading"]["properties"]["probabilities"]["description"]
    assert "learned from" in description and "other hospitals" in description and "far too high" in description
