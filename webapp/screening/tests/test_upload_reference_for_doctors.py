"""The upload page keeps a patient reference only for a verified doctor's account, as the API does
(api_views._reference_form: 403 reference_for_doctors) and as every other reference feature is
doctors-only (history filter, compare, annotation). A patient, or a doctor waiting for
verification, gets no reference fields and no words about references; a POST that sends one
anyway is refused before anything is read or stored. Readings stored with a reference before
keep showing it.

Real X-rays from ../shared, the stub model, the real database.
"""
from __future__ import annotations

import html as html_text
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from webapp.screening.batch_models import BatchItem, UploadBatch
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import dicom_with_patient

pytestmark = pytest.mark.django_db

REFUSAL_TITLE = {"en": "Only a verified doctor's account keeps a reference",
                 "id": "Hanya akun dokter terverifikasi yang dapat menyimpan kode pasien"}
PATIENT_PRIVACY = {"en": "File names are not kept either, as they often name the patient.",
                   "id": "Nama berkas juga tidak disimpan, karena sering memuat nama pasien."}
DOCTOR_PRIVACY = "type a reference of your own if you need one"


@pytest.fixture(params=["patient", "pending doctor"])
def non_doctor(request, make_user):
    if request.param == "patient":
        return make_user(role="patient")
    return make_user(role="doctor", doctor_verified_at=None)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload_page(client, language="en") -> str:
    response = client.get(reverse("screening:upload"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def post(client, paths, language="en", **fields):
    files = [SimpleUploadedFile(name, data, content_type="application/octet-stream") for name, data in paths]
    return client.post(reverse("screening:upload"), {"image": files, **fields},
                       HTTP_ACCEPT_LANGUAGE=language)


def png(xray_paths, label="covid", index=0):
    path = xray_paths[label][index]
    return (path.name, path.read_bytes())


@pytest.mark.parametrize("language", ["en", "id"])
def test_only_a_verified_doctor_sees_the_reference_fields(non_doctor, make_user, screening_settings,
                                                          language):
    html = upload_page(logged_in(non_doctor), language)
    assert 'name="patient_reference"' not in html
    assert 'name="reference_from_dicom"' not in html
    assert "data-msg-reference-cleared" not in html
    assert PATIENT_PRIVACY[language] in html
    assert DOCTOR_PRIVACY not in html

    doctor_html = upload_page(logged_in(make_user(role="doctor")), language)
    assert 'name="patient_reference"' in doctor_html
    assert 'name="reference_from_dicom"' in doctor_html
    assert PATIENT_PRIVACY[language] not in doctor_html
    if language == "en":
        assert DOCTOR_PRIVACY in doctor_html


@pytest.mark.parametrize(("fields", "dicom"), [
    ({"patient_reference": "RM-0042"}, False),
    ({"reference_from_dicom": "on"}, True),
    ({"patient_reference": "R" * 65}, False),  # over-long too: the same refusal, not "check it"
])
def test_a_reference_sent_by_anyone_else_is_refused_and_nothing_stored(
        non_doctor, screening_settings, xray_paths, fields, dicom):
    client = logged_in(non_doctor)
    file = ("study.dcm", dicom_with_patient(xray_paths["covid"][1])) if dicom else png(xray_paths)
    response = post(client, [file], **fields)
    assert response.status_code == 403
    html = response.content.decode()
    assert re.search(r'data-testid="upload-error" data-code="reference_for_doctors"', html)
    assert REFUSAL_TITLE["en"] in html_text.unescape(html)
    assert "nothing was stored" in html
    assert not Reading.objects.exists()
    assert 'name="patient_reference"' not in html  # the page it comes back to has no field


def test_the_refusal_is_worded_in_indonesian(non_doctor, screening_settings, xray_paths):
    response = post(logged_in(non_doctor), [png(xray_paths)], language="id", patient_reference="RM-1")
    assert response.status_code == 403
    html = response.content.decode()
    assert REFUSAL_TITLE["id"] in html
    assert "tidak ada yang disimpan" in html
    assert not Reading.objects.exists()


def test_a_script_upload_gets_the_refusal_as_json(non_doctor, screening_settings, xray_paths):
    client = logged_in(non_doctor)
    response = client.post(reverse("screening:upload"), {
        "image": SimpleUploadedFile(*png(xray_paths)), "patient_reference": "RM-0042"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reference_for_doctors"
    assert 'data-code="reference_for_doctors"' in response.json()["html"]
    assert not Reading.objects.exists()


def test_several_files_with_a_reference_are_refused_before_any_is_queued(non_doctor, screening_settings,
                                                                        xray_paths, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = post(logged_in(non_doctor), [png(xray_paths, "covid"), png(xray_paths, "normal")],
                    patient_reference="Ward 7 / bed 2")
    assert response.status_code == 403
    assert not UploadBatch.objects.exists() and not BatchItem.objects.exists()
    assert not Reading.objects.exists()


@pytest.mark.parametrize("fields", [
    {},
    {"patient_reference": ""},
    {"patient_reference": " \u00a0\u200b "},  # nothing once tidied
    {"reference_from_dicom": "false"},
])
def test_an_upload_without_a_reference_is_read_as_before(non_doctor, screening_settings, xray_paths, fields):
    response = post(logged_in(non_doctor), [png(xray_paths)], **fields)
    assert response.status_code == 302, response.content[:400]
    assert Reading.objects.get(owner=non_doctor).patient_reference == ""


def test_a_verified_doctor_still_keeps_the_reference(make_user, screening_settings, xray_paths, settings,
                                                     tmp_path):
    settings.DATA_DIR = tmp_path
    doctor = make_user(role="doctor")
    client = logged_in(doctor)
    assert post(client, [png(xray_paths)], patient_reference=" RM-0042 ").status_code == 302
    assert Reading.objects.get(owner=doctor).patient_reference == "RM-0042"
    response = post(client, [png(xray_paths, "covid"), png(xray_paths, "normal")], patient_reference="RM-7")
    assert response.status_code == 302
    assert list(BatchItem.objects.values_list("patient_reference", flat=True)) == ["RM-7", "RM-7"]


def test_a_reading_stored_with_a_reference_keeps_showing_it(non_doctor, make_reading, xray_paths):
    reading = make_reading(non_doctor, xray_paths["covid"][0])
    Reading.objects.filter(pk=reading.pk).update(patient_reference="RM-OLD-1")
    client = logged_in(non_doctor)
    detail = client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert 'data-testid="reading-reference">RM-OLD-1<' in detail
    assert "RM-OLD-1" in client.get(reverse("screening:history")).content.decode()


def test_an_oversized_upload_tells_no_patient_of_a_reference(non_doctor, screening_settings, settings,
                                                            xray_paths):
    """The note that "the reference you typed could not be kept" is for a page with the field."""
    settings.MAX_UPLOAD_BYTES = 20_000
    with translation.override("en"):
        response = post(logged_in(non_doctor), [png(xray_paths, "covid"), png(xray_paths, "normal")])
    assert response.status_code == 413
    assert 'data-testid="typed-not-kept"' not in response.content.decode()
