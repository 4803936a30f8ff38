"""The console log an operator reads (settings.LOGGING, webapp/log_format.py), from a fresh process
with production settings, as gunicorn's workers and `manage.py qcluster` write it: every line
says when, how bad and which part of the app; a failing health probe and a forged Host header
are not a traceback or a line per request."""
from __future__ import annotations

import re
import subprocess
import sys

from webapp.tests.test_deploy_settings import REPO_DIR, production_env

# 2026-12-05T14:03:07.123+00:00 WARNING webapp.health: health: storage missing: ...
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
                  r"[\w.]+: ")


def run(tmp_path, code: str, **env: str) -> list[str]:
    """`code` after django.setup() in a fresh process with production settings: its log lines."""
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup()\n{code}"],
                            cwd=REPO_DIR, env=production_env(tmp_path, **env), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()


def test_each_log_line_says_its_time_level_and_logger(tmp_path):
    lines = run(tmp_path, "import logging; logging.getLogger('webapp.screening.batches').warning('hello')")
    assert len(lines) == 1, lines
    assert LINE.match(lines[0]), lines[0]
    assert lines[0].endswith(" WARNING webapp.screening.batches: hello")


PROBES = """
from django.test import Client
for _ in range(3):
    assert Client(HTTP_HOST="10.0.0.11:8000").get("/healthz").status_code == 503
"""


def test_a_failing_health_check_is_logged_once_not_at_every_probe(tmp_path):
    """docs/deploy.md: the log has the detail "once each time a check changes"; django.request
    added "Service Unavailable: /healthz" at every probe, every few seconds (the operator
    audit). Here the media folder is not mounted and the database not migrated."""
    lines = run(tmp_path, PROBES)
    assert not [line for line in lines if "Service Unavailable" in line or "django.request" in line], lines
    storage = [line for line in lines if "health: storage" in line]
    assert len(storage) == 1 and " WARNING webapp.health: health: storage missing" in storage[0]
    assert len([line for line in lines if "health: database migrations_pending" in line]) == 1
