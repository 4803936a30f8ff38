"""A served model whose card does not fit its network is reported unusable, not served with a
500 on every upload (operator audit, finding B): a copy of the bundled folder whose card named
2 classes passed `model_status --strict` and /healthz, then every upload, on the page and the
API, failed with a server error. Real parts: the bundled model, its card changed in a copy."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from webapp.screening.models import ApiToken, Reading

pytestmark = pytest.mark.django_db
MISFIT = "the card names 2 classes, the network gives 3"


@pytest.fixture
def two_class_card(model_dir, settings, tmp_path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    card = json.loads((folder / "model_card.json").read_text(encoding="utf-8"))
    (folder / "model_card.json").write_text(json.dumps({**card, "classes": ["covid", "normal"]}), encoding="utf-8")
    settings.CXR_MODEL_DIR = str(folder)
    return folder


def test_strict_model_status_fails_and_says_why(two_class_card, capsys):
    with pytest.raises(CommandError) as failed:
        call_command("model_status", "--strict")
    out = capsys.readouterr().out
    assert failed.value.returncode == 1, out
    assert out.startswith("No model installed: ") and MISFIT in out and "Model: " not in out


def test_health_is_503_and_uploads_say_the_model_is_unavailable_not_500(two_class_card, media_root, patient,
                                                                       patient_client, xray_paths):
    health = Client().get("/healthz")
    assert health.status_code == 503 and health.json()["checks"]["model"] == "load_failed"
    path = xray_paths["covid"][0]
    _token, key = ApiToken.issue(patient)
    answer = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
        reverse("api:readings"), {"image": SimpleUploadedFile(path.name, path.read_bytes())})
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "model_unusable"
    page = patient_client.post(reverse("screening:upload"), {"image": SimpleUploadedFile(path.name, path.read_bytes())})
    assert page.status_code == 503
    assert not Reading.objects.exists()
