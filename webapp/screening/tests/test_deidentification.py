"""Uploads are stored de-identified: no DICOM patient tags, no EXIF, no PNG text chunks.

The screening app stores only freshly encoded PNGs of the decoded pixels. These tests upload
real X-rays wrapped in files full of identifying metadata, through the page and the API, and
then look everywhere the data could surface: every stored file (raw bytes and PNG chunks), the
database row, the reading and history pages, the HTML and PDF reports and the API's JSON.
"""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from tests.support.hostile_corpus import dicom_bytes, gray_pixels
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.screening_helpers import pdf_all_text
from webapp.tests.support.security_helpers import stored_files

pytestmark = pytest.mark.django_db

PATIENT_TAGS = {
    "PatientName": "Secretname^Juwita",
    "PatientID": "MRN-SECRET-4711",
    "PatientBirthDate": "19640229",
    "PatientAddress": "Jalan Rahasia 42, Bandung",
    "PatientComments": "Confidential comment about the patient",
    "OtherPatientIDs": "KTP-3273-SECRET",
    "InstitutionName": "Rumah Sakit Rahasia",
    "InstitutionAddress": "Jalan Klinik Tersembunyi 7",
    "ReferringPhysicianName": "Dr^Hiddenreferrer",
    "AccessionNumber": "ACC-SECRET-99",
    "StudyDescription": "Secret study description",
    "ImageComments": "Secret image comment",
}
# What must never appear anywhere (the birth date in its DICOM and its readable forms too).
IDENTIFYING_STRINGS = [v.replace("^", " ") for v in PATIENT_TAGS.values()] + [
    "Secretname", "Juwita", "Rahasia", "Hiddenreferrer", "1964-02-29", "19640229", "MRN-SECRET",
]
ALLOWED_PNG_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"sRGB", b"gAMA", b"pHYs",
                      b"cHRM", b"sBIT", b"bKGD"}


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        chunks.append(data[at + 4:at + 8])
        at += 12 + length
    return chunks


def find_identifiers(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in IDENTIFYING_STRINGS if s.lower() in lowered]


@pytest.fixture
def identifying_dicom(xray_paths) -> bytes:
    png = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".png")
    return dicom_bytes(gray_pixels(png), patient=PATIENT_TAGS)


def test_the_test_dicom_really_carries_the_identifiers(identifying_dicom):
    # The control: without this, a test that finds nothing would prove nothing.
    assert len(find_identifiers(identifying_dicom.decode("latin-1"))) >= 10


def _every_place_a_reading_shows(client, api_client, reading) -> dict[str, str]:
    pk = reading.pk
    pages = {name: client.get(reverse(f"screening:{name}", args=[pk]))
             for name in ("detail", "report", "delete")}
    pages["history"] = client.get(reverse("screening:history"))
    places = {name: r.content.decode() for name, r in pages.items()}
    places["report.pdf"] = pdf_all_text(client.get(reverse("screening:report_pdf", args=[pk])).content)
    # The control: text the PDF does show is found by pdf_text, so an absence means something.
    assert reading.patient_reference and reading.patient_reference in places["report.pdf"]
    places["api-detail"] = api_client.get(reverse("api:reading", args=[pk])).content.decode()
    places["api-list"] = api_client.get(reverse("api:readings")).content.decode()
    places["api-pdf"] = pdf_all_text(api_client.get(reverse("api:report_pdf", args=[pk])).content)
    for name, response in pages.items():
        assert response.status_code == 200, name
    return places


def _database_text(reading) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Reading._meta.db_table} WHERE id = %s", [reading.pk])
        return " ".join(str(value) for value in cursor.fetchone())


