"""An image over Pillow's own pixel limit (about 179 megapixels) was refused as "The image is too
large; the limit is 50 megapixels." without its size, unlike a smaller oversized image: Pillow
stopped it while opening it, before our check read the size. The refusal now says both, in the
reader's language."""
from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _png_header_of(width: int, height: int) -> bytes:
    """A few bytes of PNG declaring width x height pixels: decoding reads the size first."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("language", "words"), [
    ("en", "The image is too large (15000 x 12000 pixels); the limit is 50 megapixels."),
    ("id", "Gambar terlalu besar (15000 x 12000 piksel); batasnya 50 megapiksel."),
])
def test_the_upload_page_says_the_size_of_an_image_past_pillows_limit(
        alice_client, screening_settings, language, words):
    alice_client.cookies["django_language"] = language
    upload = SimpleUploadedFile("huge.png", _png_header_of(15_000, 12_000), content_type="image/png")
    response = alice_client.post(reverse("screening:upload"), {"image": upload})
    assert response.status_code == 413
    assert words in response.content.decode()
