"""A reading knows the day its X-ray was taken where a DICOM header says it (taken_on.py), and a
patient's readings are compared in that order: an old film uploaded today is the older X-ray.
Before, readings had only their upload time, and the compare page put such a film last."""
from __future__ import annotations

import datetime as dt
import io
import re

import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from webapp.screening.models import Reading
from webapp.screening.taken_on import taken_on
from webapp.tests.support.screening_helpers import dicom_with_patient, pdf_all_text

TODAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize(("header", "day"), [
    ({"AcquisitionDate": "20250103", "StudyDate": "20250102"}, dt.date(2025, 1, 3)),  # most specific
    ({"ContentDate": "20240229", "StudyDate": "20240101"}, dt.date(2024, 2, 29)),
    ({"StudyDate": "20250102"}, dt.date(2025, 1, 2)),
    ({"AcquisitionDate": "19000101", "StudyDate": "20250102"}, dt.date(2025, 1, 2)),  # a placeholder
    ({"AcquisitionDate": "20261209", "StudyDate": "20261205"}, dt.date(2026, 12, 5)),  # a clock ahead
    ({"AcquisitionDate": "20261207"}, dt.date(2026, 12, 7)),  # tomorrow: a time zone ahead
    ({"AcquisitionDate": "2025-01-03"}, None),                  # not DICOM's DA
    ({"AcquisitionDate": "20250230"}, None),                    # no such day
    ({"StudyDate": ""}, None),
    ({}, None),
])
def test_the_day_taken_is_the_most_specific_plausible_date(header, day):
    assert taken_on(header, today=TODAY) == day


def _dicom(image_path, **dates) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(dicom_with_patient(image_path)))
    for key, value in dates.items():
        setattr(ds, key, value)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _upload(client, name: str, data: bytes, reference: str = "RM-7") -> Reading:
    response = client.post(reverse("screening:upload"), {
        "image": [SimpleUploadedFile(name, data, content_type="application/octet-stream")],
        "patient_reference": reference})
    assert response.status_code == 302, response.content[:400]
    return Reading.objects.latest("id")


@pytest.mark.django_db
def test_an_uploaded_dicom_keeps_its_day_and_shows_it(doctor_client, model_dir, media_root, xray_paths):
    reading = _upload(doctor_client, "old.dcm", _dicom(xray_paths["covid"][0], StudyDate="20190514",
                                                       AcquisitionDate="20190515"))
    assert reading.taken_on == dt.date(2019, 5, 15)
    page = doctor_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert 'data-testid="reading-taken-on"' in page and "X-ray taken" in page and "2019" in page
    report = doctor_client.get(reverse("screening:report", args=[reading.pk])).content.decode()
    assert 'data-testid="taken-on"' in report
    # The upload time beside it is named as such: "Date" read as the day of the examination.
    assert re.search(r'<th scope="row">Uploaded</th>', report) and '<th scope="row">Date</th>' not in report
    pdf = doctor_client.get(reverse("screening:report_pdf", args=[reading.pk]))
    assert "X-ray taken" in pdf_all_text(pdf.content) and "Uploaded" in pdf_all_text(pdf.content)

    png = _upload(doctor_client, "new.png", xray_paths["normal"][0].read_bytes())
    assert png.taken_on is None
    page = doctor_client.get(reverse("screening:detail", args=[png.pk])).content.decode()
    assert "X-ray taken" not in page


@pytest.mark.django_db
def test_the_api_gives_the_day_taken(doctor, model_dir, media_root, xray_paths):
    from django.test import Client

    from webapp.screening.models import ApiToken

    _token, key = ApiToken.issue(doctor)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    dicom = SimpleUploadedFile("x.dcm", _dicom(xray_paths["covid"][0], StudyDate="20210301"),
                               content_type="application/dicom")
    body = api.post(reverse("api:readings"), {"image": dicom}).json()
    assert body["taken_on"] == "2021-03-01"
    png = SimpleUploadedFile("x.png", xray_paths["normal"][0].read_bytes(), content_type="image/png")
    assert api.post(reverse("api:readings"), {"image": png}).json()["taken_on"] is None


@pytest.mark.django_db
def test_a_patients_readings_are_compared_in_the_order_the_xrays_were_taken(doctor_client, model_dir,
                                                                            media_root, xray_paths):
    # Uploaded in this order: today's PNG, then a film of 2019, then one of 2022.
    today = _upload(doctor_client, "today.png", xray_paths["normal"][0].read_bytes())
    old = _upload(doctor_client, "2019.dcm", _dicom(xray_paths["covid"][0], StudyDate="20190514"))
    middle = _upload(doctor_client, "2022.dcm", _dicom(xray_paths["covid"][1], StudyDate="20220101"))
    page = doctor_client.get(reverse("screening:compare") + "?patient=RM-7").content.decode()
    positions = [page.index(reverse("screening:detail", args=[r.pk])) for r in (old, middle, today)]
    assert positions == sorted(positions), "the oldest X-ray first, the undated upload of today last"
    assert page.count('data-testid="compare-taken-on"') == 2
    assert "the date in its DICOM file" in page

    import csv
    exported = doctor_client.get(reverse("screening:history_csv")).content.decode("utf-8-sig")
    rows = {int(r["id"]): r["taken_on"] for r in csv.DictReader(io.StringIO(exported))}
    assert rows == {today.pk: "", old.pk: "2019-05-14", middle.pk: "2022-01-01"}


def test_the_csv_keeps_every_earlier_column_in_its_place():
    """taken_on came in 2.4.0 as the third column and moved every later one: a clinic's script
    reading `patient_reference` as column 11 read `note`. Earlier columns keep their positions;
    the new one comes just before `disclaimer`, which stays last."""
    from webapp.screening.exports import COLUMNS

    before_taken_on = (
        "id", "created_at", "outcome", "result", "label", "p_covid", "p_pneumonia", "p_normal",
        "prediction_set", "warnings", "patient_reference", "note", "model_version", "source_format",
        "image_width", "image_height", "url", "warning_messages")
    assert COLUMNS == (*before_taken_on, "taken_on", "disclaimer")
