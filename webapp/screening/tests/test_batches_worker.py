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

import subprocess
import sys
import time
from pathlib import Path

import pytest

from webapp.tests.support.worker_cluster import (
    REPO_DIR,
    kill_worker_at_failpoint,
    manage,
    query,
    running_cluster,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.slow

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


def states(database: Path) -> dict[str, int]:
    return dict(query(database, "SELECT state, COUNT(*) FROM screening_batchitem GROUP BY state"))


@pytest.mark.parametrize("failpoint", ["none", "batch_reading", "batch_after_commit"])
def test_a_batch_is_read_by_a_worker_even_one_killed_mid_batch(failpoint, tmp_path, model_dir,
                                                               xray_paths):
    data_dir = tmp_path / "data"
    marker = tmp_path / "failpoint.pid"
    env = worker_env(data_dir, model_dir)
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
    assert len(list((data_dir / "private" / "pending-uploads").rglob("*.*"))) == 0  # no file names kept
    assert len([p for p in (data_dir / "private" / "pending-uploads").rglob("*") if p.is_file()]) == total

    cluster_env = dict(env)
    if failpoint != "none":
        cluster_env.update(PACS_FAILPOINT=failpoint, PACS_FAILPOINT_FILE=str(marker))
    with running_cluster(cluster_env) as cluster:
        started = time.monotonic()
        if failpoint != "none":
            kill_worker_at_failpoint(cluster, marker, failpoint)
        wait_for(lambda: states(database) == {"done": XRAYS, "refused": 1}, 150,
                 f"every file done or refused, have {states(database)}")
        if failpoint == "batch_reading":
            assert time.monotonic() - started > 14  # the killed job needed the redelivery
        assert cluster.poll() is None  # the cluster itself lived on
        wait_for(lambda: query(database, "SELECT COUNT(*) FROM django_q_ormq") == [(0,)], 60,
                 "the queue to empty")

    # One reading per X-ray, each with the batch's reference; the text file refused; nothing
    # read twice, no waiting file left, no reading folder without its row.
    assert query(database, "SELECT COUNT(*) FROM screening_reading") == [(XRAYS,)]
    assert query(database, "SELECT COUNT(DISTINCT reading_id) FROM screening_batchitem") == [(XRAYS,)]
    assert query(database, "SELECT DISTINCT patient_reference FROM screening_reading") == [("MRN-1",)]
    assert query(database, "SELECT refusal_code FROM screening_batchitem WHERE state='refused'") == [
        ("unsupported_format",)]
    assert [p for p in (data_dir / "private" / "pending-uploads").rglob("*")] == []
    folders = [p for p in (data_dir / "private").glob("*/*") if p.is_dir()]
    assert len(folders) == XRAYS
