"""The PDF's probability column is right-aligned, and both captions under the pictures start right
under them, on the same page: the numbers were Paragraphs, which ignore the table's ALIGN, and the short "X-ray"
caption sat at the foot of its cell, lines below the start of the heat map's (in Indonesian three
lines: an audit of the reports). Read back with PDFium (pypdfium2), as a viewer shows it; the
pages are rendered to PNG in the test output to look at."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cxr.inference.notices import Notice
from webapp.screening import outcomes
from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

XRAY_CAPTION = {"en": "X-ray", "id": "Foto rontgen"}


def _boxes(page, text: str) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) of every `text` on the page, in points from its foot."""
    textpage = page.get_textpage()
    searcher = textpage.search(text, match_case=True, match_whole_word=True)
    boxes = []
    while found := searcher.get_next():
        chars = [textpage.get_charbox(i) for i in range(found[0], found[0] + found[1])]
        boxes.append((min(b[0] for b in chars), min(b[1] for b in chars),
                      max(b[2] for b in chars), max(b[3] for b in chars)))
    return boxes


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_numbers_are_right_aligned_and_the_captions_start_together(language, patient_client, patient, model_dir,
                                                                       media_root, xray_paths, test_output):
    reason = Notice("uncertain", percent=53.3, label="normal", threshold_percent=60)
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], label=None, low_confidence=True,
                            reason=str(reason), reason_code=reason.code, reason_params=reason.params)
    pdf = pdfium.PdfDocument(patient_client.get(reverse("screening:report_pdf", args=[reading.pk]),
                                                HTTP_ACCEPT_LANGUAGE=language).content)
    for i, page in enumerate(pdf):
        page.render(scale=1.5).to_pil().save(test_output / f"report-pdf-alignment-{language}-p{i + 1}.png")
    first = pdf[0]
    with translation.override(language):
        numbers = [row["percent_text"] for row in outcomes.probability_rows(reading)]
    rights = [_boxes(first, text)[0][2] for text in numbers]
    assert max(rights) - min(rights) < 1, rights  # one right edge, whatever the number's width

    with translation.override(language):
        heatmap_start = " ".join(gettext("Heat map: regions that drove the model's output, not where "
                                         "disease is").split()[:2])
    [(page, heatmap)] = [(page, box) for page in pdf for box in _boxes(page, heatmap_start)]
    pictures = list(page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]))
    assert len(pictures) >= 2, "the captions are on another page than their pictures"
    # The X-ray's caption: the one in the left column (the title and the facts name X-rays too).
    captions = [box for box in _boxes(page, XRAY_CAPTION[language]) if box[2] < heatmap[0]]
    nearest = min(captions, key=lambda box: abs(box[3] - heatmap[3]))
    assert abs(nearest[3] - heatmap[3]) < 1, (nearest, heatmap)
