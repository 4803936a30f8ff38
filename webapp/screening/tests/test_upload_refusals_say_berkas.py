"""Indonesian says "berkas" for a file everywhere in the app, but the size and empty refusals
said "File kosong", "File terlalu besar" and "File ini terlalu besar: batasnya ...": they say
"berkas" now."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import override

from cxr.inference import EmptyFile
from cxr.inference.notices import Notice
from webapp.screening import screen

pytestmark = pytest.mark.django_db


def test_size_and_empty_refusals_say_berkas():
    with override("id"):
        assert screen.too_large(10**9).title == "Berkas terlalu besar"
        empty = screen._refusal_for_image_error(EmptyFile(Notice("empty_file")))
        assert empty.title == "Berkas kosong"


def test_the_upload_page_says_berkas_for_a_file_over_the_limit(alice_client):
    alice_client.cookies["django_language"] = "id"
    page = alice_client.get(reverse("screening:upload")).content.decode()
    assert 'data-msg-too-large="Berkas ini terlalu besar: batasnya 64 MB."' in page
    assert "File ini" not in page
