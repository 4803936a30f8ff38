"""An image over Pillow's own pixel limit (about 179 megapixels) was refused as "The image is too
large; the limit is 50 megapixels." without its size, unlike a smaller oversized image: Pillow
stopped it while opening it, before our check read the size. The refusal now says both, in the
reader's language."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.support.hostile_corpus import png_declaring

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "words"), [
    ("en", "The image is too large (15000 x 12000 pixels); the limit is 50 megapixels."),
    ("id", "Gambar terlalu besar (15000 x 12000 piksel); batasnya 50 megapiksel."),
])
def test_the_upload_page_says_the_size_of_an_image_past_pillows_limit(
        alice_client, screening_settings, language, words):
    alice_client.cookies["django_language"] = language
    upload = SimpleUploadedFile("huge.png", png_declaring(15_000, 12_000), content_type="image/png")
    response = alice_client.post(reverse("screening:upload"), {"image": upload})
    assert response.status_code == 413
    assert words in response.content.decode()
