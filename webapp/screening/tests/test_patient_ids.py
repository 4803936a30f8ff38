"""A DICOM PatientID becomes a reading's patient reference the same way for an upload and for a
PACS study (webapp/screening/patient_ids.py; the PACS path against a real Orthanc is in
webapp/pacs/tests/test_pacs_patient_ids.py)."""
from __future__ import annotations

import io

import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pydicom.multival import MultiValue

from webapp.screening.models import Reading
from webapp.screening.patient_ids import (
    REFERENCE_MAX_LENGTH,
    patient_reference,
    uploaded_patient_id,
)
from webapp.tests.support.screening_helpers import dicom_with_patient


@pytest.mark.parametrize(("value", "kept"), [
    (None, ""),
    ("", ""),
    ("RM-0042", "RM-0042"),
    (MultiValue(str, ["RM", "0042"]), "RM\\0042"),    # pydicom splits "RM\0042" at the backslash
    ("RM\x07-0042\x00", "RM-0042"),                     # control characters dropped
    ("  RM   0042 ", "RM 0042"),                       # white space made one space
    ("R" * 80, "R" * REFERENCE_MAX_LENGTH),
])
def test_a_patient_id_is_kept_as_one_clean_line(value, kept):
    assert patient_reference(value) == kept


def _dicom(image_path, patient_id: str, issuer: str | None = None) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(dicom_with_patient(image_path)))
    ds.PatientID = patient_id
    if issuer is not None:
        ds.IssuerOfPatientID = issuer
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_an_uploaded_files_patient_id_is_read_from_its_header_and_the_file_rewound(xray_paths):
    upload = SimpleUploadedFile("x.dcm", _dicom(xray_paths["covid"][0], "RM\\0042\x07  B"))
    assert uploaded_patient_id(upload) == "RM\\0042 B"
    assert upload.tell() == 0
    png = SimpleUploadedFile("x.png", xray_paths["covid"][0].read_bytes())
    assert uploaded_patient_id(png) == ""


@pytest.mark.django_db
def test_an_upload_keeps_a_backslashed_patient_id_whole(doctor_client, model_dir, media_root,
                                                       xray_paths):
    data = _dicom(xray_paths["covid"][1], "RM\\0042\x07  B")
    response = doctor_client.post(reverse("screening:upload"), {
        "image": [SimpleUploadedFile("study.dcm", data, content_type="application/octet-stream")],
        "reference_from_dicom": "on"})
    assert response.status_code == 302, response.content[:400]
    assert Reading.objects.get().patient_reference == "RM\\0042 B"


def test_a_patient_id_of_another_issuer_is_another_patient():
    """Hospitals number patients on their own: RSUD-ACC01 of RS-BANDUNG is not RSUD-ACC01 of
    RSUD-JKT. The issuer, when the header names one, is kept with the ID."""
    assert patient_reference("RSUD-ACC01", issuer="RS-BANDUNG") == "RSUD-ACC01 (RS-BANDUNG)"
    assert patient_reference("RSUD-ACC01", issuer=" \u200b") == "RSUD-ACC01"
    assert patient_reference("", issuer="RS-BANDUNG") == ""
    # Too long for the column: cut, with a digest of the whole, so that two IDs or issuers
    # that differ only past the cut never become one reference.
    first = patient_reference("P" * 40, issuer="RUMAH SAKIT UMUM DAERAH PROVINSI JAWA BARAT 1")
    second = patient_reference("P" * 40, issuer="RUMAH SAKIT UMUM DAERAH PROVINSI JAWA BARAT 2")
    assert len(first) == len(second) == REFERENCE_MAX_LENGTH
    assert first != second and first.startswith("P" * 40 + " (RUMAH")


def test_an_uploaded_files_issuer_qualifies_its_patient_id(xray_paths):
    upload = SimpleUploadedFile("x.dcm", _dicom(xray_paths["covid"][0], "RSUD-ACC01", "RS-BANDUNG"))
    assert uploaded_patient_id(upload) == "RSUD-ACC01 (RS-BANDUNG)"
    upload = SimpleUploadedFile("x.dcm", _dicom(xray_paths["covid"][0], "RSUD-ACC01", ""))
    assert uploaded_patient_id(upload) == "RSUD-ACC01"
