"""A real django-q2 worker cluster in its own process group, for the queue's kill -9 tests.

Shared by webapp/pacs/tests/test_queue_crash.py and webapp/screening/tests/test_batches_worker.py:
both run `manage.py` against a fresh SQLite database in a temporary DATA_DIR, start
`manage.py qcluster` as a deployment's worker would, kill one worker at a failpoint and check
the database afterwards.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[3]
# Settings of the test process that must not leak into the worker's own fresh database.
_NOT_INHERITED = ("DATABASE_URL", "DJANGO_ENV", "SECRET_KEY", "PRIVATE_MEDIA_ROOT")


def worker_env(data_dir: Path, model_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of `manage.py` and the cluster: their own DATA_DIR, the served model, one
    ONNX thread, two queue workers with short timeouts (a killed job comes back in seconds)."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(DATA_DIR=str(data_dir), CXR_MODEL_DIR=str(model_dir), CXR_ORT_THREADS="1",
               QUEUE_WORKERS="2", QUEUE_TIMEOUT="12", QUEUE_RETRY="14", **settings)
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def query(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def running_cluster(env: dict, stderr=subprocess.DEVNULL) -> Iterator[subprocess.Popen]:
    """`manage.py qcluster` in a session of its own; stopped (and its group killed if need be)
    when the block ends."""
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO_DIR,
                               start_new_session=True, env=env, stdout=subprocess.DEVNULL,
                               stderr=stderr)
    try:
        yield cluster
    finally:
        cluster.send_signal(signal.SIGTERM)  # to the sentinel: it stops its workers itself
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()


def kill_worker_at_failpoint(cluster: subprocess.Popen, marker: Path, failpoint: str) -> None:
    """Wait until a job writes its worker's pid into `marker` at `failpoint`, then kill -9 it."""
    pid = int(wait_for(lambda: marker.exists() and marker.read_text(), 120,
                       f"a job at the failpoint {failpoint}"))
    assert os.getpgid(pid) == cluster.pid  # one of the cluster's workers, not the test
    os.kill(pid, signal.SIGKILL)
