"""The deployment recipe of docs/deploy.md, run for real: production settings, migrate,
collectstatic, gunicorn on loopback, and what a reverse proxy in front of it would see.

On the PostgreSQL pass of `make test` (DATABASE_URL set) the server uses a fresh database of that
PostgreSQL server, created and dropped here; otherwise SQLite in a temporary folder.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
import uuid

import pytest

from webapp.tests.support.live_server import GUNICORN, REPO_DIR, free_port

# `database_url`: the PostgreSQL pass keeps it (conftest.py, --database-tests-only).
pytestmark = [pytest.mark.slow, pytest.mark.database_url]


@pytest.fixture
def database_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield ""  # SQLite under DATA_DIR
        return
    import psycopg

    name = f"deploy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def get(port: int, path: str, host: str = "cxr.example.org", https: bool = True):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": host, **({"X-Forwarded-Proto": "https"} if https else {})}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_gunicorn_in_production_mode_behind_a_proxy(tmp_path, database_url):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(64),
               ALLOWED_HOSTS="cxr.example.org", DATA_DIR=str(tmp_path / "data"),
               STATIC_ROOT=str(tmp_path / "static"), LOG_LEVEL="CRITICAL")
    # Production takes no default database or media folder: SQLite is named explicitly.
    env["DATABASE_URL"] = database_url or f"sqlite:///{tmp_path / 'data' / 'db.sqlite3'}"
    env["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "data" / "private")
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=REPO_DIR, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr

    port = free_port()
    server = subprocess.Popen([str(GUNICORN), "webapp.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", "2"], cwd=REPO_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                status, headers, body = get(port, "/")
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("gunicorn exited at start")
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer within a minute")
        assert status == 200
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "Secure" in headers.get("Set-Cookie", "Secure")

        # Plain HTTP is sent to HTTPS; an unknown Host header is refused.
        status, headers, _ = get(port, "/", https=False)
        assert status == 301 and headers["Location"] == "https://cxr.example.org/"
        assert get(port, "/", host="attacker.example.com")[0] == 400

        # Static files come from collectstatic's hashed, compressed copies via whitenoise.
        stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "the page does not link a hashed stylesheet"
        status, headers, _ = get(port, stylesheet.group(1).decode())
        assert status == 200 and "immutable" in headers.get("Cache-Control", "")

        # The database works: a page that needs login redirects, the login page renders.
        status, headers, _ = get(port, "/screening/readings/")
        assert status == 302 and "/accounts/login/" in headers["Location"]
        assert get(port, "/accounts/login/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
