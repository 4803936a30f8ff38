"""The model card's limitations quote class keys ('covid', 'normal', 'pneumonia'); How it works
showed them as the app names the classes (“COVID-19”), but the reading page, the printable report
and the PDF still printed the keys. All four now take the same named text."""
from __future__ import annotations

import html

import pytest
from django.urls import reverse

from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

NAMED = {"en": ("“COVID-19” means", "a “Normal” result does not rule it out"),
         "id": ("“COVID-19” berarti", "hasil “Normal” tidak")}


def _words(text: str) -> str:
    return " ".join(str(text).replace("\r", " ").split())


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_reading_page_report_and_pdf_name_classes_in_the_limitations(
        language, patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    outputs = {name: patient_client.get(reverse(f"screening:{name}", args=[reading.pk]),
                                        HTTP_ACCEPT_LANGUAGE=language).content
               for name in ("detail", "report", "report_pdf")}
    texts = {name: _words(html.unescape(body.decode())) for name, body in outputs.items() if name != "report_pdf"}
    document = pdfium.PdfDocument(outputs["report_pdf"])
    texts["report_pdf"] = _words(" ".join(page.get_textpage().get_text_range() for page in document))
    for name, text in texts.items():
        for phrase in NAMED[language]:
            assert phrase in text, (name, phrase)
        assert "'covid'" not in text and "'normal'" not in text and "'pneumonia'" not in text, name
