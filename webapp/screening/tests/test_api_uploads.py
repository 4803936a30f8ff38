"""Uploads through the API with the real model and real X-rays: retries with an
Idempotency-Key never make a second reading, and a batch gives one result per file."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from webapp.screening import batches
from webapp.screening.api_models import ApiToken, IdempotentUpload
from webapp.screening.api_views import MAX_BATCH_FILES
from webapp.screening.models import Reading
from webapp.tests.support.security_helpers import stored_files


@pytest.fixture
def api(patient):
    _token, key = ApiToken.issue(patient)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def post(client, path, key=None, name=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = path.read_bytes() if hasattr(path, "read_bytes") else path
    return client.post(reverse("api:readings"),
                       {"image": SimpleUploadedFile(name or getattr(path, "name", "x.png"), data)}, **extra)


def test_a_retry_with_the_same_key_answers_the_same_reading_and_makes_no_second(
        api, patient, model_dir, media_root, xray_paths):
    path = xray_paths["covid"][0]
    first = post(api, path, key="upload-7f3a")
    assert first.status_code == 201, first.content[:300]
    assert first["Idempotent-Replayed"] == "false"
    retry = post(api, path, key="upload-7f3a")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"] and retry["Location"] == first["Location"]
    assert Reading.objects.filter(owner=patient).count() == 1
    assert len(stored_files(media_root)) == 3  # one reading's three files, not six
    # Without a key every upload is a new reading (the 2.0 behaviour).
    assert post(api, path).json()["id"] != first.json()["id"]
    assert Reading.objects.count() == 2


def test_the_same_key_with_another_file_is_refused(api, model_dir, media_root, xray_paths):
    assert post(api, xray_paths["covid"][0], key="k1").status_code == 201
    reused = post(api, xray_paths["normal"][0], key="k1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Reading.objects.count() == 1


def test_a_key_still_in_use_asks_to_wait_and_an_abandoned_one_is_taken_over(
        api, patient, model_dir, media_root, xray_paths):
    from webapp.screening.api_idempotency import fingerprint

    path = xray_paths["normal"][0]
    claim = IdempotentUpload.objects.create(
        owner=patient, key="busy", fingerprint=fingerprint(SimpleUploadedFile("x", path.read_bytes())))
    busy = post(api, path, key="busy")
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_use"
    assert int(busy["Retry-After"]) >= 1 and not Reading.objects.exists()
    # The first request died long ago (its worker was killed): the retry takes the key over.
    IdempotentUpload.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(hours=1))
    taken = post(api, path, key="busy")
    assert taken.status_code == 201 and Reading.objects.count() == 1
    assert IdempotentUpload.objects.get(pk=claim.pk).reading_id == taken.json()["id"]


def test_a_refused_upload_lets_go_of_its_key(api, model_dir, media_root):
    refused = post(api, b"not an image at all" * 10, key="k2", name="notes.txt")
    assert refused.status_code == 415
    assert not IdempotentUpload.objects.exists() and not Reading.objects.exists()


def test_a_bad_idempotency_key_is_a_400_naming_the_header(api, media_root):
    response = post(api, b"x", key="has space")
    assert response.status_code == 400
    assert response.json()["errors"][0]["name"] == "Idempotency-Key"


def test_deleting_the_reading_forgets_its_key(api, model_dir, media_root, xray_paths,
                                              django_capture_on_commit_callbacks):
    first = post(api, xray_paths["covid"][0], key="k3").json()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(first["links"]["self"]).status_code == 204
    assert not IdempotentUpload.objects.exists()


def test_a_batch_gives_each_file_its_own_result(api, patient, model_dir, media_root, xray_paths,
                                                settings, tmp_path):
    # The files are queued (batches.py; a real worker in test_batches_worker.py); here the
    # queued jobs run in this process.
    settings.DATA_DIR = tmp_path
    files = [SimpleUploadedFile("a.png", xray_paths["covid"][0].read_bytes()),
             SimpleUploadedFile("notes.txt", b"hello " * 50),
             SimpleUploadedFile("b.png", xray_paths["normal"][0].read_bytes())]
    url = reverse("api:readings_batch")
    response = api.post(url, {"images": files}, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert response.status_code == 202, response.content[:300]
    assert response["Location"] == response.json()["status_url"]
    assert [item["state"] for item in response.json()["items"]] == ["queued"] * 3
    batches.run_queued()
    body = api.get(response["Location"]).json()
    assert (body["state"], body["done"], body["refused"]) == ("finished", 2, 1)
    assert [item["state"] for item in body["items"]] == [
        "done", "refused", "done"]
    assert body["items"][1]["problem"]["code"] == "unsupported_format"
    assert body["items"][1]["problem"]["status"] == 415
    assert body["items"][1]["reading_id"] is None and body["items"][0]["problem"] is None
    ids = [item["reading_id"] for item in body["items"] if item["reading_id"]]
    assert sorted(Reading.objects.values_list("id", flat=True)) == sorted(ids)

    for f in files:
        f.seek(0)
    again = api.post(url, {"images": files}, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert [item["reading_id"] for item in again.json()["items"] if item["reading_id"]] == ids
    batches.run_queued()
    assert Reading.objects.count() == 2


def test_a_batch_refuses_too_many_files_and_none(api, media_root):
    url = reverse("api:readings_batch")
    files = [SimpleUploadedFile(f"{i}.png", b"x") for i in range(MAX_BATCH_FILES + 1)]
    too_many = api.post(url, {"images": files})
    assert too_many.status_code == 400 and too_many.json()["code"] == "too_many_files"
    none = api.post(url, {})
    assert none.status_code == 400 and none.json()["code"] == "no_file"


def test_one_reading_route_refuses_several_files_instead_of_dropping_them(api, model_dir, media_root, xray_paths):
    """POST /readings/ read the first of several 'image' parts and answered 201, the others lost."""
    data = xray_paths["normal"][0].read_bytes()
    response = api.post(reverse("api:readings"), {"image": [SimpleUploadedFile("a.png", data),
                                                            SimpleUploadedFile("b.png", data)]})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_files" and "/readings/batch/" in body["detail"]
    assert Reading.objects.count() == 0


def test_files_over_the_limit_only_together_are_refused_as_files_together(api, settings,
                                                                          media_root, xray_paths):
    """A batch shares the upload limit among its files (docs/api.md); a refusal said "The file
    is 115 KB" when no file was, which sent people looking for the large file."""
    data = xray_paths["covid"][0].read_bytes()
    settings.MAX_UPLOAD_BYTES = len(data) + 1000  # each file is under the limit
    count = (settings.MAX_UPLOAD_BYTES + 64 * 1024) // len(data) + 2
    assert count <= MAX_BATCH_FILES
    files = [SimpleUploadedFile(f"{i}.png", data) for i in range(count)]
    response = api.post(reverse("api:readings_batch"), {"images": files})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "too_large"
    assert "together" in body["detail"] and "The file is" not in body["detail"]
    assert Reading.objects.count() == 0
