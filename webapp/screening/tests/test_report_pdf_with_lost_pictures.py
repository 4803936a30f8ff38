"""A reading whose heat map or X-ray file was lost from storage (disk trouble, a partial restore;
`cleanup_orphans` keeps a reading that lost only its heat map) answered 404 for its PDF report,
page and API alike: the person lost their copy of the findings, which are all in the database,
with one picture. The PDF now comes with the pictures it still has and says in words which one is
missing; the error is logged for the operator. The pictures' own routes still answer 404
(test_api_file_missing.py).

Read back with PDFium (pypdfium2), as a viewer shows it; a page is saved as
test-output/report-pdf-lost-*.png for a person to look at."""
from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from webapp.screening import storage
from webapp.screening.models import ApiToken
from webapp.screening.presentation import reading_context
from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")
pdfium_raw = pytest.importorskip("pypdfium2.raw")

pytestmark = pytest.mark.django_db

LOST = {
    "heatmap_path": {"en": "The heat map of this reading is missing from the server's storage",
                     "id": "Peta panas pembacaan ini hilang dari penyimpanan server"},
    "original_path": {"en": "The X-ray and heat map of this reading are missing from the server's storage",
                      "id": "Foto rontgen dan peta panas pembacaan ini hilang dari penyimpanan server"},
}
PICTURES_LEFT = {"heatmap_path": 1, "original_path": 0}


def _text_and_pictures(pdf: bytes) -> tuple[str, int]:
    document = pdfium.PdfDocument(pdf)
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    pictures = sum(1 for page in document
                   for _ in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]))
    return text, pictures


@pytest.mark.parametrize("lost", ["heatmap_path", "original_path"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_pdf_keeps_the_findings_and_says_which_picture_is_lost(
        patient, patient_client, model_dir, media_root, xray_paths, caplog, test_output, lost, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    whole, pictures = _text_and_pictures(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert pictures == 2, "the reading's X-ray and its heat map, before anything is lost"
    storage.absolute_path(getattr(reading, lost)).unlink()
    _token, key = ApiToken.issue(patient)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE=language)
    patient_client.cookies["django_language"] = language

    for client, route in ((patient_client, "screening:report_pdf"), (api, "api:report_pdf")):
        with caplog.at_level(logging.INFO):
            response = client.get(reverse(route, args=[reading.pk]))
        assert response.status_code == 200, route
        assert response["Content-Type"] == "application/pdf"
        text, pictures = _text_and_pictures(response.content)
        assert LOST[lost][language] in text, route
        assert pictures == PICTURES_LEFT[lost], route
        # The findings are all there: the headline and every class's probability.
        with translation.override(language):
            context = reading_context(reading)
        for said in [context["headline"], *(row["percent_text"] for row in context["probability_rows"])]:
            assert " ".join(str(said).split()) in text, (route, said)
        # Logged for the operator: at ERROR when first found, then at INFO (one incident, one
        # error: test_lost_picture_logged_once.py).
        expected = logging.ERROR if route == "screening:report_pdf" else logging.INFO
        assert any(r.levelno == expected and "missing" in r.getMessage() for r in caplog.records), route
        caplog.clear()
    assert whole != text
    page = pdfium.PdfDocument(response.content)[0]
    page.render(scale=1).to_pil().save(test_output / f"report-pdf-lost-{lost.split('_')[0]}-{language}.png")
