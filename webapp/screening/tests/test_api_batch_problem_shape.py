"""A refused file of a batch (GET /batches/{id}/) carries the problem a single upload of the
same file answers, as docs/api.md promises: it lacked `type` and `advice`, and its `title` was
the refusal's sentence where a problem's title is the HTTP status phrase."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening import batches
from webapp.screening.models import ApiToken
from webapp.tests.support.screening_helpers import astronaut_jpeg

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["patient", "doctor"])
@pytest.mark.parametrize("name, data, kind", [
    ("me.jpg", None, "image/jpeg"), ("notes.txt", b"hello " * 20, "text/plain"),
    ("empty.png", b"", "image/png")])
def test_a_refused_batch_file_has_the_single_uploads_problem(make_user, model_dir, media_root,
                                                              role, name, data, kind):
    data = astronaut_jpeg() if data is None else data
    _token, key = ApiToken.issue(make_user(role=role))
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    single = api.post(reverse("api:readings"), {"image": SimpleUploadedFile(name, data, kind)})
    assert single.status_code >= 400
    queued = api.post(reverse("api:readings_batch"), {"images": [SimpleUploadedFile(name, data, kind)]})
    assert queued.status_code == 202, queued.content[:300]
    batches.run_queued()
    item = api.get(queued["Location"]).json()["items"][0]
    assert item["state"] == "refused"
    problem = item["problem"]
    assert set(problem) == {"type", "title", "status", "detail", "code", "advice", "error"}
    # The same members and values; `advice` is null rather than absent where there is none.
    assert _without_nulls(problem) == single.json()


def _without_nulls(body: dict) -> dict:
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in body.items()
            if v is not None}
