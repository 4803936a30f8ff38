"""A queue worker whose model cannot be loaded (its CXR_MODEL_DIR damaged) must not refuse the
files it is given: the operator audit found every queued file refused for good ("The screening
model cannot be used"), the job recorded as a success and the log saying only "refused".

The files are good; the worker is not. Each job fails, so the queue tries it again (QUEUE_RETRY,
up to QUEUE_MAX_ATTEMPTS), and the file stays "Queued", not "Being read": nobody reads it. Once
the queue has given up and the model is repaired, `cleanup_orphans` queues the file again and
a worker reads it. Every refusal is logged with its code.

A real `manage.py qcluster` against a fresh SQLite database, real X-rays, the bundled model
copied and cut short (a copy that failed half-way), as in webapp/tests/test_health.py.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.tests.support.worker_cluster import (
    REPO_DIR,
    manage,
    query,
    running_cluster,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.slow

CREATE_BATCH = """
import sys
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from webapp.accounts.models import User
from webapp.screening import batches
owner = User.objects.create_user(email='batch@hospital.example', password=None, full_name='B')
files = [SimpleUploadedFile('a.png', open(sys.argv[1], 'rb').read()),
         SimpleUploadedFile('notes.txt', b'not an image ' * 40)]
batches.create_batch(owner, files)
"""


def items(database: Path) -> list[tuple]:
    return query(database, "SELECT state, refusal_code, reading_id IS NOT NULL "
                           "FROM screening_batchitem ORDER BY \"index\"")


def test_a_worker_without_a_usable_model_leaves_the_files_queued_for_later(tmp_path, model_dir,
                                                                          xray_paths):
    damaged = tmp_path / "damaged-model"
    shutil.copytree(model_dir, damaged)
    with open(damaged / "model.onnx", "r+b") as model:
        model.truncate(100_000)
    data_dir = tmp_path / "data"
    database = data_dir / "db.sqlite3"
    env = worker_env(data_dir, damaged, QUEUE_MAX_ATTEMPTS="2")
    manage(env, "migrate", "--noinput")
    made = subprocess.run([sys.executable, "-c", CREATE_BATCH, str(xray_paths["normal"][0])],
                          cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr

    log = tmp_path / "worker.log"
    with open(log, "w") as stderr, running_cluster(env, stderr=stderr):
        # Each job tried twice (QUEUE_RETRY=14 s apart), then given up: off the queue.
        wait_for(lambda: query(database, "SELECT COUNT(*) FROM django_q_ormq") == [(0,)]
                 and query(database, "SELECT COUNT(*) FROM django_q_task") == [(2,)], 120,
                 "the queue to give both jobs up")
    assert query(database, "SELECT success, attempt_count FROM django_q_task") == [(0, 2), (0, 2)]
    assert items(database) == [("queued", "", 0), ("queued", "", 0)]  # not refused, not "reading"
    text = log.read_text()
    assert text.count("not read, left queued to be tried again (model_unusable: the model in") == 4, \
        text[-3000:]

    # The model repaired: cleanup_orphans queues the files the queue gave up on, and they are read.
    env = worker_env(data_dir, model_dir)
    out = manage(env, "cleanup_orphans", "--min-age-minutes", "0")
    assert "2 waiting file(s) of uploads queued again." in out
    with open(log, "w") as stderr, running_cluster(env, stderr=stderr):
        wait_for(lambda: [state for state, *_ in items(database)] == ["done", "refused"], 120,
                 f"both files read, have {items(database)}")
    assert items(database) == [("done", "", 1), ("refused", "unsupported_format", 0)]
    assert "file 1: refused (unsupported_format)" in log.read_text()
