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


# --- --strict: a deploy script's check (exit 1 when screening cannot be served) -------------

def strict_exit_status(capsys) -> tuple[int, str]:
    """`manage.py model_status --strict` in a fresh process's terms: (exit status, stdout)."""
    from django.core.management import CommandError

    try:
        call_command("model_status", "--strict")
    except CommandError as exc:
        return exc.returncode, capsys.readouterr().out
    return 0, capsys.readouterr().out


def test_strict_fails_without_a_model_and_still_reports(tmp_path, settings, capsys):
    settings.CXR_MODEL_DIR = str(tmp_path)
    status, out = strict_exit_status(capsys)
    assert status == 1 and out.startswith("No model installed:")
    call_command("model_status")  # without --strict: unchanged, exit status 0


def test_strict_fails_when_the_model_cannot_be_loaded(tmp_path, settings, capsys):
    model_dir = configured_model_dir()
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"no exported model at {model_dir}")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in model_dir.iterdir():
        (damaged / path.name).symlink_to(path)
    (damaged / "model.onnx").unlink()
    (damaged / "model.onnx").write_bytes((model_dir / "model.onnx").read_bytes()[:100_000])
    settings.CXR_MODEL_DIR = str(damaged)
    status, out = strict_exit_status(capsys)
    assert status == 1 and "could not be loaded" in out


def test_strict_fails_without_the_inference_package(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cxr.inference", None)
    status, out = strict_exit_status(capsys)
    assert status == 1 and out.startswith("No model installed: cannot import cxr.inference")


def test_strict_passes_with_a_servable_model_and_site_calibration(settings, tmp_path, capsys):
    from webapp.tests.support.screening_helpers import write_site_calibration

    model_dir = configured_model_dir()
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"no exported model at {model_dir}")
    settings.CXR_SITE_CALIBRATION = ""
    status, out = strict_exit_status(capsys)
    assert status == 0 and out.startswith("Model: ")
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(model_dir, tmp_path / "site.json", 0.8, cases=60,
                                                               set_threshold=0.9))
    status, out = strict_exit_status(capsys)
    assert status == 0 and "Site calibration: " in out


def test_strict_fails_when_the_site_calibration_cannot_be_used(settings, tmp_path, capsys):
    from webapp.tests.support.screening_helpers import write_site_calibration

    model_dir = configured_model_dir()
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"no exported model at {model_dir}")
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(model_dir, tmp_path / "old.json", 0.8, version="old",
                                                               cases=60, set_threshold=0.9))
    status, out = strict_exit_status(capsys)
    assert status == 1 and out.startswith("Model: ") and "cannot be used" in out
    settings.CXR_SITE_CALIBRATION = str(tmp_path / "never-written.json")
    status, out = strict_exit_status(capsys)
    assert status == 1 and "cannot be used" in out
    call_command("model_status")  # without --strict: unchanged, exit status 0


def test_strict_exit_status_of_the_real_command(tmp_path):
    """The exit status a deploy script sees, from a real `manage.py` process."""
    import os
    import subprocess

    from webapp.tests.test_deploy_settings import REPO_DIR

    env = {**os.environ, "CXR_MODEL_DIR": str(tmp_path), "DATA_DIR": str(tmp_path / "data")}
    env.pop("DJANGO_ENV", None)
    missing = subprocess.run([sys.executable, "manage.py", "model_status", "--strict"], cwd=REPO_DIR,
                             env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and missing.stdout.startswith("No model installed:")
    lenient = subprocess.run([sys.executable, "manage.py", "model_status"], cwd=REPO_DIR,
                             env=env, capture_output=True, text=True, timeout=120)
    assert lenient.returncode == 0 and lenient.stdout.startswith("No model installed:")


def test_the_command_prints_its_report_and_nothing_else(tmp_path):
    """A script reading `model_status` (or any manage.py command) gets no login-lockout banner:
    django-axes logged "AXES: BEGIN version ..., blocking by ..." on every command's start."""
    import os
    import subprocess

    from webapp.tests.test_deploy_settings import REPO_DIR

    env = {**os.environ, "CXR_MODEL_DIR": str(tmp_path), "DATA_DIR": str(tmp_path / "data")}
    env.pop("DJANGO_ENV", None)
    run = subprocess.run([sys.executable, "manage.py", "model_status"], cwd=REPO_DIR, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    assert "AXES" not in run.stdout + run.stderr
