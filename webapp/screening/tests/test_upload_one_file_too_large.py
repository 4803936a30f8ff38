"""One file over the size limit, posted by a browser without JavaScript, is refused as one file
("The file is ... the limit is ..."), not as "The files are too large together": the count of
files read the (field, files) pairs of request.FILES.lists() as two files each."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db


def test_one_file_over_the_limit_is_refused_as_one_file(alice, settings, media_root, model_dir):
    # A browser's form POST passes the CSRF check, which parses the body before the view (the
    # test client skips that check unless told to enforce it).
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("screening:upload"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    settings.MAX_UPLOAD_BYTES = 100 * 1024
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"\0" * (300 * 1024), content_type="image/png")
    response = client.post(reverse("screening:upload"), {"image": big, "csrfmiddlewaretoken": token})
    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is too large" in page and "the limit is 100 KB" in page
    assert "The files are too large together" not in page
    assert Reading.objects.count() == 0
