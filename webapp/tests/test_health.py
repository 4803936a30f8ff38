"""GET /healthz (webapp/health.py): 200 when the database, the model and the image storage all
work, 503 naming the failing check otherwise; codes only, never a path or a traceback."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from webapp.tests.test_deploy_settings import REPO_DIR, production_env

pytestmark = pytest.mark.django_db
ALL_OK = {"status": "ok", "checks": {"database": "ok", "model": "ok", "storage": "ok", "static": "ok",
                                     "queue": "ok"}}


@pytest.fixture
def storage_root(media_root) -> Path:
    return media_root


def get_health(**headers):
    response = Client().get("/healthz", **headers)
    assert response["Content-Type"] == "application/json"
    return response


def assert_private(response, *secrets: Path) -> None:
    """No cookie, never cached, and nothing of the server's paths or errors in the body."""
    assert not response.cookies
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    for secret in secrets:
        assert str(secret) not in body
    assert "Traceback" not in body and "Error" not in body


def test_healthy_with_the_real_model_database_and_storage(model_dir, storage_root):
    response = get_health()
    assert response.status_code == 200
    assert response.json() == ALL_OK
    assert_private(response, model_dir, storage_root)
    assert list(storage_root.iterdir()) == []  # the write probe leaves nothing behind
    # A load balancer names the machine by its address, which is not in ALLOWED_HOSTS.
    assert get_health(HTTP_HOST="10.0.0.11:8000").status_code == 200
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_the_model_is_loaded_once_and_then_looked_up(model_dir, storage_root, monkeypatch):
    from cxr.inference import Predictor

    get_health()  # loads the model if this process has not yet
    monkeypatch.setattr(Predictor, "load", lambda *a, **k: pytest.fail("loaded the model again"))
    for _ in range(3):
        assert get_health().status_code == 200


def test_no_model_installed_is_503(settings, tmp_path, storage_root):
    settings.CXR_MODEL_DIR = str(tmp_path / "no-model")
    (tmp_path / "no-model").mkdir()
    response = get_health()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable",
                               "checks": {"database": "ok", "model": "not_installed", "storage": "ok",
                                          "static": "ok", "queue": "ok"}}
    assert_private(response, tmp_path)


def test_a_damaged_model_file_is_503_not_a_traceback(model_dir, settings, tmp_path, storage_root):
    damaged = tmp_path / "damaged"
    shutil.copytree(model_dir, damaged)
    with open(damaged / "model.onnx", "r+b") as model:  # a copy cut short
        model.truncate(100_000)
    settings.CXR_MODEL_DIR = str(damaged)
    response = get_health()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "model": "load_failed", "storage": "ok",
                                         "static": "ok", "queue": "ok"}
    assert_private(response, damaged)


def test_a_site_calibration_for_another_model_is_503(model_dir, settings, tmp_path, storage_root):
    from webapp.tests.support.screening_helpers import write_site_calibration

    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(
        model_dir, tmp_path / "old.json", 0.8, version="old", cases=60, set_threshold=0.9))
    response = get_health()
    assert response.status_code == 503
    assert response.json()["checks"]["model"] == "site_calibration_unusable"
    assert_private(response, tmp_path)


def test_missing_media_root_is_503(model_dir, media_root):
    media_root.rmdir()  # storage not mounted
    response = get_health()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "model": "ok", "storage": "missing",
                                         "static": "ok", "queue": "ok"}
    assert_private(response, media_root)


