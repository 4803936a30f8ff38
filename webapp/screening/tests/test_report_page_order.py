"""The printable report page gives its sections in the PDF's order: the warnings (the label's
caveat among them) before the probabilities and the images, since they qualify the numbers."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

CAVEAT = {
    "code": "label_unverified_unseen_sources",
    "params": {"source_percent": 61.0, "source_low_percent": 55.0, "source_high_percent": 67.0,
               "patient_percent": 97.0},
    "text": "Unverified: on X-rays from collections it never saw, a model trained this way was "
            "right 61% of the time (95% CI 55-67%), against 97% on new patients of the "
            "collections it learnt from.",
}


def test_the_printable_page_puts_the_warnings_where_the_pdf_does(patient_client, patient, model_dir,
                                                                 media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["pneumonia"][0])
    reading.warnings = [CAVEAT]
    reading.save()

    html = patient_client.get(reverse("screening:report", args=[reading.pk])).content.decode()
    article = html[html.index('class="report"'):]
    headings = [h.strip() for h in re.findall(r"<h3>(.*?)</h3>", article)]
    assert headings.index("Warnings") < headings.index("Probabilities")
    assert article.index('data-testid="warnings"') < article.index('class="report-images"')
    assert article.index('data-code="label_unverified_unseen_sources"') < article.index("Probabilities")

    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content
    text = " ".join(" ".join(page.get_textpage().get_text_range().split())
                    for page in pdfium.PdfDocument(pdf))
    # The same order in the PDF: warnings, then the probability table ("Class Probability").
    assert text.index("Warnings") < text.index("Class Probability")
