"""`manage.py model_status`: which model the site will serve, said at start-up (`make run`)."""
import sys

import pytest
from django.core.management import call_command

from cxr.inference import ModelCard
from webapp.screening.engine import configured_model_dir


def test_model_status_reports_a_missing_model(tmp_path, settings, capsys):
    settings.CXR_MODEL_DIR = str(tmp_path)
    call_command("model_status")  # returns normally: exit status 0
    out = capsys.readouterr().out
    assert out.startswith("No model installed:")
    assert str(tmp_path) in out


def test_model_status_survives_a_missing_inference_package(monkeypatch, capsys):
    # None in sys.modules makes `import cxr.inference` raise ImportError.
    monkeypatch.setitem(sys.modules, "cxr.inference", None)
    call_command("model_status")
    assert capsys.readouterr().out.startswith("No model installed: cannot import cxr.inference")


def test_model_status_names_the_installed_model(capsys):
    model_dir = configured_model_dir()
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"no exported model at {model_dir}")
    call_command("model_status")
    out = capsys.readouterr().out
    card = ModelCard.load(model_dir)
    assert out.startswith(f"Model: {card.name} version {card.version}")


def test_model_status_names_the_site_calibration_or_why_it_cannot_be_used(settings, tmp_path, capsys):
    from webapp.tests.support.screening_helpers import write_site_calibration

    model_dir = configured_model_dir()
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"no exported model at {model_dir}")
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(model_dir, tmp_path / "site.json", 0.8, cases=60,
                                                               set_threshold=0.9))
    call_command("model_status")
    out = capsys.readouterr().out
    assert "Site calibration: " in out and "60 labelled X-rays (2026-12-01, Ward 3)" in out
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(model_dir, tmp_path / "old.json", 0.8, version="old",
                                                               cases=60, set_threshold=0.9))
    call_command("model_status")
    out = capsys.readouterr().out
    assert "cannot be used" in out and "model old's readings" in out
