"""Multi-file uploads go through the job queue (webapp/screening/batches.py): the files are
stored and one job per file is queued in the same transaction; the batch page and its JSON
status are the owner's only; a job delivered twice reads its file once.

Here the queued jobs run in this process (batches.run_queued / read_item); a real worker
process, killed with kill -9 mid-batch, is in test_batches_worker.py.
"""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from webapp.screening import batches
from webapp.screening.api_models import ApiToken
from webapp.screening.models import BatchItem, Reading, UploadBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # where the waiting files are kept
    settings.PRIVATE_MEDIA_ROOT.mkdir(mode=0o700, exist_ok=True)
    return settings.DATA_DIR


@pytest.fixture
def api_client_factory():
    def make(user):
        _token, key = ApiToken.issue(user)
        return Client(HTTP_AUTHORIZATION=f"Token {key}")
    return make


def post_files(client, files, **fields):
    data = {"image": [SimpleUploadedFile(name, content) for name, content in files], **fields}
    return client.post(reverse("screening:upload"), data)


def pending_files(data_dir) -> list:
    return [p for p in batches.pending_root().rglob("*") if p.is_file()]


def test_several_files_are_stored_and_queued_one_job_each(patient_client, patient, model_dir,
                                                          media_root, data_dir, xray_paths):
    response = post_files(patient_client, [("a.png", xray_paths["covid"][0].read_bytes()),
                                            ("b.png", xray_paths["normal"][0].read_bytes())])
    batch = UploadBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:batch", args=[batch.pk])
    assert batch.owner == patient
    assert Reading.objects.count() == 0  # nothing is read in the request
    assert list(batch.items.values_list("state", flat=True)) == ["queued", "queued"]
    assert OrmQ.objects.count() == 2  # one job per file, in the database broker
    assert len(pending_files(data_dir)) == 2

    page = patient_client.get(response["Location"]).content.decode()
    # No JavaScript: a link reloads the page, never a meta refresh (it restarted screen readers
    # every few seconds, WCAG 2.2.1).
    assert "http-equiv" not in page
    assert f'href="{response["Location"]}">Reload to see the progress</a>' in page
    assert page.count('data-state="queued"') == 2
    status = patient_client.get(reverse("screening:batch_status", args=[batch.pk])).json()
    assert (status["state"], status["queued"], status["total"]) == ("running", 2, 2)

    batches.run_queued()
    status = patient_client.get(reverse("screening:batch_status", args=[batch.pk])).json()
    assert (status["state"], status["done"]) == ("finished", 2)
    readings = list(Reading.objects.order_by("id"))
    assert [item["reading_url"] for item in status["items"]] == [
        f"http://testserver{reverse('screening:detail', args=[r.pk])}" for r in readings]
    assert 'data-state="done"' in status["html"]
    page = patient_client.get(response["Location"]).content.decode()
    assert "http-equiv" not in page  # finished: no more reloading
    assert pending_files(data_dir) == []  # the waiting files are gone once read


