"""A multi-file upload read by a real worker process (`manage.py qcluster`, django-q2 on the
database), and the same with one of the cluster's workers killed with kill -9 mid-batch: every
file ends done or refused, none is read twice, nothing is left waiting.

The cluster runs as its own process group against a fresh SQLite database, exactly as a
deployment's worker does beside the web process. A failpoint (webapp.pacs.tasks.failpoint)
makes the first job that reaches it write its process id and wait; the test kills that worker,
the cluster replaces it, and the broker hands the unacknowledged job out again after
QUEUE_RETRY seconds (see webapp/pacs/tests/test_queue_crash.py for the PACS jobs).
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_DIR = Path(__file__).resolve().parents[3]
XRAYS = 4  # and one text file, which is refused

CREATE_BATCH = """
import sys
from django.core.files.uploadedfile import SimpleUploadedFile
from webapp.accounts.models import User
from webapp.screening import batches
owner = User.objects.create_user(email='batch@hospital.example', password=None, full_name='B')
files = [SimpleUploadedFile(f'{i}.png', open(p, 'rb').read()) for i, p in enumerate(sys.argv[1:])]
files.append(SimpleUploadedFile('notes.txt', b'not an image ' * 40))
batch, _ = batches.create_batch(owner, files, ['MRN-1'] * len(files))
print('batch', batch.pk)
"""


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def query(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def states(database: Path) -> dict[str, int]:
    return dict(query(database, "SELECT state, COUNT(*) FROM screening_batchitem GROUP BY state"))


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("failpoint", ["none", "batch_reading", "batch_after_commit"])
def test_a_batch_is_read_by_a_worker_even_one_killed_mid_batch(failpoint, tmp_path, model_dir,
                                                               xray_paths):
    data_dir = tmp_path / "data"
    marker = tmp_path / "failpoint.pid"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_ENV", "SECRET_KEY", "PRIVATE_MEDIA_ROOT")}
    env.update(DATA_DIR=str(data_dir), CXR_MODEL_DIR=str(model_dir), CXR_ORT_THREADS="1",
               QUEUE_WORKERS="2", QUEUE_TIMEOUT="12", QUEUE_RETRY="14")
    database = data_dir / "db.sqlite3"
    manage(env, "migrate", "--noinput")
    images = [str(p) for paths in xray_paths.values() for p in paths][:XRAYS]
    script = tmp_path / "create_batch.py"
    script.write_text(CREATE_BATCH)
    result = subprocess.run([sys.executable, "-c",
                             "import django, os, runpy, sys; "
                             "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'webapp.settings'); "
                             "django.setup(); sys.argv = sys.argv[1:]; "
                             "runpy.run_path(sys.argv[0], run_name='__main__')",
                             str(script), *images], cwd=REPO_DIR, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    total = XRAYS + 1
    assert states(database) == {"queued": total}
    assert query(database, "SELECT COUNT(*) FROM django_q_ormq") == [(total,)]
    assert len(list((data_dir / "pending-uploads").rglob("*.*"))) == 0  # no file names kept
    assert len([p for p in (data_dir / "pending-uploads").rglob("*") if p.is_file()]) == total

    cluster_env = dict(env)
    if failpoint != "none":
        cluster_env.update(PACS_FAILPOINT=failpoint, PACS_FAILPOINT_FILE=str(marker))
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO_DIR,
                               start_new_session=True, env=cluster_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        if failpoint != "none":
            pid = int(wait_for(lambda: marker.exists() and marker.read_text(), 120,
                               f"a job at the failpoint {failpoint}"))
            assert os.getpgid(pid) == cluster.pid  # one of the cluster's workers, not the test
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: states(database) == {"done": XRAYS, "refused": 1}, 150,
                 f"every file done or refused, have {states(database)}")
        if failpoint == "batch_reading":
            assert time.monotonic() - started > 14  # the killed job needed the redelivery
        assert cluster.poll() is None  # the cluster itself lived on
        wait_for(lambda: query(database, "SELECT COUNT(*) FROM django_q_ormq") == [(0,)], 60,
                 "the queue to empty")
    finally:
        cluster.send_signal(signal.SIGTERM)  # to the sentinel: it stops its workers itself
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()

    # One reading per X-ray, each with the batch's reference; the text file refused; nothing
    # read twice, no waiting file left, no reading folder without its row.
    assert query(database, "SELECT COUNT(*) FROM screening_reading") == [(XRAYS,)]
    assert query(database, "SELECT COUNT(DISTINCT reading_id) FROM screening_batchitem") == [(XRAYS,)]
    assert query(database, "SELECT DISTINCT patient_reference FROM screening_reading") == [("MRN-1",)]
    assert query(database, "SELECT refusal_code FROM screening_batchitem WHERE state='refused'") == [
        ("unsupported_format",)]
    assert [p for p in (data_dir / "pending-uploads").rglob("*")] == []
    folders = [p for p in (data_dir / "private").glob("*/*") if p.is_dir()]
    assert len(folders) == XRAYS
