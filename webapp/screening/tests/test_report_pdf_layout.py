"""The PDF report keeps each section's heading with its content: a heading alone at the foot of
a page, its steps on the next, reads as a section with nothing in it.

Read back with PDFium (pypdfium2), page by page, as a PDF viewer shows it.
"""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.screening.presentation import reading_context
from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db


def page_texts(pdf: bytes) -> list[str]:
    return [" ".join(page.get_textpage().get_text_range().split()) for page in pdfium.PdfDocument(pdf)]


def _start(text: str) -> str:
    return " ".join(str(text).split())[:25]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("label", ["normal", "covid", "pneumonia"])
def test_the_next_steps_heading_stays_with_its_steps(label, language, patient_client, doctor_client, patient,
                                                      doctor, model_dir, media_root, xray_paths, test_output):
    for owner, client in ((patient, patient_client), (doctor, doctor_client)):
        reading = store_reading(owner, model_dir, xray_paths[label][0], note="Batuk tiga hari.")
        with translation.override(language):
            context = reading_context(reading)
        if not context["next_steps"]:
            continue
        pdf = client.get(reverse("screening:report_pdf", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language).content
        pages = page_texts(pdf)
        [heading_page] = [i for i, text in enumerate(pages) if _start(context["next_steps_title"]) in text]
        assert _start(context["next_steps"][0]) in pages[heading_page], (owner.role, len(pages))
        if (label, language, owner) == ("covid", "id", patient):
            for i, page in enumerate(pdfium.PdfDocument(pdf)):
                page.render(scale=1).to_pil().save(test_output / f"report-pdf-next-steps-id-p{i + 1}.png")


def test_the_pdf_gives_the_address_of_the_guide_page_it_refers_to(patient_client, patient, model_dir,
                                                                  media_root, xray_paths):
    """"Its page explains the care at home" pointed a printed page at a web page it did not name
    (an audit as an Indonesian doctor): the PDF now prints the page's full address."""
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    with translation.override("en"):
        if not reading_context(reading)["next_steps"]:
            pytest.skip("this reading has no next steps to refer to")
    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content
    text = " ".join(page_texts(pdf))
    address = "http://testserver" + reverse("guide:next_steps", args=[reading.outcome])
    assert f"the warning signs they refer to. {address}" in text.replace("\r", "")
