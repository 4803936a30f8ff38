"""Under the headline "Uncertain: a radiologist should read this" the reason said "Uncertain: the
highest probability (53.3%, Normal) is below 60%, so no label is given.": the word twice, on the
page, the printable report and the PDF, in English and Indonesian (an audit of the reports). The
API's `reason` is read alone by programs and keeps the whole sentence."""
from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from cxr.inference.notices import Notice
from webapp.tests.support.screening_helpers import store_reading

pdfium = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

EXPECTED = {
    "en": ("The highest probability (53.3%, Normal) is below 60%, so no label is given.", "Uncertain: "),
    "id": ("Probabilitas tertinggi (53,3%, ", "Tidak pasti: "),
}


def _words(text: str) -> str:
    return " ".join(html.unescape(str(text)).replace("\r", " ").split())


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_reason_under_the_headline_does_not_repeat_its_word(language, patient_client, patient, model_dir,
                                                                 media_root, xray_paths):
    reason = Notice("uncertain", percent=53.3, label="normal", threshold_percent=60)
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], label=None, low_confidence=True,
                            reason=str(reason), reason_code=reason.code, reason_params=reason.params)
    start, word = EXPECTED[language]
    for name in ("screening:detail", "screening:report"):
        page = patient_client.get(reverse(name, args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        said = _words(re.search(r'class="uncertain-reason"[^>]*>(.*?)</p>', page, re.S).group(1))
        assert said.startswith(start), (name, said)
    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    text = _words(" ".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf.content)))
    assert start in text and text.count(word) == 1  # the headline's, once

    api = patient_client.get(reverse("api:reading", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language).json()
    assert api["reason"].startswith(word)  # a sentence that stands alone
