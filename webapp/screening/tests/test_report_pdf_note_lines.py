"""A doctor's note keeps its lines in the PDF, as on the page and the printable report
(`linebreaksbr`): an audit's three-line note ran on as one paragraph, "Baris kedua" straight
after the first line's last word. Read back with PDFium, as a PDF viewer shows it."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

NOTE = "Batuk 3 hari & demam <38 °C>\nBaris kedua: saturasi 95%\n\nBaris ketiga setelah baris kosong"


def test_a_notes_lines_stay_lines_in_the_pdf(doctor_client, doctor, model_dir, media_root, xray_paths):
    reading = store_reading(doctor, model_dir, xray_paths["normal"][0], note=NOTE)
    pdf = doctor_client.get(reverse("screening:report_pdf", args=[reading.pk])).content
    lines = [" ".join(line.split()) for page in pdfium.PdfDocument(pdf)
             for line in page.get_textpage().get_text_range().splitlines()]
    for typed in NOTE.split("\n"):
        if typed:
            assert typed in lines, (typed, lines[-8:])  # a line of its own, escaped characters as typed
