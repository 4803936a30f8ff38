"""`make run`'s hospital import (the Makefile's `hospitals` target) with a shared data folder whose
hospitals/ holds no list: a reason is shown and `make run` goes on.

Found by an audit: the glob stayed literal ("hospitals/*.csv"), import_hospitals could not read
that file and failed, and make stopped before serving the app.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_hospitals(shared: Path, data_dir: Path) -> subprocess.CompletedProcess:
    """The `hospitals` target alone (`-o migrate`: its database is migrated here beforehand)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CXR_SHARED_DATA", "DATA_DIR", "DATABASE_URL",
                                                            "DJANGO_SETTINGS_MODULE")}
    env.update(CXR_SHARED_DATA=str(shared), DATA_DIR=str(data_dir))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO_DIR, env=env, check=True, timeout=300)
    return subprocess.run(["make", "--no-print-directory", "-s", "-o", "migrate", "hospitals"], cwd=REPO_DIR,
                          env=env, capture_output=True, text=True, timeout=300)


def test_a_hospitals_folder_without_a_list_is_skipped_with_a_reason(tmp_path):
    (tmp_path / "shared" / "hospitals").mkdir(parents=True)
    (tmp_path / "shared" / "hospitals" / "README.txt").write_text("lists go here\n")
    done = make_hospitals(tmp_path / "shared", tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert f"No hospital list (*.csv) in {tmp_path}/shared/hospitals" in done.stdout
    assert "manage.py import_hospitals FILE" in done.stdout


def test_no_hospitals_folder_still_says_how_to_import(tmp_path):
    (tmp_path / "shared").mkdir()
    done = make_hospitals(tmp_path / "shared", tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert f"No hospital data at {tmp_path}/shared/hospitals" in done.stdout


@pytest.mark.django_db
def test_if_empty_says_how_to_add_a_list_it_skipped(tmp_path):
    """--if-empty skips every file once any hospital is stored, whatever its source: after a list
    imported by hand, `make run` never imports the shared folder's. It says so, and how to add it."""
    from io import StringIO

    from django.core.management import call_command

    from webapp.hospitals.models import Hospital

    Hospital.objects.create(name="RS X", latitude=-6.2, longitude=106.8, source="mine", external_id="x")
    out = StringIO()
    call_command("import_hospitals", "--if-empty", str(tmp_path / "us.csv"), stdout=out)
    assert "1 hospital already stored: nothing imported" in out.getvalue()
    assert f"To add a list, import it without --if-empty: manage.py import_hospitals {tmp_path}/us.csv" in out.getvalue()
