"""The site check page (staff only) names each file it cannot read with the engine's sentence;
the sentence is the one for someone at the imaging system ("export the X-ray from the imaging
system (PACS)"), never the patient's ("ask the clinic or hospital that took the X-ray"), in
English and Indonesian. Real X-rays, the stub model, the real database."""
from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.screening.models import SiteValidation

pytestmark = pytest.mark.django_db

URL = "/screening/site-validation/"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
STAFF_WORDS = {"en": "export the X-ray from the imaging system (PACS) as DICOM or PNG",
               "id": "ekspor foto rontgen dari sistem pencitraan (PACS) sebagai DICOM atau PNG"}
PATIENT_WORDS = {"en": "the clinic", "id": "ke klinik"}
HEIC_START = {"en": "This is an HEIC photo", "id": "Ini adalah foto HEIC"}


@pytest.mark.parametrize("language", ["en", "id"])
def test_an_unreadable_heic_file_is_worded_for_staff(make_user, screening_settings, xray_paths, language):
    admin = make_user(email="admin@example.org", role="patient", is_staff=True)  # staff, not a doctor
    client = Client()
    client.force_login(admin)
    xray = xray_paths["normal"][0]
    response = client.post(URL, {
        "images": [SimpleUploadedFile(xray.name, xray.read_bytes()), SimpleUploadedFile("phone.heic", HEIC)],
        "labels": SimpleUploadedFile("labels.csv", f"file,label\n{xray.name},normal\nphone.heic,normal\n".encode(),
                                     content_type="text/csv"),
    }, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    start = page.index("phone.heic")
    problem = page[start:page.index("</li>", start)]
    assert HEIC_START[language] in problem  # the engine's sentence, in the reader's language
    assert STAFF_WORDS[language] in problem
    assert PATIENT_WORDS[language] not in problem
    assert not SiteValidation.objects.exists()
