"""A refusal tells its uploader what that person can do: a verified doctor exports the X-ray from
the imaging system (PACS) as DICOM or PNG; a patient, who has no imaging system, asks the clinic
or hospital that took the X-ray for its file. The same on the upload page, in the API (`detail`
and `advice`, with unchanged fields and codes) and for a batch's files, in English and
Indonesian. A doctor still waiting for verification has a patient's rights, and its words."""
from __future__ import annotations

import string

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cxr.inference.notices import ENGLISH
from webapp.screening import batches, engine_text, screen
from webapp.screening.api_models import ApiToken
from webapp.screening.models import Reading
from webapp.screening.tests.test_camera_photo_refusal import phone_photo
from webapp.screening.tests.test_refusal_and_caveat_words import refusal_of

pytestmark = pytest.mark.django_db

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
# What each reader is told to do to get the X-ray's own file, and what it must not be told.
DOCTOR_WORDS = {"en": "export it from the imaging system (PACS) as DICOM or PNG",
                "id": "ekspor dari sistem pencitraan (PACS) sebagai DICOM atau PNG"}
DOCTOR_HEIC_WORDS = {"en": "export the X-ray from the imaging system (PACS) as DICOM or PNG",
                     "id": "ekspor foto rontgen dari sistem pencitraan (PACS) sebagai DICOM atau PNG"}
PATIENT_WORDS = {"en": "ask the clinic or hospital that took the X-ray for a digital copy",
                 "id": "mintalah salinan digitalnya ke klinik atau rumah sakit"}
CLINIC = {"en": "the clinic", "id": "ke klinik"}
IMAGING_SYSTEM = {"en": "imaging system", "id": "sistem pencitraan"}


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    if language == "id":
        client.cookies.load({"django_language": "id"})
    return client


def api_for(user, language: str = "en") -> Client:
    _token, key = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE=language)


def upload(client, name: str, data: bytes):
    return client.post(reverse("screening:upload"), {"image": SimpleUploadedFile(name, data)})


def api_upload(client, name: str, data: bytes):
    return client.post(reverse("api:readings"), {"image": SimpleUploadedFile(name, data)})


# --- the sentences ------------------------------------------------------------------------------

def test_every_doctors_sentence_replaces_an_engine_sentence_with_its_parameters():
    for code, template in engine_text.FOR_DOCTORS.items():
        assert code in ENGLISH
        patient, doctor = (t[1] if isinstance(t, tuple) else t
                           for t in (engine_text.TRANSLATIONS[code], template))
        for name in {name for _, name, _, _ in string.Formatter().parse(ENGLISH[code]) if name}:
            assert f"%({name})s" in str(doctor)
        assert str(doctor) != str(patient)


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("code", ["not_cxr_camera_photo", "not_cxr_camera_photo_unnamed"])
def test_a_camera_photo_is_worded_for_its_reader(code, language):
    params = {"camera": "samsung SM-A125F"} if code == "not_cxr_camera_photo" else {}
    with translation.override(language):
        doctor = engine_text.translate(code, params, "fallback", doctor=True)
        patient = engine_text.translate(code, params, "fallback")
    assert DOCTOR_WORDS[language] in doctor and CLINIC[language] not in doctor
    assert PATIENT_WORDS[language] in patient and IMAGING_SYSTEM[language] not in patient
    if params:
        assert "samsung SM-A125F" in doctor


# --- the upload page ----------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_the_upload_page_tells_a_doctor_to_export_a_camera_photos_xray(doctor, patient, model_dir,
                                                                       media_root, xray_paths, language):
    data = phone_photo(xray_paths["normal"][0])
    doctor_box = refusal_of(upload(client_for(doctor, language), "foto.jpg", data))
    assert DOCTOR_WORDS[language] in doctor_box, doctor_box
    assert CLINIC[language] not in doctor_box
    patient_box = refusal_of(upload(client_for(patient, language), "foto.jpg", data))
    assert PATIENT_WORDS[language] in patient_box, patient_box
    assert IMAGING_SYSTEM[language] not in patient_box
    assert not Reading.objects.exists()


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_upload_page_tells_a_doctor_to_export_instead_of_sending_an_iphone_photo(
        doctor, patient, model_dir, media_root, language):
    doctor_box = refusal_of(upload(client_for(doctor, language), "IMG_0001.HEIC", HEIC))
    assert DOCTOR_HEIC_WORDS[language] in doctor_box, doctor_box
    assert CLINIC[language] not in doctor_box
    patient_box = refusal_of(upload(client_for(patient, language), "IMG_0001.HEIC", HEIC))
    assert PATIENT_WORDS[language] in patient_box, patient_box
    assert IMAGING_SYSTEM[language] not in patient_box