@pytest.fixture
def unwritable(storage_root):
    """The media root, made unwritable: mode 0500, or immutable for root (who ignores modes)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(storage_root)], capture_output=True).returncode:
            pytest.skip("running as root where chattr +i is not allowed: cannot make a folder unwritable")
        yield storage_root
        subprocess.run(["chattr", "-i", str(storage_root)], check=True)
    else:
        storage_root.chmod(0o500)
        yield storage_root
        storage_root.chmod(0o700)


def test_unwritable_media_root_is_503(model_dir, unwritable):
    response = get_health()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable",
                               "checks": {"database": "ok", "model": "ok", "storage": "not_writable",
                                          "static": "ok", "queue": "ok"}}
    assert_private(response, unwritable)


def test_a_failing_database_is_503(model_dir, storage_root, monkeypatch):
    from django.db import OperationalError, connection

    def refuse():
        raise OperationalError('could not connect to server: password authentication failed for "cxr"')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = get_health()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error", "model": "ok", "storage": "ok",
                                         "static": "ok", "queue": "unknown"}
    assert "password" not in response.content.decode()


PROBE = """
import django, json
django.setup()
from django.test import Client
plain = Client(HTTP_HOST="10.0.0.11:8000")
health = plain.get("/healthz")
print(json.dumps({"health": health.status_code, "body": health.json(),
                  "hsts": health.has_header("Strict-Transport-Security"),
                  "home": Client(HTTP_HOST="cxr.example.org").get("/").status_code}))
"""


def test_production_answers_a_plain_http_probe_without_redirecting(tmp_path):
    """And says 503 "static": "manifest_missing" until collectstatic has run: every page of
    production fails without its manifest, the error page too, and /healthz said "ok" (the
    operator audit)."""
    (tmp_path / "private").mkdir()
    env = production_env(tmp_path)

    def probe() -> dict:
        result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_DIR, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=REPO_DIR,
                             env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr  # a deployment migrates before it serves
    assert probe() == {"health": 503, "hsts": False, "home": 301, "body": {
        "status": "unavailable", "checks": {**ALL_OK["checks"], "static": "manifest_missing"}}}
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                             cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert collect.returncode == 0, collect.stderr
    assert probe() == {"health": 200, "body": ALL_OK, "hsts": False,
                       "home": 301}  # everything else is still redirected to HTTPS


MANIFEST_STORAGE = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}


def test_a_process_that_read_no_manifest_says_restart_needed(model_dir, storage_root, settings, tmp_path):
    """collectstatic run after a process had made its static storage: the manifest is there,
    but that process read its absence once and for all, and its pages still fail."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    response = get_health()
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK["checks"], "static": "manifest_missing"}
    assert_private(response, tmp_path)
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        staticfiles_storage.url("css/site.css")  # what every page then does

    settings.STATIC_ROOT.mkdir()
    (settings.STATIC_ROOT / "staticfiles.json").write_text(json.dumps(
        {"paths": {"css/site.css": "css/site.0123456789ab.css"}, "version": "1.1", "hash": "x"}))
    assert get_health().json()["checks"]["static"] == "restart_needed"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        staticfiles_storage.url("css/site.css")  # still: the reason for the code

    settings.STORAGES = {**settings.STORAGES}  # a fresh storage, as a restarted process has
    assert get_health().json() == ALL_OK
    assert staticfiles_storage.url("css/site.css") == "/static/css/site.0123456789ab.css"


def test_a_file_waiting_too_long_in_the_queue_is_degraded_not_503(model_dir, storage_root, settings, patient):
    """Nothing read a batch's files (no queue worker runs): monitoring hears of it, while the
    load balancer keeps this machine, which still serves pages."""
    import datetime

    from django.utils import timezone

    from webapp.screening.batch_models import BatchItem, UploadBatch

    batch = UploadBatch.objects.create(owner=patient)
    item = BatchItem.objects.create(batch=batch, index=0, size=10)
    assert get_health().json() == ALL_OK  # just queued
    settings.HEALTH_QUEUE_STALLED_SECONDS = 60
    BatchItem.objects.filter(pk=item.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=2))
    response = get_health()
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {
        "database": "ok", "model": "ok", "storage": "ok", "static": "ok", "queue": "stalled"}}
    BatchItem.objects.filter(pk=item.pk).update(state=BatchItem.State.DONE)
    assert get_health().json() == ALL_OK
