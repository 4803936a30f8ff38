"""The PDF report prints people's own words in their own script, or says where to read them.

Read back with PDFium (pypdfium2), the engine of Chrome's PDF viewer: its text is what a reader's
viewer shows and copies, and its rendering is saved to test-output/ to look at.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.screening import pdf_fonts
from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

POINTER = "written in a script this PDF cannot print"


def shown_text(pdf: bytes) -> str:
    """Every page's text as a PDF viewer extracts it, whitespace (line breaks) made single spaces."""
    document = pdfium.PdfDocument(pdf)
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)


@pytest.fixture
def dejavu():
    if not pdf_fonts.faces():
        pytest.skip(f"no DejaVu Sans in {', '.join(pdf_fonts.FONT_DIRS)} (Debian: fonts-dejavu-core)")


def test_cyrillic_greek_and_vietnamese_are_printed_as_typed(dejavu, patient_client, patient, model_dir,
                                                            media_root, xray_paths, test_output):
    reference, note = "Иван Петров-Çelik", "Ελληνικά: ho có đờm, sốt 38,5 °C"
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], patient_reference=reference, note=note)
    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content
    text = shown_text(pdf)
    assert reference in text and note in text
    assert "■" not in text and POINTER not in text
    page = pdfium.PdfDocument(pdf)[0].render(scale=1.5).to_pil()
    page.crop((0, 0, page.width, page.height // 3)).save(test_output / "report-pdf-scripts.png")


def test_text_the_font_would_garble_points_to_the_web_page(dejavu, patient_client, patient, model_dir,
                                                           media_root, xray_paths):
    """Arabic comes out unjoined and reversed without a shaper, Chinese as empty boxes: a
    patient's name garbled is worse than none, so the report says where to read it."""
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], patient_reference="محمد علي",
                            note="王小明 咳嗽")
    text = shown_text(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert text.count(POINTER) == 2
    assert "محمد" not in text and "دمحم" not in text and "王" not in text
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert "محمد علي" in html and "王小明 咳嗽" in html  # the page it points to shows them


@pytest.mark.parametrize(("text", "printable"), [
    ("MRN 4711 / bed 2", True), ("Çelik Ñúñez Łódź", True), ("Иван", True), ("Ελληνικά", True),
    ("محمد", False), ("שלום", False), ("王小明", False), ("สมชาย", False),
])
def test_what_the_font_can_print(dejavu, text, printable):
    assert pdf_fonts.can_print(text) is printable


def test_without_dejavu_the_report_still_prints_latin_and_points_to_the_page(patient_client, patient, model_dir,
                                                                             media_root, xray_paths, monkeypatch,
                                                                             tmp_path):
    """A server without fonts-dejavu-core: Helvetica (Latin-1), a logged warning, and no text it
    would print as black boxes."""
    monkeypatch.setattr(pdf_fonts, "FONT_DIRS", (str(tmp_path),))
    pdf_fonts.faces.cache_clear()
    pdf_fonts._covered.cache_clear()
    try:
        assert pdf_fonts.faces() == {} and pdf_fonts.face("Helvetica-Bold") == "Helvetica-Bold"
        assert pdf_fonts.can_print("Çelik Ñúñez") and not pdf_fonts.can_print("Иван")
        reading = store_reading(patient, model_dir, xray_paths["normal"][0], patient_reference="Иван",
                                note="Çelik: batuk 3 hari")
        text = shown_text(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
        assert "Çelik: batuk 3 hari" in text and text.count(POINTER) == 1 and "■" not in text
    finally:
        pdf_fonts.faces.cache_clear()
        pdf_fonts._covered.cache_clear()