def test_a_doctor_waiting_for_verification_gets_a_patients_words(make_user, model_dir, media_root):
    pending = make_user(role="doctor", doctor_verified_at=None)
    box = refusal_of(upload(client_for(pending), "IMG_0001.HEIC", HEIC))
    assert PATIENT_WORDS["en"] in box and "imaging system" not in box


# --- the API ------------------------------------------------------------------------------------

def test_the_api_gives_a_patients_key_the_patients_advice_and_a_doctors_the_doctors(
        doctor, patient, model_dir, media_root, xray_paths):
    data = phone_photo(xray_paths["normal"][0])
    with translation.override("en"):
        patient_advice = [str(a) for a in screen.NOT_A_CXR_ADVICE_FOR_PATIENTS]
        doctor_advice = [str(a) for a in screen.NOT_A_CXR_ADVICE]
    answers = {}
    for role, user in (("patient", patient), ("doctor", doctor)):
        response = api_upload(api_for(user), "foto.jpg", data)
        assert response.status_code == 422
        body = response.json()
        # The fields and the code other programs read are unchanged.
        assert body["code"] == body["error"]["code"] == "not_a_chest_xray"
        assert body["detail"] == body["error"]["message"]
        assert body["advice"] == body["error"]["advice"]
        answers[role] = body
    assert answers["patient"]["advice"] == patient_advice
    assert "ask the clinic or hospital that took it for the image file" in answers["patient"]["advice"][1]
    assert PATIENT_WORDS["en"] in answers["patient"]["detail"]
    assert not any("imaging system" in text for text in
                   [answers["patient"]["detail"], *answers["patient"]["advice"]])
    assert answers["doctor"]["advice"] == doctor_advice
    assert DOCTOR_WORDS["en"] in answers["doctor"]["detail"]
    assert "clinic" not in answers["doctor"]["detail"]
    assert not Reading.objects.exists()


def test_the_api_says_the_same_advice_as_the_upload_page(patient, model_dir, media_root, xray_paths):
    data = phone_photo(xray_paths["normal"][0])
    body = api_upload(api_for(patient, "id"), "foto.jpg", data).json()
    html = upload(client_for(patient, "id"), "foto.jpg", data).content.decode()
    for sentence in body["advice"]:
        assert f"<li>{sentence}</li>" in html
    assert "mintalah berkas gambarnya atau salinan digitalnya" in body["advice"][1]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_api_words_an_iphone_photo_for_its_reader(doctor, patient, model_dir, media_root, language):
    doctor_body = api_upload(api_for(doctor, language), "IMG_0001.HEIC", HEIC).json()
    patient_body = api_upload(api_for(patient, language), "IMG_0001.HEIC", HEIC).json()
    assert doctor_body["code"] == patient_body["code"] == "unsupported_format"
    assert DOCTOR_HEIC_WORDS[language] in doctor_body["detail"]
    assert CLINIC[language] not in doctor_body["detail"]
    assert PATIENT_WORDS[language] in patient_body["detail"]


# --- batches --------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_a_batchs_refused_files_are_worded_for_its_owner(doctor, patient, model_dir, media_root, data_dir,
                                                         xray_paths, language):
    files = [("foto.jpg", phone_photo(xray_paths["normal"][0])), ("IMG_0001.HEIC", HEIC)]
    shown = {}
    for role, user in (("doctor", doctor), ("patient", patient)):
        client = client_for(user, language)
        response = client.post(reverse("screening:upload"),
                               {"image": [SimpleUploadedFile(n, d) for n, d in files]})
        batch_url = response["Location"]
        batches.run_queued()
        page = client.get(batch_url).content.decode()
        batch_id = int(batch_url.rstrip("/").split("/")[-1])
        status = client.get(reverse("screening:batch_status", args=[batch_id])).json()
        api_status = api_for(user, language).get(reverse("api:batch", args=[batch_id])).json()
        details = [item["problem"]["detail"] for item in status["items"]]
        assert [item["problem"]["code"] for item in api_status["items"]] == ["not_a_chest_xray",
                                                                             "unsupported_format"]
        assert [item["problem"]["detail"] for item in api_status["items"]] == details
        shown[role] = (page, details)
    page, (camera, heic) = shown["doctor"]
    assert DOCTOR_WORDS[language] in camera and DOCTOR_HEIC_WORDS[language] in heic
    assert CLINIC[language] not in camera + heic
    assert DOCTOR_WORDS[language] in page and PATIENT_WORDS[language] not in page
    page, (camera, heic) = shown["patient"]
    assert PATIENT_WORDS[language] in camera and PATIENT_WORDS[language] in heic
    assert IMAGING_SYSTEM[language] not in camera + heic
    assert PATIENT_WORDS[language] in page and DOCTOR_WORDS[language] not in page
    assert not Reading.objects.exists()
