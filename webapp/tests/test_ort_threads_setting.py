"""A $CXR_ORT_THREADS that is not a number of threads stops the app as it starts, naming the
variable (as the other settings do), instead of leaving the model unavailable and failing every
reading. Checked the way an operator starts the app: a fresh `manage.py` process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]


def check(tmp_path: Path, threads: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(CXR_ORT_THREADS=threads, DATA_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("threads", ["abc", "0"])
def test_a_wrong_thread_count_stops_the_start(tmp_path, threads):
    result = check(tmp_path, threads)
    assert result.returncode != 0
    assert (f"ImproperlyConfigured: CXR_ORT_THREADS='{threads}' is not a number of threads: set it "
            "to a whole number, 1 or more") in result.stderr, result.stderr


def test_a_thread_count_starts(tmp_path):
    result = check(tmp_path, "1")
    assert result.returncode == 0, result.stderr
