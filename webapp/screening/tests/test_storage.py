"""Storage of readings (files + row, atomically), orphan cleanup, and the shared predictor."""
from __future__ import annotations

import dataclasses
import os
import threading
import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse

from webapp.screening import engine, storage
from webapp.screening.models import Reading, UploadBatch
from webapp.tests.support.screening_helpers import (
    prediction_for,
    store_reading,
)
from webapp.tests.support.security_helpers import stored_files


def test_a_reading_is_files_plus_a_row(patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    folder = media_root / str(patient.pk) / str(reading.storage_key)
    assert reading.original_path == f"{patient.pk}/{reading.storage_key}/original.png"
    assert storage.absolute_path(reading.heatmap_path) == folder / "heatmap.png"
    assert stored_files(media_root) == sorted(folder.iterdir())
    assert storage.missing_files(reading) == []


def test_files_are_removed_when_the_row_cannot_be_written(patient, model_dir, media_root, xray_paths,
                                                          monkeypatch):
    def failing_create(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Reading.objects, "create", failing_create)
    with pytest.raises(DatabaseError):
        store_reading(patient, model_dir, xray_paths["covid"][0])
    assert stored_files(media_root) == []


def test_refused_predictions_are_never_stored(patient, model_dir, media_root, xray_paths):
    prediction = prediction_for(model_dir, xray_paths["covid"][0])
    refused = dataclasses.replace(prediction, rejected=True, label=None)
    with pytest.raises(ValueError):
        storage.create_reading(patient, refused)
    assert stored_files(media_root) == [] and Reading.objects.count() == 0


def test_stored_paths_cannot_leave_the_private_root(media_root):
    for bad in ("../outside.png", "/etc/passwd", "1/../../x.png", ""):
        with pytest.raises(ValueError):
            storage.absolute_path(bad)


def test_deleting_a_user_removes_their_images(make_user, model_dir, media_root, xray_paths,
                                              django_capture_on_commit_callbacks):
    user = make_user()
    store_reading(user, model_dir, xray_paths["covid"][0])
    store_reading(user, model_dir, xray_paths["normal"][0])
    assert len(stored_files(media_root)) == 6
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert stored_files(media_root) == []


def test_cleanup_orphans_reports_then_removes(patient, model_dir, media_root, xray_paths, capsys,
                                              django_capture_on_commit_callbacks):
    healthy = store_reading(patient, model_dir, xray_paths["covid"][0])
    broken = store_reading(patient, model_dir, xray_paths["normal"][0])
    storage.absolute_path(broken.original_path).unlink()
    old_orphan = media_root / str(patient.pk) / "0b1c2d3e-0000-4000-8000-000000000000"
    old_orphan.mkdir()
    (old_orphan / "original.png").write_bytes(b"left over")
    an_hour_ago = time.time() - 2 * 3600
    os.utime(old_orphan, (an_hour_ago, an_hour_ago))
    fresh_orphan = media_root / str(patient.pk) / "upload-in-progress"
    fresh_orphan.mkdir()
    crashed_write = storage.reading_folder(patient.pk, healthy.storage_key) / ".original.png.0123.tmp"
    crashed_write.write_bytes(b"half a PNG")
    os.utime(crashed_write, (an_hour_ago, an_hour_ago))

    call_command("cleanup_orphans", "--dry-run")
    out = capsys.readouterr().out
    assert ("Dry run: 1 folder(s) without a reading, 1 reading(s) without their X-ray, "
            "1 temporary file(s) would be removed.") in out
    assert old_orphan.exists() and crashed_write.exists() and Reading.objects.filter(pk=broken.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_orphans")
    out = capsys.readouterr().out
    assert "1 folder(s) without a reading, 1 reading(s) without their X-ray, 1 temporary file(s) removed." in out
    assert not old_orphan.exists() and not crashed_write.exists()
    assert fresh_orphan.exists()  # may belong to an upload being saved right now
    assert not Reading.objects.filter(pk=broken.pk).exists()
    assert not storage.reading_folder(patient.pk, broken.storage_key).exists()
    assert storage.missing_files(Reading.objects.get(pk=healthy.pk)) == []


def test_cleanup_orphans_removes_nothing_when_the_storage_is_not_there(patient, model_dir, media_root, xray_paths,
                                                                      settings, django_capture_on_commit_callbacks):
    """A missing storage folder (a disk not mounted, PRIVATE_MEDIA_ROOT unset on the machine that
    runs the daily job) made every reading look "without files", and one run deleted them all."""
    from django.core.management.base import CommandError

    paths = [path for paths in xray_paths.values() for path in paths[:3]][:7]
    readings = [store_reading(patient, model_dir, path) for path in paths]
    settings.PRIVATE_MEDIA_ROOT = media_root.parent / "not-mounted"
    with pytest.raises(CommandError, match="does not exist"):
        call_command("cleanup_orphans")
    assert Reading.objects.count() == len(readings)
    # Mounted, but empty (or the wrong folder): more than a few, and a tenth, of the readings.
    settings.PRIVATE_MEDIA_ROOT = media_root.parent / "empty"
    (media_root.parent / "empty").mkdir()
    with pytest.raises(CommandError, match=f"{len(readings)} of {len(readings)} readings have no files"):
        call_command("cleanup_orphans", "--dry-run")
    with pytest.raises(CommandError, match="Nothing was removed"):
        call_command("cleanup_orphans")
    assert Reading.objects.count() == len(readings)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_orphans", "--force")  # the operator checked: the files are gone
    assert Reading.objects.count() == 0


def test_cleanup_orphans_keeps_a_queued_batchs_files_however_old(patient, media_root, capsys):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from webapp.screening import batches

    waiting, _ = batches.create_batch(patient, [SimpleUploadedFile("a.png", b"queued X-ray")])
    read, _ = batches.create_batch(patient, [SimpleUploadedFile("b.png", b"read X-ray")])
    read.items.update(state="done")  # its job finished, but was killed before removing the file
    two_hours_ago = time.time() - 2 * 3600
    for folder in batches.pending_root().iterdir():
        os.utime(folder, (two_hours_ago, two_hours_ago))

    call_command("cleanup_orphans")
    assert "1 folder(s) without a reading" in capsys.readouterr().out
    [kept] = [p for p in batches.pending_root().rglob("*") if p.is_file()]
    assert kept.read_bytes() == b"queued X-ray"  # a backlog of the queue is not an orphan


def test_one_predictor_per_process_even_under_concurrent_first_use(model_dir):
    engine._loaded.clear()
    results = []
    threads = [threading.Thread(target=lambda: results.append(engine.get_predictor()))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(p is results[0] for p in results)
    assert engine.get_predictor() is results[0]


def test_the_decoder_reads_whatever_the_upload_limit_lets_through(model_dir, settings):
    # An operator who raises MAX_UPLOAD_BYTES must not meet a second, lower limit in the decoder.
    settings.MAX_UPLOAD_BYTES = 200 * 1024 * 1024
    engine._loaded.clear()
    try:
        assert engine.get_predictor().max_bytes == 200 * 1024 * 1024
    finally:
        engine._loaded.clear()


def test_a_missing_model_is_reported_and_not_cached(settings, tmp_path):
    settings.CXR_MODEL_DIR = str(tmp_path / "empty")
    with pytest.raises(engine.ModelUnavailable):
        engine.get_predictor()
    assert not any(model == str(tmp_path / "empty") for model, _calibration in engine._loaded)


def test_every_file_is_synced_to_disk_before_its_row_is_inserted(patient, model_dir, media_root,
                                                                 xray_paths, monkeypatch):
    """The three files are made durable together (one journal commit), then the row names them."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        real_fsync(fd)
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))

    real_create = Reading.objects.create

    def create(**fields):
        assert sorted(synced) == sorted(storage.FILE_NAMES), synced
        for name in storage.FILE_NAMES:
            assert (media_root / fields["original_path"]).with_name(name).stat().st_size > 0
        return real_create(**fields)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Reading.objects, "create", create)
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    assert storage.missing_files(reading) == []
    assert not [p for p in media_root.rglob(".*.tmp")]  # no temporary file left behind


def test_a_damaged_model_file_leaves_the_site_up_without_a_model(model_dir, settings, tmp_path, client):
    """A model.onnx cut short (a copy interrupted during an upgrade) raised onnxruntime's own
    error, which no worker caught: gunicorn's workers failed to boot and the whole site was down.
    It is now "no model": pages are served, screening says so."""
    import shutil
    from types import SimpleNamespace

    from webapp.tests.support.gunicorn_conf import load_gunicorn_conf

    damaged = tmp_path / "damaged-model"
    shutil.copytree(model_dir, damaged)
    onnx = damaged / "model.onnx"
    onnx.write_bytes(onnx.read_bytes()[:1_000_000])
    settings.CXR_MODEL_DIR = str(damaged)
    engine._loaded.clear()
    try:
        with pytest.raises(engine.ModelUnavailable, match="cannot be loaded"):
            engine.get_predictor()
        # The worker's start-up hook logs it and goes on serving.
        conf = load_gunicorn_conf()
        logged = []
        conf["post_worker_init"](SimpleNamespace(log=SimpleNamespace(warning=lambda *a: logged.append(a))))
        assert logged and "cannot be loaded" in logged[0][1]
        assert client.get("/").status_code == 200
    finally:
        engine._loaded.clear()


def test_an_upload_with_the_storage_not_there_is_refused_and_makes_no_folder(patient_client, model_dir, media_root,
                                                                           xray_paths, settings):
    """With the share unmounted, the first upload made PRIVATE_MEDIA_ROOT again on the local disk
    and stored its X-ray there: /healthz turned "ok" again, and once the share was back the
    reading had no files, for cleanup_orphans to delete (the operator audit). The root is never
    made by a save: the upload is refused (503) and nothing is kept."""
    settings.PRIVATE_MEDIA_ROOT = media_root.parent / "not-mounted"
    with open(xray_paths["normal"][0], "rb") as image:
        response = patient_client.post(reverse("screening:upload"), {"image": image})
    assert response.status_code == 503
    assert "cannot store X-rays" in response.content.decode()
    assert not (media_root.parent / "not-mounted").exists()
    assert Reading.objects.count() == 0
    # Several files wait in the storage for the queue: refused the same way.
    with open(xray_paths["normal"][0], "rb") as first, open(xray_paths["covid"][0], "rb") as second:
        response = patient_client.post(reverse("screening:upload"), {"image": [first, second]})
    assert response.status_code == 503 and "cannot store X-rays" in response.content.decode()
    assert not (media_root.parent / "not-mounted").exists()
    assert UploadBatch.objects.count() == 0
