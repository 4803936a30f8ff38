"""The job queue survives a worker killed with SIGKILL in the middle of a job: every study is
read once and written back once, nothing is lost.

A real cluster (`manage.py qcluster`, django-q2 on the database) runs as its own process group
against a fresh SQLite database and the Orthanc of scripts/with-orthanc.sh, exactly as a
deployment's worker does beside the web process. A failpoint (webapp.pacs.tasks.failpoint) makes
the first job that reaches it write its process id and wait; the test kills that worker with
kill -9, the cluster replaces it, and the broker hands the unacknowledged job out again after
QUEUE_RETRY seconds.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from webapp.pacs.tests import support
from webapp.tests.support.worker_cluster import (
    kill_worker_at_failpoint,
    manage,
    query,
    running_cluster,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.slow

STUDIES = 4


def states(database: Path) -> dict[str, int]:
    return dict(query(database, "SELECT state, COUNT(*) FROM pacs_pacsstudy GROUP BY state"))


@pytest.mark.parametrize("failpoint", ["before_reading_commit", "after_store"])
def test_a_worker_killed_mid_job_loses_nothing_and_repeats_nothing(failpoint, tmp_path,
                                                                     model_dir, xray_paths):
    url = support.dicomweb_url()
    support.clear_orthanc()
    data_dir = tmp_path / "data"
    marker = tmp_path / "failpoint.pid"
    env = worker_env(data_dir, model_dir, PACS_DICOMWEB_URL=url,
                     PACS_SITE_ACCOUNT="pacs@hospital.example")
    database = data_dir / "db.sqlite3"
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", "from django.utils import timezone; "
                               "from webapp.accounts.models import User; User.objects.create_user("
                               "email='pacs@hospital.example', password=None, full_name='PACS', "
                               "role='doctor', doctor_verified_at=timezone.now())")
    images = [p for paths in xray_paths.values() for p in paths]
    uids = [support.push_study(images[i], view_position="PA") for i in range(STUDIES)]
    assert f"{STUDIES} studies queued" in manage(env, "pacs_ingest")
    assert query(database, "SELECT COUNT(*) FROM django_q_ormq") == [(STUDIES,)]

    cluster_env = {**env, "PACS_FAILPOINT": failpoint, "PACS_FAILPOINT_FILE": str(marker)}
    with running_cluster(cluster_env, stderr=subprocess.PIPE) as cluster:
        kill_worker_at_failpoint(cluster, marker, failpoint)
        killed_at = time.monotonic()
        # Everything finishes: the killed job comes back after QUEUE_RETRY seconds.
        wait_for(lambda: states(database).get("written") == STUDIES, 150,
                 f"all {STUDIES} studies written back, have {states(database)}")
        assert time.monotonic() - killed_at > 5  # it needed the redelivery
        assert cluster.poll() is None  # the cluster itself lived on
        wait_for(lambda: query(database, "SELECT COUNT(*) FROM django_q_ormq") == [(0,)], 30,
                 "the queue to empty")

    # One reading per study, each study's results stored once, nothing left on disk unowned.
    assert query(database, "SELECT COUNT(*) FROM screening_reading") == [(STUDIES,)]
    assert query(database, "SELECT COUNT(DISTINCT reading_id) FROM pacs_pacsstudy") == [(STUDIES,)]
    for uid in uids:
        assert [(s["Modality"], s["Instances"]) for s in support.series_of(uid)] == [
            ("DX", 1), ("OT", 1), ("SR", 1)]
    # The killed job died before it wrote any image files: none are left over.
    folders = [p for p in (data_dir / "private").glob("*/*") if p.is_dir()]
    assert len(folders) == STUDIES
