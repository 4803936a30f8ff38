"""Words for patients: a refusal holds no decoder jargon and no advice only staff can follow, an
iPhone photo says how to get a JPEG, and a label's caveat is a caution in plain words beside a
"normal" result, never inside its box (in English and Indonesian)."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from webapp.screening import presentation
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import store_reading

INDONESIAN = {"django_language": "id"}
CAVEAT = {
    "code": "label_unverified_unseen_class",
    "params": {"label": "normal", "source_percent": 32.3, "source_low_percent": 27.7,
               "source_high_percent": 37.0, "patient_percent": 95.6, "right": 130, "said": 402},
    "text": "(the engine's English text)",
}


def upload(client, name: str, data: bytes, language: str = "en"):
    if language == "id":
        client.cookies.load(INDONESIAN)
    return client.post(reverse("screening:upload"), {"image": SimpleUploadedFile(name, data)})


def cut_jpeg() -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (256, 256), dtype=np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()[:6000]


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((400, 400), 128, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def refusal_of(response) -> str:
    """The words of the page's refusal box (the upload form's own tips are not advice on it)."""
    html = response.content.decode()
    return text_of(re.search(r'data-testid="upload-error".*?</div>', html, re.S).group(0))


def test_a_cut_off_jpeg_is_explained_wholly_in_indonesian(patient_client, model_dir, media_root):
    response = upload(patient_client, "scan.jpg", cut_jpeg(), "id")
    assert response.status_code == 422
    page = text_of(response.content.decode())
    assert "Berkas JPEG rusak atau tidak lengkap: mungkin terpotong saat disalin atau diunggah." in page
    # Nothing of Pillow's English ("image file is truncated", "broken data stream ...").
    for english in ("truncated", "image file", "broken", "data stream", "bytes not processed"):
        assert english not in page
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("language", ["en", "id"])
def test_an_iphone_photo_says_how_to_get_a_jpeg(patient_client, model_dir, media_root, language):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    response = upload(patient_client, "IMG_0001.HEIC", heic, language)
    assert response.status_code == 415
    page = text_of(response.content.decode())
    if language == "en":
        assert "On an iPhone, share or export the photo as JPEG" in page
        assert "Settings &gt; Camera &gt; Formats &gt; Most Compatible" in page
    else:
        assert "Di iPhone, bagikan atau ekspor foto tersebut sebagai JPEG" in page
        assert "Pengaturan &gt; Kamera &gt; Format &gt; Paling Kompatibel" in page


def test_a_patient_is_told_to_ask_the_clinic_not_to_export_from_the_imaging_system(
        patient_client, doctor_client, model_dir, media_root):
    patient_page = refusal_of(upload(patient_client, "blank.png", blank_png()))
    assert "ask the clinic or hospital that took it for the image file or a digital copy" in patient_page
    assert "imaging system" not in patient_page
    doctor_page = refusal_of(upload(doctor_client, "blank.png", blank_png()))
    assert "export it again from the imaging system" in doctor_page
    indonesian = refusal_of(upload(patient_client, "blank.png", blank_png(), "id"))
    assert "mintalah berkas gambarnya atau salinan digitalnya" in indonesian
    assert "sistem pencitraan" not in indonesian


def test_an_empty_file_tells_a_patient_where_to_get_a_new_copy(patient_client, model_dir, media_root):
    page = refusal_of(upload(patient_client, "empty.png", b""))
    assert "ask the clinic or hospital that took the X-ray for one" in page


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_label_caveat_is_a_plain_caution_outside_the_result_box(client, patient, model_dir, media_root,
                                                                   xray_paths, language):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], label="normal", warnings=[CAVEAT])
    assert reading.outcome == "normal"
    client.force_login(patient)
    if language == "id":
        client.cookies.load(INDONESIAN)
    html = client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    box = re.search(r'<div class="outcome outcome-normal".*?</div>', html, re.S).group(0)
    assert "label-caveat" not in box
    short = re.search(r'<p class="alert alert-warning label-caveat[^"]*"[^>]*data-testid="label-caveat-short">(.*?)</p>',
                      html, re.S).group(1)
    whole = text_of(re.search(r'data-testid="label-caveat"[^>]*>(.*?)</p>', html, re.S).group(1))
    with translation.override(language):
        assert short == presentation.label_caveat_short(reading).replace("“", "&ldquo;").replace("”", "&rdquo;") \
            or short == presentation.label_caveat_short(reading)
    # Every number of the measurement: counts, share, interval, and the comparison.
    for number in ("130", "402", "32%", "95%", "28-37%", "96%"):
        assert number in whole, number
    assert "130" in short and "402" in short and "32%" in short
    for jargon in ("collection", "koleksi", "Unverified", "Belum terverifikasi"):
        assert jargon not in short and jargon not in whole
    if language == "en":
        assert short.startswith("Caution: &ldquo;Normal&rdquo; was right") or short.startswith("Caution: “Normal” was right")
        assert whole.startswith("Treat with caution: when a model trained the same way said “Normal” on X-rays from hospitals it did not learn from")
    else:
        assert "di rumah sakit yang tidak dipelajarinya" in short
        assert whole.startswith("Perlu hati-hati:")
