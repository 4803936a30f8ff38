"""How it works says what the card and the app do, no more: the guard's reach, the labels'
out-of-source figures, how each interval was computed, and intervals only where the card has them."""
from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def page(client, language: str = "en") -> str:
    with translation.override(language):
        client.cookies["django_language"] = language
        return client.get(reverse("guide:how_it_works")).content.decode()


@override_settings(CXR_MODEL_DIR="/nonexistent-model-dir")
@pytest.mark.parametrize(("language", "claim"), [
    ("en", "It refuses most pictures that are not chest X-rays taken from the front, but not every one"),
    ("id", "menolak sebagian besar gambar yang bukan foto rontgen dada dari depan, tetapi tidak semuanya"),
])
def test_in_short_does_not_promise_every_wrong_picture_is_refused(client, language, claim):
    # The page measures photos of a film on a table refused 88% of the time, not always.
    short = page(client, language)
    short = short[short.index('id="in-short"'):short.index("</section>", short.index('id="in-short"'))]
    assert claim in short
