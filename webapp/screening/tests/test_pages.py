"""The screening pages with the real model, real X-rays and the real database.

Each upload runs the model once; tests that only need a stored reading reuse a cached
prediction (screening_helpers.store_reading).
"""
from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from PIL import Image

from webapp.screening import outcomes, presentation, storage, views
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import (
    astronaut_jpeg,
    dicom_with_patient,
    jpeg_with_exif,
    pdf_drawn_text,
    store_reading,
)
from webapp.tests.support.security_helpers import stored_files

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def upload(client, name: str, data: bytes, content_type: str = "application/octet-stream", **extra):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(reverse("screening:upload"), {"image": file}, **extra)


def reverse_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the upload page -----------------------------------------------------------------------------

def test_upload_page_states_limits_and_uses_no_inline_script(patient_client, model_dir, media_root):
    response = patient_client.get(reverse("screening:upload"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "PNG, JPEG, TIFF, BMP or DICOM, up to 64 MB a file" in html
    assert 'data-max-bytes="67108864"' in html
    assert 'accept=".png,.jpg,.jpeg,.tif,.tiff,.bmp,.dcm' in html
    assert re.search(r'<input type="file" name="image"[^>]* multiple', html)
    assert 'enctype="multipart/form-data"' in html
    assert "js/upload.js" in html
    # Every <script> has a src: a CSP without 'unsafe-inline' must not break the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_anonymous_visitor_is_sent_to_login(client, media_root):
    response = client.get(reverse("screening:upload"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_without_a_model_the_page_says_so_and_uploads_are_refused(patient_client, settings, tmp_path,
                                                                   media_root, xray_paths):
    settings.CXR_MODEL_DIR = str(tmp_path / "no-model-here")
    page = patient_client.get(reverse("screening:upload"))
    assert page.status_code == 200
    assert "No model is installed" in page.content.decode()
    assert 'id="upload-form"' not in page.content.decode()

    path = xray_paths["covid"][0]
    response = upload(patient_client, path.name, path.read_bytes())
    assert response.status_code == 503
    assert Reading.objects.count() == 0
    assert stored_files(media_root) == []


# --- a real X-ray, end to end ---------------------------------------------------------------------

def test_uploading_a_real_xray_stores_and_shows_the_reading(patient_client, patient, model_dir,
                                                            media_root, xray_paths):
    path = xray_paths["covid"][0]
    response = upload(patient_client, "../../etc/" + path.name, path.read_bytes(), "image/png")

    reading = Reading.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:detail", args=[reading.pk])
    assert reading.owner == patient
    assert path.name not in str(Reading.objects.filter(pk=reading.pk).values().get())  # name not kept
    assert reading.source_format == "png"
    assert abs(sum(reading.probabilities.values()) - 1.0) < 1e-4
    assert set(reading.probabilities) == {"covid", "pneumonia", "normal"}
    with Image.open(path) as original:
        assert (reading.image_width, reading.image_height) == original.size

    folder = media_root / str(patient.pk) / str(reading.storage_key)
    assert sorted(p.name for p in folder.iterdir()) == ["heatmap.png", "original.png", "thumbnail.png"]
    assert stored_files(media_root) == sorted(folder.iterdir())  # no temporary files left behind

    page = patient_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert outcomes.headline(reading.outcome) in html
    for label, probability in reading.probabilities.items():
        assert f"{100 * probability:.1f}%" in html
        assert outcomes.class_name(label) in html
    assert "A clinician and an RT-PCR test decide" in html
    assert reverse("screening:original", args=[reading.pk]) in html
    assert reverse("screening:heatmap", args=[reading.pk]) in html
    assert "data-heatmap-toggle" in html and "data-heatmap-opacity" in html
    from webapp.screening.engine import get_predictor
    from webapp.screening.engine_text import with_class_names

    for limitation in get_predictor().card.limitations:  # classes named as the app names them
        assert escape(with_class_names(limitation)) in html
    next_steps = reverse_or_none("guide:next_steps", reading.outcome)
    if next_steps:
        assert next_steps in html
    hospitals = reverse_or_none("hospitals:nearest")
    if hospitals:
        assert hospitals in html


def test_script_upload_gets_json_with_the_reading_address(patient_client, model_dir, media_root,
                                                          xray_paths):
    path = xray_paths["pneumonia"][0]
    response = upload(patient_client, path.name, path.read_bytes(), "image/png", **XHR)
    assert response.status_code == 201
    reading = Reading.objects.get()
    assert response.json() == {"id": reading.pk, "redirect": reverse("screening:detail", args=[reading.pk]),
                               "outcome": reading.outcome, "headline": outcomes.headline(reading.outcome),
                               "label_caveat_short": presentation.label_caveat_short(reading)}


def test_a_photo_is_refused_as_not_a_chest_xray_and_nothing_is_stored(patient_client, model_dir,
                                                                      media_root):
    photo = astronaut_jpeg()
    response = upload(patient_client, "holiday.jpg", photo, "image/jpeg")
    html = response.content.decode()
    assert response.status_code == 422
    assert "This does not look like a chest X-ray" in html
    assert "Nothing was stored." in html
    assert "frontal (PA or AP) chest X-ray" in html  # the advice
    assert Reading.objects.count() == 0
    assert stored_files(media_root) == []

    scripted = upload(patient_client, "holiday.jpg", photo, "image/jpeg", **XHR)
    body = scripted.json()
    assert scripted.status_code == 422
    assert body["error"]["code"] == "not_a_chest_xray"
    assert "This does not look like a chest X-ray" in body["html"]
    assert Reading.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("name", "data", "status", "title"),
    [
        ("notes.txt", b"Patient is coughing since Monday.\n" * 20, 415, "This file type is not supported"),
        ("anim.gif", b"GIF89a" + b"\x00" * 200, 415, "This file type is not supported"),
        ("broken.png", None, 422, "The image cannot be read"),
        ("empty.png", b"", 422, "The file is empty"),
    ],
)
def test_unreadable_files_get_a_specific_error_and_store_nothing(patient_client, model_dir, media_root,
                                                                 xray_paths, name, data, status, title):
    if data is None:  # a real PNG cut in half
        full = xray_paths["normal"][0].read_bytes()
        data = full[: len(full) // 2]
    response = upload(patient_client, name, data)
    assert response.status_code == status
    assert title in response.content.decode()
    assert Reading.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize("limit", ["far below the file", "one byte below the file"])
def test_a_file_over_the_limit_is_refused(patient_client, model_dir, media_root, settings, xray_paths,
                                          limit):
    path = xray_paths["normal"][0]
    data = path.read_bytes()
    # Far below: refused from the Content-Length header before the body is parsed.
    # Just below: the body fits the header check, the uploaded file's size is refused.
    settings.MAX_UPLOAD_BYTES = 10_000 if limit == "far below the file" else len(data) - 1
    response = upload(patient_client, path.name, data, "image/png")
    html = response.content.decode()
    assert response.status_code == 413
    assert "The file is too large" in html
    if limit == "far below the file":
        assert "the limit is 10 KB" in html
    assert Reading.objects.count() == 0
    assert stored_files(media_root) == []


def test_no_file_chosen(patient_client, model_dir, media_root):
    response = patient_client.post(reverse("screening:upload"), {})
    assert response.status_code == 400
    assert "Choose an image file to upload." in response.content.decode()


def test_jpeg_metadata_is_not_kept(patient_client, model_dir, media_root, xray_paths):
    data = jpeg_with_exif(xray_paths["normal"][0])
    assert b"SecretCam" in data
    response = upload(patient_client, "scan.jpg", data, "image/jpeg")
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert reading.source_format == "jpeg"
    for path in stored_files(media_root):
        content = path.read_bytes()
        assert content.startswith(b"\x89PNG")
        assert b"SecretCam" not in content and b"Dr Secret Author" not in content
    with Image.open(storage.absolute_path(reading.original_path)) as stored:
        assert "exif" not in stored.info


def test_dicom_is_stored_as_pixels_without_patient_tags(patient_client, model_dir, media_root, xray_paths):
    data = dicom_with_patient(xray_paths["covid"][1])
    response = upload(patient_client, "study.dcm", data, "application/dicom")
    assert response.status_code == 302, response.content[:500]
    reading = Reading.objects.get()
    assert reading.source_format == "dicom"
    files = stored_files(media_root)
    assert [p.name for p in files if p.suffix != ".png"] == []
    for path in files:
        content = path.read_bytes()
        assert b"Doe^Secret" not in content and b"SECRET-ID-4711" not in content and b"DICM" not in content


# --- the reading page -----------------------------------------------------------------------------

def test_a_low_confidence_reading_is_shown_as_uncertain_without_a_label(patient_client, patient, model_dir,
                                                                       media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0], label=None, low_confidence=True,
                            reason="Uncertain: the highest probability is below 60 %.")
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert "Uncertain: a radiologist should read this" in html
    for outcome in ("covid", "pneumonia", "normal"):
        assert outcomes.headline(outcome) not in html
    assert 'data-outcome="uncertain"' in html


def test_images_are_private_pngs(patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][1])
    sizes = {}
    for name in ("original", "thumbnail", "heatmap", "overlay"):
        response = patient_client.get(reverse(f"screening:{name}", args=[reading.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        with Image.open(io.BytesIO(body)) as img:
            sizes[name] = (img.size, img.mode)
    (heat_w, heat_h), (orig_w, orig_h) = sizes["heatmap"][0], sizes["original"][0]
    assert max(heat_w, heat_h) <= 256 and max(orig_w, orig_h) <= 1024
    assert abs(heat_w / heat_h - orig_w / orig_h) < 0.02  # same shape: it is stretched over it
    assert sizes["heatmap"][1] == "RGBA"  # transparent: laid over the X-ray in the browser
    assert sizes["overlay"][0] == sizes["original"][0]
    assert max(sizes["thumbnail"][0]) <= 256


# --- history, doctors' notes, delete --------------------------------------------------------------

def test_history_shows_own_readings_newest_first_in_pages(patient_client, patient, make_user, model_dir,
                                                          media_root, xray_paths, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE_SIZE", 2)
    other = make_user()
    hidden = store_reading(other, model_dir, xray_paths["covid"][0])
    first = store_reading(patient, model_dir, xray_paths["covid"][0])
    second = store_reading(patient, model_dir, xray_paths["normal"][0])
    third = store_reading(patient, model_dir, xray_paths["pneumonia"][0])

    page1 = patient_client.get(reverse("screening:history")).content.decode()
    page2 = patient_client.get(reverse("screening:history") + "?page=2").content.decode()
    detail = lambda r: reverse("screening:detail", args=[r.pk])  # noqa: E731
    assert page1.index(detail(third)) < page1.index(detail(second))
    assert detail(first) not in page1 and detail(first) in page2
    assert reverse("screening:thumbnail", args=[third.pk]) in page1
    assert "Page 1 of 2" in page1
    assert detail(hidden) not in page1 + page2


def test_empty_history_invites_a_first_upload(patient_client, media_root):
    html = patient_client.get(reverse("screening:history")).content.decode()
    assert "You have not screened any X-ray yet." in html


def test_doctor_sets_patient_reference_and_filters_by_it(doctor_client, doctor, model_dir, media_root,
                                                         xray_paths):
    tagged = store_reading(doctor, model_dir, xray_paths["covid"][0])
    untagged = store_reading(doctor, model_dir, xray_paths["normal"][0])
    response = doctor_client.post(reverse("screening:annotate", args=[tagged.pk]),
                                  {"patient_reference": "MRN-0042", "note": "Follow up with PCR"})
    assert response.status_code == 302
    tagged.refresh_from_db()
    assert (tagged.patient_reference, tagged.note) == ("MRN-0042", "Follow up with PCR")

    html = doctor_client.get(reverse("screening:history") + "?patient=mrn-0042").content.decode()
    assert reverse("screening:detail", args=[tagged.pk]) in html
    assert reverse("screening:detail", args=[untagged.pk]) not in html
    by_note = doctor_client.get(reverse("screening:history") + "?note=pcr").content.decode()
    assert reverse("screening:detail", args=[tagged.pk]) in by_note
    assert reverse("screening:detail", args=[untagged.pk]) not in by_note

    report = doctor_client.get(reverse("screening:report", args=[tagged.pk])).content.decode()
    assert "MRN-0042" in report


def test_patients_cannot_annotate_or_filter_by_patient(patient_client, patient, model_dir, media_root,
                                                       xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    detail = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert "patient_reference" not in detail
    response = patient_client.post(reverse("screening:annotate", args=[reading.pk]),
                                   {"patient_reference": "X", "note": "Y"})
    assert response.status_code == 403
    reading.refresh_from_db()
    assert reading.patient_reference == "" and reading.note == ""
    history = patient_client.get(reverse("screening:history") + "?patient=nobody").content.decode()
    assert reverse("screening:detail", args=[reading.pk]) in history  # the filter does not apply
    assert 'name="patient"' not in history


def test_delete_asks_first_then_removes_row_and_files(patient_client, patient, model_dir, media_root,
                                                      xray_paths, django_capture_on_commit_callbacks):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    keep = store_reading(patient, model_dir, xray_paths["covid"][0])
    folder = storage.reading_folder(patient.pk, reading.storage_key)
    assert folder.is_dir()

    confirm = patient_client.get(reverse("screening:delete", args=[reading.pk]))
    assert confirm.status_code == 200
    assert "Delete this reading?" in confirm.content.decode()
    assert Reading.objects.filter(pk=reading.pk).exists()  # GET deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(reverse("screening:delete", args=[reading.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:history")
    assert not Reading.objects.filter(pk=reading.pk).exists()
    assert not folder.exists()
    assert storage.reading_folder(patient.pk, keep.storage_key).is_dir()
    assert patient_client.get(reverse("screening:original", args=[reading.pk])).status_code == 404


# --- the report -----------------------------------------------------------------------------------

def test_printable_report_and_pdf(patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["pneumonia"][0])
    html = patient_client.get(reverse("screening:report", args=[reading.pk])).content.decode()
    assert "Chest X-ray screening report" in html
    assert reading.model_version in html
    assert "A clinician and an RT-PCR test decide" in html
    assert reverse("screening:overlay", args=[reading.pk]) in html
    assert outcomes.headline(reading.outcome) in html

    # Its own title and a main landmark: a screen reader's "next landmark" lands on the report.
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.startswith("Chest X-ray screening report of ") and reading.created_at.strftime("%Y") in title
    assert html.count("<main>") == 1 and html.index("<main>") < html.index('class="report"')

    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 10_000  # it carries the two images
    text = pdf_drawn_text(pdf.content)
    assert "Chest X-ray screening report" in text
    assert reading.model_version in text
    assert "A clinician and an RT-PCR test decide" in text


def test_pages_speak_indonesian(patient_client, patient, model_dir, media_root, xray_paths):
    from django.utils import translation

    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    pages = {
        "screening:upload": ("Screen a chest X-ray", "Drop X-rays here, or choose files"),
        "screening:detail": (str(outcomes.DISCLAIMER), "Show heat map"),
    }
    for name, english_texts in pages.items():
        args = [reading.pk] if name == "screening:detail" else []
        html = patient_client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="id").content.decode()
        for english in english_texts:
            with translation.override("id"):
                indonesian = translation.gettext(english)
            assert indonesian != english, f"no Indonesian translation for {english!r}"
            assert indonesian in html


@pytest.mark.parametrize("language", ["en", "id"])
def test_each_reading_page_has_its_own_title(patient_client, patient, model_dir, media_root, xray_paths, language):
    """Every reading page was titled "Reading": tabs, browser history and a screen reader's first
    words could not tell them apart. The title is the result and the date (never the patient's
    reference: titles end up in synced browser histories)."""
    from datetime import timedelta

    from django.utils import translation

    first = store_reading(patient, model_dir, xray_paths["covid"][0], patient_reference="MRN-4711")
    second = store_reading(patient, model_dir, xray_paths["normal"][0])
    Reading.objects.filter(pk=second.pk).update(created_at=first.created_at + timedelta(days=1))
    titles = []
    for reading in (first, second):
        html = patient_client.get(reverse("screening:detail", args=[reading.pk]),
                                  HTTP_ACCEPT_LANGUAGE=language).content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        with translation.override(language):
            assert title.startswith(str(outcomes.headline(reading.outcome)) + ": ")
        assert (": hasil baca " if language == "id" else ": reading of ") in title
        assert "MRN-4711" not in title
        titles.append(title)
    assert titles[0] != titles[1]


@pytest.mark.parametrize("language", ["en", "id"])
def test_each_reading_page_has_a_heading_of_its_own(patient_client, patient, model_dir, media_root, xray_paths,
                                                    language):
    """The reading page's one heading said only "Reading": a screen reader's list of headings,
    and anyone with two readings open, could not tell one from the other. It names the reading
    by when it was made (its date and time), in the reader's language, once."""
    from datetime import timedelta

    first = store_reading(patient, model_dir, xray_paths["covid"][0])
    second = store_reading(patient, model_dir, xray_paths["covid"][0])
    Reading.objects.filter(pk=second.pk).update(created_at=first.created_at + timedelta(minutes=5))
    headings = []
    for reading in (first, second):
        html = patient_client.get(reverse("screening:detail", args=[reading.pk]),
                                  HTTP_ACCEPT_LANGUAGE=language).content.decode()
        h1s = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        assert len(h1s) == 1, h1s
        heading = " ".join(h1s[0].split())
        assert heading.startswith("Hasil baca " if language == "id" else "Reading of "), heading
        reading.refresh_from_db()
        with translation.override(language):
            assert formats.date_format(timezone.localtime(reading.created_at), "DATETIME_FORMAT") in heading
        headings.append(heading)
    assert headings[0] != headings[1]


@pytest.mark.parametrize("lost", ["original_path", "heatmap_path"])
def test_a_reading_whose_stored_image_is_lost_answers_404_not_500(patient_client, patient, model_dir, media_root,
                                                                 xray_paths, lost):
    """The overlay is built from the stored images: a lost file raised FileNotFoundError, a
    server error, on the pages and in the API alike. (The PDF comes without the lost picture,
    saying so: test_report_pdf_with_lost_pictures.py.)"""
    from webapp.screening.api_models import ApiToken

    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    storage.absolute_path(getattr(reading, lost)).unlink()
    _token, key = ApiToken.issue(patient)
    assert patient_client.get(reverse("screening:overlay", args=[reading.pk])).status_code == 404
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(reverse("api:overlay", args=[reading.pk]))
    # The reading is there: the API says its file is missing (test_api_file_missing.py).
    assert response.status_code == 404 and response.json()["code"] == "file_missing"


def test_a_page_whose_form_was_refused_says_error_in_its_title(doctor_client, doctor, model_dir, media_root,
                                                              xray_paths):
    """The "Error:" title prefix of a refused form, on the forms that are not named `form`: a
    doctor's note on a reading, and the history's filters."""
    reading = store_reading(doctor, model_dir, xray_paths["normal"][0])
    title = re.compile(r"<title>(.*?)</title>", re.S)
    refused = doctor_client.post(reverse("screening:annotate", args=[reading.pk]),
                                 {"patient_reference": "x" * 65, "note": ""})
    assert refused.status_code == 400
    assert title.search(refused.content.decode()).group(1).startswith("Error: ")
    fine = doctor_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert not title.search(fine).group(1).startswith("Error")
    filtered = doctor_client.get(reverse("screening:history") + "?outcome=bogus").content.decode()
    assert title.search(filtered).group(1).startswith("Error: ")
