"""Over a thousand malformed and hostile files through the real upload page and the real API.

The promise checked for every file: a 4xx with a clear message, or, only for a file that
really is a picture, a proper stored reading; never a server error; and nothing left on disk
or in the database for a refused file. The corpus (hostile_corpus.py) is built from real X-rays
in ../shared; the served model is the tiny real ONNX model (conftest.py), so a file that decodes
costs milliseconds and most hostile files stop at decoding anyway.
"""
from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from tests.support.hostile_corpus import Case, build_corpus, readable_by_reference
from webapp.screening import storage
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.security_helpers import stored_files

pytestmark = pytest.mark.django_db

SIZE_LIMIT = 256 * 1024  # the test's MAX_UPLOAD_BYTES: "at the limit" stays cheap to send
PAYLOAD_MARKERS = (b"PK\x03\x04", b"%PDF", b"<script", b"<?php", b"<html")


def _first_with_suffix(xray_paths, suffix):
    for paths in xray_paths.values():
        for path in paths:
            if path.suffix.lower() == suffix:
                return path
    pytest.skip(f"no {suffix} X-ray in the shared set")


@pytest.fixture(scope="module")
def corpus(xray_paths) -> list[Case]:
    cases = build_corpus(_first_with_suffix(xray_paths, ".png"),
                         _first_with_suffix(xray_paths, ".jpg"), SIZE_LIMIT)
    assert len(cases) >= 1000
    return cases


def _special(case: Case) -> bool:
    """Cases sent through both doors; the bulk (truncations, flips) alternates between them."""
    return not case.name.startswith(("truncated-", "flipped-", "header-"))


@pytest.fixture
def upload_settings(screening_settings):
    screening_settings.MAX_UPLOAD_BYTES = SIZE_LIMIT
    return screening_settings


def _check_stored_reading(case: Case, reading: Reading) -> list[str]:
    problems = []
    if case.must_reject:
        problems.append("accepted a file that must be refused")
    if not readable_by_reference(case.data):
        problems.append("accepted a file that no reference decoder can read")
    if not reading.probabilities or abs(sum(reading.probabilities.values()) - 1) > 1e-3:
        problems.append(f"stored reading has bad probabilities {reading.probabilities}")
    if storage.missing_files(reading):
        problems.append(f"stored reading lacks files {storage.missing_files(reading)}")
        return problems
    original = Image.open(storage.absolute_path(reading.original_path))
    heatmap = Image.open(storage.absolute_path(reading.heatmap_path))
    thumbnail = Image.open(storage.absolute_path(reading.thumbnail_path))
    if {original.format, heatmap.format, thumbnail.format} != {"PNG"}:
        problems.append("stored images are not PNGs")
    if not (_same_shape(heatmap.size, original.size) and _same_shape(thumbnail.size, original.size)
            and max(thumbnail.size) <= 256 and max(heatmap.size) <= max(original.size)):
        problems.append(f"stored image sizes do not fit: original {original.size}, heat map "
                        f"{heatmap.size}, thumbnail {thumbnail.size}")
    if reading.image_width <= 0 or reading.image_height <= 0:
        problems.append("stored reading has no size")
    for path in stored_files(storage.reading_folder(reading.owner_id, reading.storage_key)):
        data = path.read_bytes()
        if any(marker in data for marker in PAYLOAD_MARKERS):
            problems.append(f"stored file {path.name} still carries an appended payload")
    return problems


