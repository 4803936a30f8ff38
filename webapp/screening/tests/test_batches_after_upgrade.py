"""A multi-file upload queued before an upgrade is read after it. Release 8e61e1f moved the files
waiting for the queue from DATA_DIR/pending-uploads/ to PRIVATE_MEDIA_ROOT/pending-uploads/ and
nothing looked in the old place: each job failed with "No such file or directory" until the
queue gave up, its files stayed "Being read" for good, /healthz said "stalled" for good, and
deleting the account left the X-rays in DATA_DIR. A file that is gone from both places is now
refused with a message to upload it again, instead of failing for ever.

Real X-rays, the real queue functions (create_batch, read_item through run_queued, the
database broker's jobs) and the real account deletion page."""
from __future__ import annotations

import datetime
import re
import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_q.models import OrmQ

from webapp import health
from webapp.screening import batches
from webapp.screening.models import BatchItem, Reading, UploadBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT.mkdir(mode=0o700, exist_ok=True)
    return settings.DATA_DIR


def _batch_of_the_earlier_release(owner, xray_paths, data_dir):
    """Two real X-rays queued, their files where a release before 8e61e1f kept them."""
    files = [SimpleUploadedFile("a.png", xray_paths["covid"][0].read_bytes()),
             SimpleUploadedFile("b.png", xray_paths["normal"][0].read_bytes())]
    batch, _ = batches.create_batch(owner, files)
    [folder] = list(batches.pending_root().iterdir())
    (data_dir / batches.PENDING).mkdir()
    shutil.move(folder, data_dir / batches.PENDING / folder.name)
    return batch, data_dir / batches.PENDING / folder.name


def test_files_waiting_in_the_earlier_place_are_read_and_removed(patient, model_dir, data_dir,
                                                                 xray_paths):
    batch, old_folder = _batch_of_the_earlier_release(patient, xray_paths, data_dir)
    assert sorted(p.name for p in old_folder.iterdir()) == ["0", "1"]

    batches.run_queued(batch)

    assert list(batch.items.values_list("state", flat=True)) == ["done", "done"]
    assert Reading.objects.filter(owner=patient).count() == 2
    assert not old_folder.exists()  # removed once read, from where it waited


def test_a_file_gone_from_both_places_is_refused_with_a_message(patient_client, patient, model_dir,
                                                                data_dir, xray_paths, settings):
    batch, old_folder = _batch_of_the_earlier_release(patient, xray_paths, data_dir)
    (old_folder / "1").unlink()  # waited on another machine, or was lost

    assert batches.read_item(batch.items.get(index=0).pk) == "done"
    assert batches.read_item(batch.items.get(index=1).pk) == "refused"  # not an error to retry

    lost = batch.items.get(index=1)
    assert (lost.refusal_code, lost.refusal_status) == ("file_missing", 404)
    with translation.override("en"):
        status = patient_client.get(reverse("screening:batch_status", args=[batch.pk])).json()
        page = patient_client.get(reverse("screening:batch", args=[batch.pk])).content.decode()
    assert status["state"] == "finished"
    assert "File lost before it was read" in page
    assert "Upload it again." in page
    # Its row is marked lost, not "Refused" (which would say the picture was judged and turned down).
    assert re.findall(r'data-testid="batch-item-state">([^<]*)<', page) == ["Done", "Lost"]
    with translation.override("id"):
        page_id = patient_client.get(reverse("screening:batch", args=[batch.pk]),
                                     HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Unggah lagi" in page_id
    assert re.findall(r'data-testid="batch-item-state">([^<]*)<', page_id)[1] == "Hilang"
    # Nothing is left waiting: the health check's queue recovers.
    BatchItem.objects.update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    assert health.check_queue() == "ok"


def test_no_storage_at_all_is_retried_not_refused(patient, model_dir, data_dir, xray_paths, settings,
                                                  tmp_path):
    batch, _old_folder = _batch_of_the_earlier_release(patient, xray_paths, data_dir)
    shutil.rmtree(data_dir / batches.PENDING)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "not-mounted"
    with pytest.raises(FileNotFoundError):
        batches.read_item(batch.items.get(index=0).pk)
    assert batch.items.get(index=0).state == "queued"  # nobody reads it: the queue tries again later


def test_deleting_the_account_removes_files_waiting_in_the_earlier_place(
        patient_client, patient, model_dir, data_dir, xray_paths, user_password,
        django_capture_on_commit_callbacks):
    _batch, old_folder = _batch_of_the_earlier_release(patient, xray_paths, data_dir)
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(reverse("delete_account"), {"password": user_password})
    assert response.status_code == 302
    assert UploadBatch.objects.count() == 0
    assert not old_folder.exists()


def test_files_the_queue_gave_up_on_are_queued_again_by_cleanup_orphans(patient, model_dir,
                                                                        data_dir, xray_paths,
                                                                        capsys):
    """Installations that upgraded before this fix: the jobs failed QUEUE_MAX_ATTEMPTS times and
    left the queue, and the items say "reading"."""
    batch, old_folder = _batch_of_the_earlier_release(patient, xray_paths, data_dir)
    OrmQ.objects.all().delete()
    batch.items.update(state=BatchItem.State.READING,
                       updated_at=timezone.now() - datetime.timedelta(hours=2))

    call_command("cleanup_orphans", "--dry-run")
    assert "would queue again file 1 of upload batch" in capsys.readouterr().out
    assert OrmQ.objects.count() == 0
    call_command("cleanup_orphans")
    out = capsys.readouterr().out
    assert f"queued again file 0 of upload batch {batch.pk} (reading, no job on the queue)" in out
    assert "2 waiting file(s) of uploads queued again." in out
    assert sorted(job.name() for job in OrmQ.objects.all()) == sorted(
        batches.job_name(pk) for pk in batch.items.values_list("pk", flat=True))
    assert old_folder.exists()  # its files are not cleanup_orphans' to remove

    batches.run_queued(batch)
    assert list(batch.items.values_list("state", flat=True)) == ["done", "done"]
    call_command("cleanup_orphans")
    assert "queued again" not in capsys.readouterr().out
