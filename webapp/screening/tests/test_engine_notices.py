"""The engine's sentences (refusal reasons, "uncertain", warnings, decoding errors) follow the
reader's language: the web app translates them by code (webapp/screening/engine_text.py)."""
from __future__ import annotations

import string

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from cxr.inference.notices import ENGLISH, Notice
from cxr.inference.rendering import png_bytes
from webapp.screening import engine_text
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import store_reading

INDONESIAN = {"django_language": "id"}


def sample_params(code: str) -> dict:
    """One number for every parameter: it formats the same way in str.format and in %-format
    (its second decimal rounds up, so a field that cut digits off instead would show)."""
    names = {field for _, field, _, _ in string.Formatter().parse(ENGLISH[code]) if field}
    return {name.split(":")[0]: 12.36 for name in names}


def png(array: np.ndarray) -> bytes:
    return png_bytes(Image.fromarray(array))


def test_every_engine_code_has_a_translation_and_nothing_else_does():
    assert set(engine_text.TRANSLATIONS) == set(ENGLISH)


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_in_english_the_translation_says_exactly_what_the_engine_says(code):
    params = sample_params(code)
    with translation.override("en"):
        assert engine_text.translate(code, params, "fallback") == str(Notice(code, **params))


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_in_indonesian_every_sentence_is_translated_with_its_numbers(code):
    params = sample_params(code)
    english = str(Notice(code, **params))
    with translation.override("id"):
        indonesian = engine_text.translate(code, params, english)
    assert indonesian != english
    assert "%(" not in indonesian
    if params:
        assert "12" in indonesian  # the parameters are filled in, not dropped


def test_numbers_in_sentences_are_written_the_languages_way():
    params = {"refused": 0, "test_images": 752, "negative_refusal_percent": 95.94}
    with translation.override("id"):
        indonesian = engine_text.translate("card_ood_guard", params, "fallback")
    with translation.override("en"):
        english = engine_text.translate("card_ood_guard", params, "fallback")
    assert "95,9%" in indonesian and "95.9" not in indonesian  # as the page's own 95,9%
    assert "95.9%" in english
    assert "752" in indonesian and "752" in english


def test_unknown_codes_and_plain_text_fall_back_to_the_engine_text():
    with translation.override("id"):
        assert engine_text.translate("from_a_newer_engine", {}, "English text") == "English text"
        assert engine_text.notice_text("old stored warning") == "old stored warning"
        # a known code whose parameters do not fit (another engine version) is not an error
        assert engine_text.translate("extra_frames", {}, "The file holds 3 pictures") == "The file holds 3 pictures"


def test_a_stored_notice_is_translated_again_in_the_readers_language():
    stored = engine_text.stored(Notice("dicom_extra_frames", frames=3))
    assert stored == {"code": "dicom_extra_frames", "params": {"frames": 3},
                      "text": "The DICOM file holds 3 frames; only the first was read."}
    with translation.override("id"):
        assert engine_text.notice_text(stored) == "Berkas DICOM ini berisi 3 bingkai; hanya bingkai pertama yang dibaca."


def test_a_blank_picture_is_refused_in_indonesian(patient_client, model_dir, media_root):
    patient_client.cookies.load(INDONESIAN)
    blank = png(np.full((400, 400), 128, np.uint8))
    response = patient_client.post(reverse("screening:upload"),
                                   {"image": SimpleUploadedFile("blank.png", blank, "image/png")})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Gambar kosong atau hampir seragam" in html
    assert "blank or nearly uniform" not in html
    assert Reading.objects.count() == 0


def test_a_decoding_error_is_explained_in_indonesian(patient_client, model_dir, media_root):
    patient_client.cookies.load(INDONESIAN)
    response = patient_client.post(reverse("screening:upload"),
                                   {"image": SimpleUploadedFile("scan.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\0" * 64)},
                                   HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 415
    assert response.json()["error"]["message"].startswith("Berkas WebP tidak didukung")


def test_an_uncertain_reading_explains_itself_in_the_readers_language(patient_client, patient, model_dir,
                                                                    media_root, xray_paths):
    reason = Notice("uncertain", percent=48.4, label="pneumonia", threshold_percent=60)
    reading = store_reading(patient, model_dir, xray_paths["pneumonia"][0], label=None, low_confidence=True,
                            reason=str(reason), reason_code=reason.code, reason_params=reason.params)
    page = reverse("screening:detail", args=[reading.pk])

    english = patient_client.get(page).content.decode()
    # Under the headline "Uncertain: ...", without the word again (test_uncertain_said_once).
    assert "The highest probability (48.4%, Pneumonia (not COVID-19)) is below 60%" in english

    patient_client.cookies.load(INDONESIAN)
    indonesian = patient_client.get(page).content.decode()
    assert "Probabilitas tertinggi (48,4%, " in indonesian  # the decimal comma
    assert "di bawah 60%, sehingga tidak ada label yang diberikan" in indonesian
    assert "highest probability" not in indonesian

    api = patient_client.get(reverse("api:reading", args=[reading.pk]))
    assert api.json()["reason"].startswith("Tidak pasti")


def test_stored_warnings_keep_their_codes(patient, model_dir, media_root, xray_paths):
    from webapp.screening import presentation

    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    reading.warnings = [engine_text.stored(Notice("exif_unreadable")), "an old warning stored as text"]
    reading.save()
    with translation.override("id"):
        texts = presentation.warning_texts(Reading.objects.get(pk=reading.pk))
    assert texts == ["Orientasi EXIF tidak dapat dibaca; gambar ditampilkan sebagaimana tersimpan.",
                     "an old warning stored as text"]
