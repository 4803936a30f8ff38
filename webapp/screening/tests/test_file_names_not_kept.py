"""An upload's file name is not kept (issue 17): nothing takes one any more, and the API field
that used to carry it is documented as deprecated and always "" (kept: API 2.x clients read
it). The data download, which lists what the app keeps, no longer has it."""
from __future__ import annotations

import inspect
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from webapp.screening import storage
from webapp.screening.models import ApiToken

pytestmark = pytest.mark.django_db


def test_storing_a_reading_takes_no_file_name():
    # The day the X-ray was taken (from its DICOM header) may come in; no name of any file may.
    parameters = list(inspect.signature(storage.create_reading).parameters)
    assert parameters == ["owner", "prediction", "taken_on"]
    assert not any("name" in parameter or "file" in parameter for parameter in parameters)
    assert not hasattr(storage, "sanitise_filename")


def test_the_openapi_document_marks_original_filename_deprecated_and_empty(client):
    schema = client.get(reverse("api:openapi")).json()
    field = schema["components"]["schemas"]["Reading"]["properties"]["original_filename"]
    assert field["deprecated"] is True
    assert 'always ""' in field["description"]
    assert "original_filename" in schema["components"]["schemas"]["Reading"]["required"]


def test_the_api_still_answers_original_filename_empty(patient, make_reading, xray_paths):
    reading = make_reading(patient, xray_paths["covid"][0])
    _token, key = ApiToken.issue(patient)
    answer = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:reading", args=[reading.pk]))
    assert answer.status_code == 200
    assert answer.json()["original_filename"] == ""


def test_the_data_download_lists_no_file_name(patient, make_reading, xray_paths):
    make_reading(patient, xray_paths["covid"][0])
    client = Client()
    client.force_login(patient)
    response = client.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("account.json"))["format_version"] == 5  # 3: files null when missing; 4: reset mail time; 5: confirmation
    [reading] = json.loads(archive.read("readings.json"))
    assert "original_filename" not in reading
