"""A served model folder without a part its card describes (lung_field.onnx, verifier.npz) is
reported as unusable everywhere an operator or user looks (operator audit, finding A): the
folder served silently with part of the image check off, while `model_status --strict` exited
0 and /healthz said "model": "ok". Real parts: the bundled model, copied into a temporary folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from webapp.screening import engine
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.screening_helpers import write_site_calibration

pytestmark = pytest.mark.django_db


def copy_without(model_dir: Path, folder: Path, missing: str) -> Path:
    if not (model_dir / missing).is_file():
        pytest.skip(f"the served model has no {missing}")
    shutil.copytree(model_dir, folder, ignore=shutil.ignore_patterns(missing))
    return folder


@pytest.mark.parametrize("missing", ["lung_field.onnx", "verifier.npz"])
def test_strict_model_status_fails_and_names_the_missing_file(model_dir, settings, tmp_path, capsys, missing):
    settings.CXR_MODEL_DIR = str(copy_without(model_dir, tmp_path / "model", missing))
    with pytest.raises(CommandError) as failed:
        call_command("model_status", "--strict")
    out = capsys.readouterr().out
    assert failed.value.returncode == 1, out
    assert out.startswith("No model installed: ") and "cannot be used" in out and missing in out
    assert "Model: " not in out


def test_health_is_503_and_uploads_are_refused_without_the_lung_field(model_dir, settings, tmp_path, media_root,
                                                                      patient, patient_client, xray_paths):
    settings.CXR_MODEL_DIR = str(copy_without(model_dir, tmp_path / "model", "lung_field.onnx"))
    health = Client().get("/healthz")
    assert health.status_code == 503 and health.json()["checks"]["model"] == "load_failed"

    _token, key = ApiToken.issue(patient)
    path = xray_paths["covid"][0]
    answer = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
        reverse("api:readings"), {"image": SimpleUploadedFile(path.name, path.read_bytes())})
    # Not "no model is installed": that sends the administrator to export one, not to repair it.
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "model_unusable"
    assert "model_status" in " ".join(answer.json()["error"]["advice"])
    page = patient_client.get(reverse("screening:upload")).content.decode()
    assert 'data-testid="model-unusable"' in page and 'id="upload-form"' not in page
    assert "No model is installed" not in page
    patient_client.cookies["django_language"] = "id"
    page = patient_client.get(reverse("screening:upload")).content.decode()
    assert "Model skrining tidak dapat dipakai" in page
    assert not Reading.objects.exists()


def test_the_site_check_page_says_the_model_cannot_be_used(model_dir, settings, tmp_path, admin_client):
    settings.CXR_MODEL_DIR = str(copy_without(model_dir, tmp_path / "model", "verifier.npz"))
    page = admin_client.get(reverse("screening:site_validation")).content.decode()
    assert 'data-testid="model-unusable"' in page and 'data-testid="no-model"' not in page


def test_how_it_works_says_the_model_it_describes_cannot_be_used(model_dir, settings, tmp_path, client,
                                                                  monkeypatch):
    """The page reads the card directly, so it described a damaged folder's model as if it served."""
    # No model loaded yet, whatever earlier tests loaded: what this page loads is what is checked.
    monkeypatch.setattr(engine, "_loaded", {})
    served = client.get(reverse("guide:how_it_works")).content.decode()
    assert 'data-testid="not-serving"' not in served
    settings.CXR_MODEL_DIR = str(copy_without(model_dir, tmp_path / "model", "lung_field.onnx"))
    page = client.get(reverse("guide:how_it_works")).content.decode()
    assert 'data-testid="not-serving"' in page and "The screening model cannot be used" in page
    assert "What follows describes the installed model as it was measured." in page
    assert not engine._loaded  # told from the files: a public page does not load the model


def test_how_it_works_says_a_site_calibration_that_does_not_fit(model_dir, settings, tmp_path, client,
                                                                 monkeypatch):
    monkeypatch.setattr(engine, "_loaded", {})  # as above
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(model_dir, tmp_path / "old.json", 0.0,
                                                               version="0.0-old"))
    page = " ".join(client.get(reverse("guide:how_it_works")).content.decode().split())
    assert 'data-testid="not-serving"' in page and "0.0-old" in page
    assert not engine._loaded
