"""A phone photo of an X-ray whose file records the camera is refused through the web upload, in
the reader's language, naming the camera and saying where the X-ray's own file comes from; the
same X-ray without a camera record is read. Nothing is stored for the refused one."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cxr.inference.decode import decode_image
from webapp.screening.models import Reading
from webapp.screening.tests.test_refusal_and_caveat_words import refusal_of

pytestmark = pytest.mark.django_db


def phone_photo(path, camera: bool = True) -> bytes:
    exif = Image.Exif()
    if camera:
        exif[0x010F], exif[0x0110] = "samsung", "SM-A125F"
        exif.get_ifd(0x8769).update({0x829A: 1 / 50, 0x829D: 2.0, 0x920A: 4.2})
    buffer = io.BytesIO()
    Image.fromarray(decode_image(path).gray).save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("language, words", [
    ("en", ["Its file says a camera took it (samsung SM-A125F)", "ask the clinic or hospital"]),
    ("id", ["diambil dengan kamera (samsung SM-A125F)", "mintalah salinan digitalnya"]),
])
def test_a_phone_photo_is_refused_in_the_readers_language(patient_client, model_dir, media_root, xray_paths,
                                                          language, words):
    if language == "id":
        patient_client.cookies.load({"django_language": "id"})
    data = phone_photo(xray_paths["normal"][0])
    response = patient_client.post(reverse("screening:upload"), {"image": SimpleUploadedFile("foto.jpg", data)})
    assert response.status_code == 422
    refusal = refusal_of(response)
    for word in words:
        assert word in refusal, refusal
    if language == "id":
        assert "camera took" not in refusal and "Please upload" not in refusal
    assert not Reading.objects.exists()


def test_the_same_xray_without_a_camera_record_is_read(patient_client, model_dir, media_root, xray_paths):
    data = phone_photo(xray_paths["normal"][0], camera=False)
    response = patient_client.post(reverse("screening:upload"), {"image": SimpleUploadedFile("x.jpg", data)})
    assert response.status_code == 302
    assert Reading.objects.count() == 1
