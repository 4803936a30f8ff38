"""Several files posted at once without JavaScript share one body limit: the refusal says the
files are too large together (each may be under the limit), not "The file is ..."."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db


def test_files_too_large_together_are_named_as_such(alice, settings, media_root, model_dir,
                                                     xray_paths):
    # A browser's form POST passes the CSRF check, which parses the body before the view: the
    # files are counted then. (The test client skips that check unless told to enforce it.)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("screening:upload"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    data = xray_paths["normal"][0].read_bytes()
    settings.MAX_UPLOAD_BYTES = len(data) + 1000
    count = (settings.MAX_UPLOAD_BYTES + 64 * 1024) // len(data) + 2
    files = [SimpleUploadedFile(f"{i}.png", data, content_type="image/png") for i in range(count)]
    response = client.post(reverse("screening:upload"), {"image": files,
                                                         "csrfmiddlewaretoken": token})
    assert response.status_code == 413
    page = response.content.decode()
    assert "The files are too large together" in page and "Send fewer files at a time." in page
    assert "The file is " not in page
    assert Reading.objects.count() == 0

    client.cookies["django_language"] = "id"
    for f in files:
        f.seek(0)
    page = client.post(reverse("screening:upload"), {"image": files,
                                                     "csrfmiddlewaretoken": token}).content.decode()
    assert "terlalu besar jika digabung" in page


def test_the_page_without_javascript_says_files_share_the_limit(alice_client):
    page = alice_client.get(reverse("screening:upload")).content.decode()
    assert "<noscript>" in page and "Several files sent at once share the 64 MB." in page
