"""The console log an operator reads (settings.LOGGING, webapp/log_format.py), from a fresh process
with production settings, as gunicorn's workers and `manage.py qcluster` write it: every line
says when, how bad and which part of the app; a failing health probe and a forged Host header
are not a traceback or a line per request."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from webapp.tests.test_deploy_settings import REPO_DIR, manage, production_env

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


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic's output, once: production's 400 page names its files through the manifest."""
    folder = tmp_path_factory.mktemp("static")
    result = manage(production_env(folder, STATIC_ROOT=str(folder)), "collectstatic", "--noinput")
    assert result.returncode == 0, result.stderr
    return folder


def test_a_forged_host_header_is_one_warning_line(tmp_path, static_root):
    """Each request with a Host not in ALLOWED_HOSTS was an error with a 13-line traceback, for a
    client's (often a scanner's) mistake answered with 400 (the operator audit)."""
    code = ("from django.test import Client\n"
            "assert Client(HTTP_HOST='attacker.example.com').get('/').status_code == 400")
    lines = run(tmp_path, code, SECURE_SSL_REDIRECT="off", STATIC_ROOT=str(static_root))
    assert len(lines) == 1, lines
    assert LINE.match(lines[0]) and " WARNING django.security.DisallowedHost: " in lines[0], lines
    assert "Invalid HTTP_HOST header: 'attacker.example.com'" in lines[0]
    # LOG_LEVEL=ERROR keeps warnings out, this one too.
    assert run(tmp_path, code, SECURE_SSL_REDIRECT="off", STATIC_ROOT=str(static_root),
               LOG_LEVEL="ERROR") == []
