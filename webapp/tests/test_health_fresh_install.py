"""A fresh development install (no PRIVATE_MEDIA_ROOT in the environment, no upload yet) is
healthy once migrated: the default media folder is made at startup, owner-only, as uploads would
make it. Before `migrate` it is not: the pages' tables are missing (found by an audit: /healthz
said ok while /hospitals/ answered 500)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from webapp.tests.test_deploy_settings import REPO_DIR

PROBE = """
import django, json
django.setup()
from django.test import Client
health = Client().get("/healthz")
print(json.dumps({"status": health.status_code, "body": health.json()}))
"""


def _health(env) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_fresh_development_install_is_healthy_before_the_first_upload(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_ENV", "PRIVATE_MEDIA_ROOT", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="webapp.settings", DATA_DIR=str(tmp_path / "data"))
    assert _health(env) == {"status": 503, "body": {"status": "unavailable", "checks": {
        "database": "migrations_pending", "model": "ok", "storage": "ok", "static": "ok",
        "queue": "unknown"}}}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=REPO_DIR,
                             env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    answer = _health(env)
    assert answer == {"status": 200, "body": {"status": "ok", "checks": {
        "database": "ok", "model": "ok", "storage": "ok", "static": "ok", "queue": "ok"}}}
    media = tmp_path / "data" / "private"
    assert media.is_dir() and stat.S_IMODE(media.stat().st_mode) & 0o077 == 0
    assert list(media.iterdir()) == []
