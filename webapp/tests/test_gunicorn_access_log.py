"""gunicorn with the project's configuration (webapp/gunicorn.conf.py) writes an access log, and
behind a proxy it names the visitor, not the proxy.

The operator audit found production without any access log (the systemd unit of docs/deploy.md
did not ask for one); with one, every line would have named nginx. A real gunicorn on a
loopback port, with the settings an operator sets behind one nginx (TRUSTED_PROXY_COUNT=1).
"""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from webapp.tests.support.live_server import GUNICORN, REPO_DIR, free_port, request

pytestmark = pytest.mark.slow


def test_the_access_log_names_the_visitor_behind_the_proxy(tmp_path, model_dir):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_ENV", "SECRET_KEY", "PRIVATE_MEDIA_ROOT", "GUNICORN_BIND")}
    env.update(DATA_DIR=str(tmp_path / "data"), CXR_MODEL_DIR=str(model_dir), WEB_CONCURRENCY="1",
               GUNICORN_THREADS="1", TRUSTED_PROXY_COUNT="1", GUNICORN_BIND=f"127.0.0.1:{port}")
    log = tmp_path / "stdout.log"
    with open(log, "w") as stdout:
        server = subprocess.Popen([str(GUNICORN), "-c", "webapp/gunicorn.conf.py", "webapp.wsgi:application"],
                                  cwd=REPO_DIR, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                # A client's own X-Forwarded-For entry, then the one our nginx appended.
                status, _ = request(port, "GET", "/healthz", headers={
                    "X-Forwarded-For": "198.51.100.7, 203.0.113.9"}, timeout=30)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if "/healthz" in line]
    assert len(lines) == 1, log.read_text()
    assert lines[0].startswith("203.0.113.9 "), lines[0]
    assert f'"GET /healthz HTTP/1.1" {status} ' in lines[0]