# Python's insides in a message say nothing to a person and tell an attacker about the server.
INTERNALS = re.compile(r"object at 0x|Traceback|File \"/|Error\(|\bNone\b")


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Same aspect ratio, give or take the rounding of a small copy."""
    return abs(a[0] / a[1] - b[0] / b[1]) <= 2.0 / min(a)


def _check_refusal(case: Case, response, via: str) -> list[str]:
    if via == "api":
        error = response.json().get("error", {})
        message = str(error.get("message", ""))
        if not error.get("code") or len(message) < 10:
            return [f"refusal without a clear message: {error}"]
    else:
        refusal = response.context["refusal"] if response.context else None
        if refusal is None or len(str(refusal.message)) < 10:
            return ["refusal page without a message"]
        # What the page says under the title (presentation.refusal_words: never a sentence
        # that only restates the title, such as "The file is empty.").
        message = str(response.context.get("refusal_message") or refusal.message)
        if escape(message) not in response.content.decode():
            return ["refusal message not shown on the page"]
    if INTERNALS.search(message):
        return [f"refusal message shows program internals: {message!r}"]
    return []


def _send(client, via: str, case: Case):
    upload = SimpleUploadedFile(case.filename, case.data, content_type=case.content_type)
    url = reverse("api:readings") if via == "api" else reverse("screening:upload")
    return client.post(url, {"image": upload})


def _run_corpus(client, via: str, cases: list[Case], media_root) -> tuple[dict, list[str]]:
    outcomes = {"accepted": 0, "refused": 0}
    problems: list[str] = []
    for case in cases:
        try:
            response = _send(client, via, case)
        except Exception as exc:  # noqa: BLE001 - in production this would be a 500
            problems.append(f"{case.name}: raised {type(exc).__name__}: {exc}")
            continue
        status = response.status_code
        found: list[str] = []
        readings = list(Reading.objects.all())
        if status >= 500 or status < 200:
            found.append(f"answered {status}")
        elif status < 400:
            outcomes["accepted"] += 1
            if len(readings) != 1:
                found.append(f"answered {status} but {len(readings)} readings exist")
            else:
                found += _check_stored_reading(case, readings[0])
        else:
            outcomes["refused"] += 1
            found += _check_refusal(case, response, via)
            if readings:
                found.append(f"refused with {status} but left {len(readings)} reading rows")
            leftovers = stored_files(media_root)
            if leftovers:
                found.append(f"refused with {status} but left files {leftovers[:3]}")
        problems += [f"{case.name} ({case.filename}, {len(case.data)} bytes): {p}" for p in found]
        # Start the next case from a clean slate: rows and files of an accepted reading go.
        for reading in readings:
            Reading.objects.filter(pk=reading.pk).delete()
            storage.remove_files(reading.owner_id, reading.storage_key)
        for path in stored_files(media_root):
            path.unlink()
    return outcomes, problems


def test_the_corpus_is_large_and_varied(corpus):
    kinds = {case.name.split("-")[0] for case in corpus}
    assert {"truncated", "flipped", "lying", "polyglot", "dicom", "animated", "empty"} <= kinds
    assert sum(case.must_reject for case in corpus) >= 100
    assert sum(readable_by_reference(c.data) for c in corpus if c.name.startswith("valid-")) == 15


def test_hostile_files_through_the_upload_page(corpus, upload_settings, alice_client):
    cases = [c for i, c in enumerate(corpus) if i % 2 == 0 or _special(c)]
    outcomes, problems = _run_corpus(alice_client, "page", cases, upload_settings.PRIVATE_MEDIA_ROOT)
    assert problems == [], f"{len(problems)} problems in {len(cases)} uploads:\n" + "\n".join(problems[:40])
    # Both outcomes happen: the corpus holds readable pictures as well as garbage.
    assert outcomes["accepted"] >= 10 and outcomes["refused"] >= 300, outcomes


def test_hostile_files_through_the_api(corpus, upload_settings, alice):
    from django.test import Client

    _token, key = ApiToken.issue(alice)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    cases = [c for i, c in enumerate(corpus) if i % 2 == 1 or _special(c)]
    outcomes, problems = _run_corpus(client, "api", cases, upload_settings.PRIVATE_MEDIA_ROOT)
    assert problems == [], f"{len(problems)} problems in {len(cases)} uploads:\n" + "\n".join(problems[:40])
    assert outcomes["accepted"] >= 10 and outcomes["refused"] >= 300, outcomes


def test_a_body_over_the_real_default_limit_is_refused_before_it_is_read(screening_settings,
                                                                         alice_client):
    # The production limit (64 MiB), checked on the declared length: nothing is decoded.
    assert screening_settings.MAX_UPLOAD_BYTES == 64 * 1024 * 1024
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * (64 * 1024 * 1024)
    response = alice_client.post(reverse("screening:upload"),
                                 {"image": SimpleUploadedFile("huge.png", data, "image/png")})
    assert response.status_code == 413
    assert Reading.objects.count() == 0
    assert stored_files(screening_settings.PRIVATE_MEDIA_ROOT) == []


def test_a_refused_upload_is_not_half_stored_when_storing_fails(upload_settings, alice_client,
                                                                xray_paths, monkeypatch):
    # The database insert fails after the files were written: the files must go too.
    def broken_create(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Reading.objects, "create", broken_create)
    png = _first_with_suffix(xray_paths, ".png").read_bytes()
    with pytest.raises(RuntimeError):
        alice_client.post(reverse("screening:upload"),
                          {"image": SimpleUploadedFile("x.png", png, "image/png")})
    assert stored_files(upload_settings.PRIVATE_MEDIA_ROOT) == []


def test_stored_images_are_fresh_pngs_not_the_uploaded_bytes(upload_settings, alice_client, xray_paths):
    jpeg = _first_with_suffix(xray_paths, ".jpg").read_bytes() + b"<script>alert(1)</script>"
    response = alice_client.post(reverse("screening:upload"),
                                 {"image": SimpleUploadedFile("x.jpg", jpeg, "image/jpeg")})
    assert response.status_code == 302
    reading = Reading.objects.get()
    stored = storage.absolute_path(reading.original_path).read_bytes()
    assert stored.startswith(b"\x89PNG") and b"<script" not in stored
    assert Image.open(io.BytesIO(stored)).size == (reading.image_width, reading.image_height)