def test_deleting_the_account_removes_its_waiting_uploads(patient_client, patient, data_dir, user_password,
                                                          django_capture_on_commit_callbacks):
    post_files(patient_client, [("a.png", b"first"), ("b.png", b"second")])
    assert len(pending_files(data_dir)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(reverse("delete_account"), {"password": user_password})
    assert response.status_code == 302
    assert UploadBatch.objects.count() == 0
    assert pending_files(data_dir) == []  # "your readings and their images were deleted"
    assert list(batches.pending_root().iterdir()) == []  # the batch's folder too


def test_the_batch_page_tells_files_apart_by_size_and_reference(patient_client, patient, data_dir):
    """File names are not stored; each row shows the file's size and the reference given for it."""
    batch, _ = batches.create_batch(patient, [SimpleUploadedFile("a.png", b"x" * 2048),
                                              SimpleUploadedFile("b.png", b"y" * 3 * 1024 * 1024)],
                                    ["MRN-<7>", ""])
    page = patient_client.get(reverse("screening:batch", args=[batch.pk])).content.decode()
    assert "File 1 · 2.0\xa0KB" in page and "File 2 · 3.0\xa0MB" in page
    assert page.count('data-testid="batch-reference"') == 1 and "MRN-&lt;7&gt;" in page
    assert "a.png" not in page and "b.png" not in page


def test_the_batch_page_and_status_are_the_owners_only(patient_client, doctor_client, patient,
                                                       data_dir):
    batch, _ = batches.create_batch(patient, [SimpleUploadedFile("a.png", b"x"),
                                              SimpleUploadedFile("b.png", b"y")])
    for name in ("screening:batch", "screening:batch_status"):
        assert patient_client.get(reverse(name, args=[batch.pk])).status_code == 200
        assert doctor_client.get(reverse(name, args=[batch.pk])).status_code == 404
        assert patient_client.get(reverse(name, args=[batch.pk + 1])).status_code == 404


def test_a_batch_whose_reading_was_deleted_still_shows(patient_client, api_client_factory, patient,
                                                       model_dir, media_root, data_dir, xray_paths):
    """Deleting one of a batch's readings leaves the batch page, its status and the API's status
    working, each saying that the reading is gone (the page once failed with a server error)."""
    batch, _ = batches.create_batch(patient, [
        SimpleUploadedFile("a.png", xray_paths["covid"][0].read_bytes()),
        SimpleUploadedFile("b.png", xray_paths["normal"][0].read_bytes())])
    batches.run_queued(batch)
    kept, deleted = (item.reading_id for item in batch.items.all())
    assert patient_client.post(reverse("screening:delete", args=[deleted])).status_code == 302
    assert not Reading.objects.filter(pk=deleted).exists()

    page = patient_client.get(reverse("screening:batch", args=[batch.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="batch-reading-deleted"') == 1
    assert reverse("screening:detail", args=[kept]) in html
    status = patient_client.get(reverse("screening:batch_status", args=[batch.pk]))
    assert status.status_code == 200 and 'data-testid="batch-reading-deleted"' in status.json()["html"]
    body = api_client_factory(patient).get(reverse("api:batch", args=[batch.pk])).json()
    assert [(i["state"], i["reading_id"], i["reading_deleted"]) for i in body["items"]] == [
        ("done", kept, False), ("done", None, True)]


def test_a_job_delivered_twice_reads_its_file_once(patient, model_dir, media_root, data_dir,
                                                   xray_paths):
    batch, _ = batches.create_batch(patient, [
        SimpleUploadedFile("a.png", xray_paths["covid"][0].read_bytes()),
        SimpleUploadedFile("b.txt", b"hello " * 20)])
    first, second = batch.items.all()
    assert batches.read_item(first.pk) == "done"
    assert batches.read_item(first.pk) == "done"  # the redelivery finds it done
    assert batches.read_item(second.pk) == "refused"
    assert batches.read_item(second.pk) == "refused"
    assert Reading.objects.count() == 1
    second.refresh_from_db()
    assert (second.refusal_code, second.refusal_status) == ("unsupported_format", 415)
    # An item a killed worker left "reading" is read by the next delivery.
    third, _ = batches.create_batch(patient, [SimpleUploadedFile("c.png", xray_paths["normal"][0].read_bytes()),
                                              SimpleUploadedFile("d.png", b"")])
    item = third.items.first()
    BatchItem.objects.filter(pk=item.pk).update(state="reading")
    assert batches.read_item(item.pk) == "done"
    assert Reading.objects.count() == 2


@pytest.mark.parametrize("upload_language", ["en", "id"])
def test_a_refusal_is_worded_in_the_readers_language(patient_client, patient, model_dir, media_root, data_dir,
                                                     upload_language):
    """Refusals were worded once, in the upload's language: a reader who switched language
    afterwards read them in the old one. They are kept in English with the engine's notice and
    worded when shown, on the page, in its status and in the API."""
    from django.utils import translation

    with translation.override(upload_language):
        batch, _ = batches.create_batch(patient, [SimpleUploadedFile("a.png", b""),
                                                  SimpleUploadedFile("b.txt", b"hello " * 20)])
    batches.run_queued(batch)
    empty, text = batch.items.all()
    assert (empty.refusal_code, text.refusal_code) == ("empty_file", "unsupported_format")
    assert text.refusal_notice["code"] == "not_an_image"
    for language in ("en", "id"):
        with translation.override(language):
            title = translation.gettext("This file type is not supported")
            detail = translation.gettext("PNG, JPEG, TIFF, BMP or DICOM")
        page = patient_client.get(reverse("screening:batch", args=[batch.pk]),
                                  HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert title in page and detail in page
        status = patient_client.get(reverse("screening:batch_status", args=[batch.pk]),
                                    HTTP_ACCEPT_LANGUAGE=language).json()
        problem = status["items"][1]["problem"]
        assert problem["title"] == title and detail in problem["detail"]
    with translation.override("id"):
        assert translation.gettext("This file type is not supported") != "This file type is not supported"


def test_an_idempotency_key_reused_for_other_files_is_refused(api_client_factory, patient,
                                                             data_dir):
    api = api_client_factory(patient)
    url = reverse("api:readings_batch")
    files = [SimpleUploadedFile("a.png", b"one"), SimpleUploadedFile("b.png", b"two")]
    first = api.post(url, {"images": files}, HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 202 and first["Idempotent-Replayed"] == "false"
    other = [SimpleUploadedFile("a.png", b"three"), SimpleUploadedFile("b.png", b"two")]
    refused = api.post(url, {"images": other}, HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == 422 and refused.json()["code"] == "idempotency_key_reused"
    assert UploadBatch.objects.count() == 1 and OrmQ.objects.count() == 2


def test_the_api_batch_status_is_the_owners_only(api_client_factory, patient, doctor, data_dir):
    batch, _ = batches.create_batch(patient, [SimpleUploadedFile("a.png", b"x"),
                                              SimpleUploadedFile("b.png", b"y")])
    url = reverse("api:batch", args=[batch.pk])
    body = api_client_factory(patient).get(url).json()
    assert (body["id"], body["state"], body["status_url"]) == (batch.pk, "running", f"http://testserver{url}")
    other = api_client_factory(doctor).get(url)
    assert other.status_code == 404 and other.json()["code"] == "not_found"


def test_the_openapi_document_describes_the_batch_status(client):
    document = client.get(reverse("api:openapi")).json()
    create = document["paths"]["/readings/batch/"]["post"]["responses"]
    assert "202" in create and "Location" in create["202"]["headers"]
    assert create["202"]["links"]["GetBatch"]["operationId"] == "getBatch"
    get = document["paths"]["/batches/{id}/"]["get"]
    assert {"200", "401", "404", "429"} <= set(get["responses"])
