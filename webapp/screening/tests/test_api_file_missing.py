"""A reading whose stored file is gone (disk trouble, a partial restore): GET /readings/{id}/
answers 200, so its pictures must not answer "No such reading." (what they said): a 404 with
the code file_missing and words saying the file is missing from storage, and an error in the log
for the operator. (Its PDF report comes without the lost picture, saying so:
test_report_pdf_with_lost_pictures.py.)"""
from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from webapp.screening import storage
from webapp.screening.models import ApiToken
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route, lost", [
    ("api:image", "original_path"), ("api:thumbnail", "thumbnail_path"),
    ("api:heatmap", "heatmap_path"), ("api:overlay", "heatmap_path")])
def test_a_lost_file_is_told_apart_from_a_missing_reading(patient, model_dir, media_root,
                                                          xray_paths, caplog, route, lost):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    storage.absolute_path(getattr(reading, lost)).unlink()
    _token, key = ApiToken.issue(patient)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api:reading", args=[reading.pk])).status_code == 200
    with caplog.at_level(logging.ERROR):
        response = api.get(reverse(route, args=[reading.pk]))
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "file_missing"
    assert "missing from the server's storage" in body["detail"]
    assert any(r.levelno == logging.ERROR and "missing" in r.getMessage() for r in caplog.records)
