"""POST /api/v1/readings/ and /readings/batch/ take the upload form's patient_reference (and
reference_from_dicom), cleaned as the web form cleans them: they were silently dropped (201 with
patient_reference ""). Only a verified doctor's account keeps one; anyone else is refused with
a 403 that says why, and nothing is stored."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening import batches
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.screening_helpers import dicom_with_patient

pytestmark = pytest.mark.django_db


def client_of(user):
    _token, key = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def image(path):
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/png")


def test_a_doctor_attaches_a_reference_to_one_upload(doctor, model_dir, media_root, xray_paths):
    response = client_of(doctor).post(reverse("api:readings"), {
        "image": image(xray_paths["covid"][0]), "patient_reference": "  RM-9 \t a "})
    assert response.status_code == 201, response.content[:300]
    assert response.json()["patient_reference"] == "RM-9 a"  # white space as the web form keeps it
    assert Reading.objects.get().patient_reference == "RM-9 a"


def test_a_doctor_attaches_one_reference_to_every_file_of_a_batch(doctor, model_dir, media_root,
                                                                  xray_paths):
    api = client_of(doctor)
    response = api.post(reverse("api:readings_batch"), {
        "images": [image(xray_paths["covid"][0]), image(xray_paths["normal"][0])],
        "patient_reference": "RM-10"})
    assert response.status_code == 202, response.content[:300]
    batches.run_queued()
    assert list(Reading.objects.values_list("patient_reference", flat=True)) == ["RM-10", "RM-10"]


def test_a_reference_longer_than_the_web_forms_limit_is_refused(doctor, model_dir, media_root,
                                                                xray_paths):
    response = client_of(doctor).post(reverse("api:readings"), {
        "image": image(xray_paths["covid"][0]), "patient_reference": "R" * 65})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_reference"
    assert not Reading.objects.exists()


@pytest.mark.parametrize("route, field", [("api:readings", "image"), ("api:readings_batch", "images")])
@pytest.mark.parametrize("fields", [{"patient_reference": "RM-9"}, {"reference_from_dicom": "true"}])
def test_a_patient_account_is_told_no_rather_than_ignored(patient, model_dir, media_root, xray_paths,
                                                          route, field, fields):
    response = client_of(patient).post(reverse(route), {field: image(xray_paths["covid"][0]), **fields})
    assert response.status_code == 403, response.content[:300]
    body = response.json()
    assert body["error"]["code"] == "reference_for_doctors"
    assert "doctor" in body["error"]["message"]
    assert not Reading.objects.exists()


def test_a_patient_account_without_a_reference_uploads_as_before(patient, model_dir, media_root,
                                                                 xray_paths):
    response = client_of(patient).post(reverse("api:readings"), {
        "image": image(xray_paths["covid"][0]), "patient_reference": ""})
    assert response.status_code == 201
    assert "patient_reference" not in response.json()


def test_the_openapi_document_names_the_fields_and_the_403(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, field in (("/readings/", "image"), ("/readings/batch/", "images")):
        operation = document["paths"][path]["post"]
        schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert schema["properties"]["patient_reference"]["maxLength"] == 64
        assert schema["properties"]["reference_from_dicom"]["type"] == "boolean"
        assert schema["required"] == [field]
        assert "403" in operation["responses"]


def test_a_replayed_upload_keeps_the_first_requests_reference(doctor, model_dir, media_root,
                                                              xray_paths):
    api = client_of(doctor)
    for reference in ("RM-1", "RM-2"):
        response = api.post(reverse("api:readings"), {
            "image": image(xray_paths["covid"][0]), "patient_reference": reference},
            HTTP_IDEMPOTENCY_KEY="same-upload")
        assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"
    assert response.json()["patient_reference"] == "RM-1"
    assert list(Reading.objects.values_list("patient_reference", flat=True)) == ["RM-1"]


def test_a_doctor_takes_each_dicom_files_patient_id_on_request(doctor, model_dir, media_root,
                                                               xray_paths):
    dicom = SimpleUploadedFile("study.dcm", dicom_with_patient(xray_paths["covid"][0]),
                               content_type="application/dicom")
    response = client_of(doctor).post(reverse("api:readings_batch"), {
        "images": [dicom, image(xray_paths["normal"][0])], "reference_from_dicom": "true"})
    assert response.status_code == 202, response.content[:300]
    batches.run_queued()
    kept = dict(Reading.objects.values_list("id", "patient_reference"))
    assert sorted(kept.values()) == ["", "SECRET-ID-4711"]


@pytest.mark.parametrize("flag", ["{}", "off", "yes please", " false", "0", "on"])
def test_reference_from_dicom_is_a_boolean_not_any_text(doctor, model_dir, media_root, xray_paths,
                                                        flag):
    # Django's BooleanField reads most of these as true; the API's schema says boolean.
    response = client_of(doctor).post(reverse("api:readings_batch"), {
        "images": [image(xray_paths["covid"][0])], "reference_from_dicom": flag})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_reference"
    assert not Reading.objects.exists()
