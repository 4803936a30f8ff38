"""How it works names every kind of wrong picture the verifier was measured on in words, in
English and Indonesian: a family added to the study (table photos, 2026-12-06) must not reach
the page as its code ("table_photo")."""
from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from cxr.inference.card import ModelCard
from webapp.guide.views import NEGATIVE_FAMILIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundled_card(model_dir):
    card = ModelCard.load(model_dir)
    if card.verifier is None or not card.verifier.families_left_out:
        pytest.skip("the served model's card has no verifier families")
    return card


def test_every_family_of_the_card_has_a_name_for_people(bundled_card):
    assert set(bundled_card.verifier.families_left_out) <= set(NEGATIVE_FAMILIES)


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_page_shows_names_not_codes(client, bundled_card, language):
    with override_settings(LANGUAGE_CODE=language):
        client.cookies["django_language"] = language
        html = client.get(reverse("guide:how_it_works"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    table = html.split('id="verifier-families"', 1)[1].split("</table>", 1)[0]
    for code in bundled_card.verifier.families_left_out:
        with translation.override(language):
            name = str(NEGATIVE_FAMILIES[code])
        assert f'<th scope="row">{name}</th>' in table, (language, code)
        assert f">{code}<" not in table
    if language == "id":
        assert "Foto film rontgen yang diletakkan di atas meja" in table
