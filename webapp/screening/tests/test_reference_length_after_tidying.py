"""A reference's 64 characters are counted once it is tidied (invisible characters and extra
spaces gone), on upload, on a reading's page and through the API: found by an audit, a doctor's
64-character reference pasted with a zero-width space in it lost its last character silently
(the browser's maxlength=64 cut it) or was refused as 65 characters long."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from webapp.screening.forms import AnnotationForm, UploadForm
from webapp.screening.models import ApiToken, Reading

pytestmark = pytest.mark.django_db

PASTED = "A" * 32 + "\u200b" + "B" * 32  # 65 characters sent, 64 shown
KEPT = "A" * 32 + "B" * 32


def test_the_forms_count_the_tidied_reference():
    form = UploadForm({"patient_reference": PASTED})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["patient_reference"] == KEPT
    too_long = UploadForm({"patient_reference": "R" * 65 + "\u200b"})
    with translation.override("en"):  # the message is Django's, in the active language
        assert not too_long.is_valid()
        assert "at most 64 characters (it has 65)" in " ".join(too_long.errors["patient_reference"])
    assert UploadForm({"patient_reference": "R" * 64 + "   \u00a0\u200b\ufeff"}).is_valid()


def test_the_inputs_let_a_pasted_reference_through_whole():
    assert int(UploadForm()["patient_reference"].field.widget.attrs["maxlength"]) > len(PASTED)
    assert int(AnnotationForm()["patient_reference"].field.widget.attrs["maxlength"]) > len(PASTED)


def test_upload_and_annotation_keep_all_64_characters(doctor, make_reading, model_dir, media_root, xray_paths):
    client = Client()
    client.force_login(doctor)
    data = xray_paths["normal"][0].read_bytes()
    response = client.post(reverse("screening:upload"), {"image": SimpleUploadedFile("x.png", data),
                                                         "patient_reference": PASTED})
    assert response.status_code == 302
    assert Reading.objects.get().patient_reference == KEPT
    reading = make_reading(doctor, xray_paths["covid"][0])
    response = client.post(reverse("screening:annotate", args=[reading.pk]),
                           {"patient_reference": " " + PASTED[::-1] + "\u00a0", "note": ""})
    assert response.status_code in (200, 302)
    reading.refresh_from_db()
    assert reading.patient_reference == KEPT[::-1]


def test_the_api_keeps_all_64_characters(doctor, model_dir, media_root, xray_paths):
    _token, key = ApiToken.issue(doctor)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(reverse("api:readings"), {
        "image": SimpleUploadedFile("x.png", xray_paths["normal"][0].read_bytes()), "patient_reference": PASTED})
    assert response.status_code == 201, response.content
    assert response.json()["patient_reference"] == KEPT


def test_the_searches_find_a_reference_pasted_with_an_invisible_character(doctor, make_reading, xray_paths):
    reading = make_reading(doctor, xray_paths["normal"][0])
    Reading.objects.filter(pk=reading.pk).update(patient_reference=KEPT)
    client = Client()
    client.force_login(doctor)
    history = client.get(reverse("screening:history"), {"patient": PASTED})
    assert history.status_code == 200 and list(history.context["page"]) == [Reading.objects.get()]
    compare = client.get(reverse("screening:compare"), {"patient": PASTED})
    assert compare.status_code == 200 and [r.pk for r in compare.context["readings"]] == [reading.pk]
    html = compare.content.decode()
    field = html[html.index('id="id_compare_patient"'):].split(">", 1)[0]
    assert int(field.split('maxlength="')[1].split('"')[0]) > len(PASTED)  # the browser cuts nothing
