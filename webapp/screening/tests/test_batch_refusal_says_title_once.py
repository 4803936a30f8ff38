"""A refused file's row on the batch page repeated its title in the sentence under it: "This does
not look like a chest X-ray" over "This does not look like a frontal chest X-ray: the picture is
blank or nearly uniform.", "The image is too large" over "The image is too large (9000 x 9000
pixels); ...", "The file is empty" over "The file is empty.". Each row now says each thing once,
in English and Indonesian."""
from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.support.hostile_corpus import png_declaring
from webapp.screening import batches

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<div class="alert alert-error" data-code="([\w-]+)"><strong>(.*?)</strong>\s*'
                 r'(?:<p>(.*?)</p>)?', re.S)
SHOWN = {
    "en": [("not_a_chest_xray", "This does not look like a chest X-ray",
            "The picture is blank or nearly uniform."),
           ("image_too_large", "The image is too large (9000 x 9000 pixels); the limit is 50 "
            "megapixels.", None),
           ("empty_file", "The file is empty", "It holds no data (0 bytes). Choose the X-ray file "
            "again, or get a new copy of it: export it again from the imaging system, or ask the "
            "clinic or hospital that took the X-ray for one.")],
    "id": [("not_a_chest_xray", "Ini tidak tampak seperti foto rontgen dada",
            "Gambar kosong atau hampir seragam."),
           ("image_too_large", "Gambar terlalu besar (9000 x 9000 piksel); batasnya 50 megapiksel.",
            None),
           ("empty_file", "Berkas kosong", "Berkas ini tidak berisi data (0 byte). Pilih lagi berkas "
            "foto rontgennya, atau dapatkan salinan barunya: ekspor ulang dari sistem pencitraan, "
            "atau mintalah ke klinik atau rumah sakit tempat foto rontgen diambil.")],
}


def _png(width: int, height: int) -> bytes:
    if width * height < 10**6:  # a real, blank picture
        buffer = io.BytesIO()
        Image.new("L", (width, height), 128).save(buffer, "PNG")
        return buffer.getvalue()
    return png_declaring(width, height)  # only a header declaring the size


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_refused_files_row_says_each_thing_once(patient_client, model_dir, media_root, settings,
                                                  tmp_path, language):
    settings.DATA_DIR = tmp_path / "data"
    files = [("blank.png", _png(512, 512)), ("huge.png", _png(9000, 9000)), ("empty.png", b"")]
    patient_client.cookies["django_language"] = language
    response = patient_client.post(reverse("screening:upload"),
                                   {"image": [SimpleUploadedFile(name, data) for name, data in files]})
    batches.run_queued()
    page = patient_client.get(response["Location"]).content.decode()
    rows = [(code, html.unescape(title), html.unescape(detail) if detail else None)
            for code, title, detail in ROW.findall(page)]
    assert rows == SHOWN[language]


REFUSAL_BOX = re.compile(r'data-testid="upload-error" data-code="([\w-]+)">\s*(?:\{#.*?#\}\s*)?'
                         r'<h2>(.*?)</h2>\s*(?:<p>(.*?)</p>)?', re.S)


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_single_uploads_refusal_says_each_thing_once_as_a_batch_row_does(
        patient_client, model_dir, media_root, language):
    """The upload page's own refusal box repeated its title the same way ("This does not look
    like a chest X-ray" over "This does not look like a frontal chest X-ray: ..."): one function
    now words both."""
    patient_client.cookies["django_language"] = language
    shown = []
    for name, data in [("blank.png", _png(512, 512)), ("huge.png", _png(9000, 9000)),
                       ("empty.png", b"")]:
        page = patient_client.post(reverse("screening:upload"),
                                   {"image": SimpleUploadedFile(name, data)}).content.decode()
        (code, title, detail), = REFUSAL_BOX.findall(page)
        shown.append((code, html.unescape(title), html.unescape(detail) if detail else None))
    assert shown == SHOWN[language]
