"""The 400 page says what could not be read. A visitor at an address the site does not answer to
(a wrong ALLOWED_HOSTS, a mistyped host) was told "If you uploaded many files at once, upload
fewer in each go" after only opening the home page (an operator audit); the log had the cause
(DisallowedHost). That advice stays for a request with too many files."""
from __future__ import annotations

import html
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _words(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.mark.parametrize("language, says", [
    ("en", "This server does not answer to the address in your browser's address bar."),
    ("id", "Server ini tidak melayani alamat di bilah alamat peramban Anda."),
])
def test_an_address_the_site_does_not_answer_to_says_so(settings, language, says):
    settings.ALLOWED_HOSTS = ["cxr.example.org"]
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/", HTTP_HOST="127.0.0.1:8713")
    assert response.status_code == 400
    text = _words(response)
    assert says in text and "ALLOWED_HOSTS" not in text  # a public page; the log names the cause
    assert "upload fewer" not in text and "unggah lebih sedikit" not in text


def test_too_many_fields_keeps_the_upload_advice(settings, client):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    response = client.post("/accounts/login/", {f"field{i}": "x" for i in range(10)})
    assert response.status_code == 400
    assert "If you uploaded many files at once, upload fewer in each go" in _words(response)
