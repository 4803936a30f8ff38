"""The hospital finder's indexes are built when a serving process starts, before anyone searches.

Found by an audit: the first search after a start took 7-18 s on the 2-core development machine
(the GeoNames place index was built inside it), later ones a tenth of a second or so; with
gunicorn, each worker's first search did. webapp/wsgi.py, which every gunicorn worker and `manage.py runserver` (`make
run`) import, now starts building them in the background (webapp/hospitals/warmup.py). No test
here sends a request: the server says in its log that they were built.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from webapp.tests.support.live_server import GUNICORN, REPO_DIR, free_port

BUILT = "The hospital finder's indexes were built"
THREAD = "hospital-finder-warm-up"
LISTED = (
    "from webapp.hospitals.models import Hospital;"
    "Hospital.objects.create(name='RSUD Dr. Soetomo', city='Surabaya', region='Jawa Timur', country='Indonesia',"
    " latitude=-7.2687, longitude=112.7582, source='test', external_id='1');"
    "Hospital.objects.create(name='RS Hasan Sadikin', city='Bandung', region='Jawa Barat', country='Indonesia',"
    " latitude=-6.8975, longitude=107.5986, source='test', external_id='2')"
)


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_ENV", "SECRET_KEY", "PRIVATE_MEDIA_ROOT")}
    env.update(DATA_DIR=str(data_dir), DJANGO_DEBUG="0", WEB_CONCURRENCY="1", CXR_ORT_THREADS="1")
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.mark.slow
@pytest.mark.parametrize("server", ["runserver", "gunicorn"])
def test_a_serving_process_builds_the_finders_indexes_before_any_search(tmp_path, server):
    env = environment(tmp_path)
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", LISTED)
    port = free_port()
    command = {
        "runserver": [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],  # make run
        "gunicorn": [str(GUNICORN), "-c", "webapp/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                     "webapp.wsgi:application"],
    }[server]
    log = tmp_path / "server.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while BUILT not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert BUILT in log.read_text(), log.read_text()[-3000:]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_tests_and_management_commands_do_not_build_them(tmp_path):
    """They pay for the indexes only when they search."""
    assert THREAD not in [thread.name for thread in threading.enumerate()]  # this test process
    env = environment(tmp_path)
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", LISTED)
    run = manage(env, "shell", "-c", "import threading; print([t.name for t in threading.enumerate()])")
    assert "MainThread" in run.stdout and THREAD not in run.stdout
