"""The upload page asked for a chest X-ray "of an adult", but nothing else (How it works, the
intended use, the limits) says the model is for adults, and its training X-rays include children
aged 1-5 (an audit of the guide): the page now says what the model card measured on children
instead, worded from its limitations."""
from __future__ import annotations

import html

import pytest
from django.urls import reverse

from webapp.screening.engine import model_card

pytestmark = pytest.mark.django_db

CHILDREN = {"en": ("Children's X-rays are read less reliably", "aged 1-5", "half of that hospital's healthy children's X-rays as COVID-19"),
            "id": ("Foto rontgen anak-anak dibaca kurang andal", "berusia 1-5 tahun", "separuh foto rontgen anak sehat")}
ADULT = {"en": "adult", "id": "dewasa"}


def tips(client, language) -> str:
    page = client.get(reverse("screening:upload"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    start = page.index('class="card upload-help"')
    return " ".join(html.unescape(page[start:page.index("</ul>", start)]).split())


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_upload_page_says_what_the_card_measured_on_children(language, patient_client, model_dir, media_root):
    card = model_card()
    assert any("aged 1-5" in text for text in card.limitations)  # what the page words it from
    assert any("healthy children" in text for text in card.limitations)
    text = tips(patient_client, language)
    assert ADULT[language] not in text  # the card never says adults only
    for words in CHILDREN[language]:
        assert words in text