@pytest.mark.parametrize("door", ["page", "api"])
def test_dicom_patient_tags_are_stored_and_shown_nowhere(door, identifying_dicom, screening_settings,
                                                          alice, alice_client):
    _token, key = ApiToken.issue(alice)
    from django.test import Client

    api_client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    upload = SimpleUploadedFile("chest.dcm", identifying_dicom, "application/dicom")
    if door == "page":
        response = alice_client.post(reverse("screening:upload"), {"image": upload})
        assert response.status_code == 302
    else:
        response = api_client.post(reverse("api:readings"), {"image": upload})
        assert response.status_code == 201
        assert find_identifiers(response.content.decode()) == []
    reading = Reading.objects.get()
    assert reading.source_format == "dicom"
    reading.patient_reference = "VISIBLE-REF-1"  # the doctor's own reference is shown, by design
    reading.save()

    files = stored_files(screening_settings.PRIVATE_MEDIA_ROOT)
    assert len(files) == 3
    for path in files:
        data = path.read_bytes()
        assert find_identifiers(data.decode("latin-1")) == [], path.name
        assert set(png_chunks(data)) <= ALLOWED_PNG_CHUNKS, path.name
    assert find_identifiers(_database_text(reading)) == []
    for place, text in _every_place_a_reading_shows(alice_client, api_client, reading).items():
        assert find_identifiers(text) == [], place


def _jpeg_with_exif(gray: np.ndarray, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretMaker"  # Make
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x013B] = "Secretname Juwita"  # Artist
    exif[0x010E] = "Chest of Secretname Juwita, MRN-SECRET-4711"  # ImageDescription
    exif[0x0132] = "2024:05:06 07:08:09"  # DateTime
    exif[0x0112] = orientation
    gps = {1: "S", 2: (6.0, 54.0, 57.0), 3: "E", 4: (107.0, 36.0, 36.0)}  # Bandung
    exif[0x8825] = gps
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def test_jpeg_exif_with_gps_and_camera_is_not_stored(xray_paths, screening_settings, alice_client):
    png = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".png")
    jpeg = _jpeg_with_exif(gray_pixels(png))
    sent_exif = Image.open(io.BytesIO(jpeg)).getexif()
    assert sent_exif[0x0110] == "SecretCam 3000" and sent_exif.get_ifd(0x8825)  # the control
    response = alice_client.post(reverse("screening:upload"),
                                 {"image": SimpleUploadedFile("phone.jpg", jpeg, "image/jpeg")})
    assert response.status_code == 302
    for path in stored_files(screening_settings.PRIVATE_MEDIA_ROOT):
        data = path.read_bytes()
        assert b"Exif" not in data and b"SecretCam" not in data and b"SecretMaker" not in data
        assert set(png_chunks(data)) <= ALLOWED_PNG_CHUNKS  # no eXIf, tEXt, iTXt, zTXt
        stored = Image.open(path)
        assert not stored.getexif() and "exif" not in stored.info
        assert find_identifiers(data.decode("latin-1")) == []


def test_exif_orientation_is_applied_to_the_pixels_then_dropped(xray_paths, screening_settings,
                                                              alice_client):
    png = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".png")
    gray = gray_pixels(png)[:, : gray_pixels(png).shape[1] * 3 // 4]  # not square: turns show
    jpeg = _jpeg_with_exif(gray, orientation=6)  # "rotate 90 degrees clockwise to view"
    response = alice_client.post(reverse("screening:upload"),
                                 {"image": SimpleUploadedFile("phone.jpg", jpeg, "image/jpeg")})
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert (reading.image_width, reading.image_height) == (gray.shape[0], gray.shape[1])


def test_png_text_chunks_are_not_stored(xray_paths, screening_settings, alice_client):
    from PIL.PngImagePlugin import PngInfo

    png = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".png")
    info = PngInfo()
    info.add_text("Author", "Secretname Juwita")
    info.add_itxt("Comment", "MRN-SECRET-4711", zip=True)
    buffer = io.BytesIO()
    Image.fromarray(gray_pixels(png)).save(buffer, format="PNG", pnginfo=info)
    response = alice_client.post(reverse("screening:upload"), {
        "image": SimpleUploadedFile("xray.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 302
    for path in stored_files(screening_settings.PRIVATE_MEDIA_ROOT):
        data = path.read_bytes()
        assert set(png_chunks(data)) <= ALLOWED_PNG_CHUNKS
        assert find_identifiers(data.decode("latin-1")) == []
