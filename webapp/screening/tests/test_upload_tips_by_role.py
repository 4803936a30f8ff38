"""The upload page's "For a useful reading" tip on where the X-ray's own file comes from is worded
for the uploader, as the refusals' advice is (screen.not_a_cxr_advice, engine_text.FOR_DOCTORS):
a verified doctor exports it from the imaging system (PACS); a patient, or a doctor waiting for
verification, asks the clinic or hospital that took it."""
from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOCTOR_TIP = {"en": "export it from the imaging system (PACS) as DICOM or PNG",
              "id": "ekspor dari sistem pencitraan (PACS) sebagai DICOM atau PNG"}
PATIENT_TIP = {"en": "ask the clinic or hospital that took it for a digital copy",
               "id": "mintalah salinan digitalnya ke klinik atau rumah sakit"}


def tips(user, language) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(reverse("screening:upload"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    start = page.index('class="card upload-help"')
    return html.unescape(page[start:page.index("</ul>", start)])


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_verified_doctor_is_told_to_export_from_the_imaging_system(make_user, screening_settings, language):
    text = tips(make_user(role="doctor"), language)
    assert DOCTOR_TIP[language] in text
    assert PATIENT_TIP[language] not in text
    assert ("clinic" if language == "en" else "klinik") not in text


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("role", ["patient", "pending doctor"])
def test_anyone_else_is_told_to_ask_the_clinic(make_user, screening_settings, role, language):
    user = (make_user(role="patient") if role == "patient"
            else make_user(role="doctor", doctor_verified_at=None))
    text = tips(user, language)
    assert PATIENT_TIP[language] in text
    assert "PACS" not in text
