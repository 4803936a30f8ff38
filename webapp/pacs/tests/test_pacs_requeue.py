"""Studies whose jobs the queue gave up on (a PACS outage longer than its retries) are queued
again by the next round of pacs_ingest, and a study whose job is still in the queue is not
queued twice. Against the real Orthanc of scripts/with-orthanc.sh, with the ORM broker's queue
table (no worker runs: the jobs stay in the table)."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_q.models import OrmQ

from webapp.pacs.models import PacsStudy
from webapp.pacs.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def jobs() -> list[str]:
    return sorted(job.name() for job in OrmQ.objects.all())


def ingest(*args) -> str:
    out = io.StringIO()
    call_command("pacs_ingest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_study_whose_job_was_given_up_is_queued_again_by_the_next_poll(site, xray_paths):
    uid = support.push_study(xray_paths["normal"][0])
    assert "1 studies queued" in ingest()
    study = PacsStudy.objects.get(study_instance_uid=uid)
    assert jobs() == [f"pacs-read_study-{study.pk}"]

    # The PACS was down past QUEUE_MAX_ATTEMPTS: the queue dropped the job, the row says why.
    OrmQ.objects.all().delete()
    PacsStudy.objects.filter(pk=study.pk).update(
        reason_code="pacs_unreachable", reason="could not read: the PACS answered HTTP 503")

    assert "1 studies queued" in ingest()
    assert jobs() == [f"pacs-read_study-{study.pk}"]
    # ... once: its job is in the queue now.
    assert "0 studies queued" in ingest()
    assert jobs() == [f"pacs-read_study-{study.pk}"]

    # A study read but not written back whose write-back was given up: its write-back again.
    OrmQ.objects.all().delete()
    PacsStudy.objects.filter(pk=study.pk).update(state="read")
    ingest()
    assert jobs() == [f"pacs-write_back-{study.pk}"]


def test_resume_queues_only_studies_without_a_job(site, xray_paths):
    support.push_study(xray_paths["normal"][1], study_time="080000")
    support.push_study(xray_paths["normal"][2], study_time="090000")
    assert "2 studies queued" in ingest()
    for _ in range(3):  # every round of `--poll 30 --resume`
        assert "0 studies queued" in ingest("--resume")
    assert len(jobs()) == 2

    # A job that stopped on an unexpected error is left for a person: --resume queues it.
    stopped = PacsStudy.objects.order_by("pk").first()
    OrmQ.objects.filter(pk__in=[j.pk for j in OrmQ.objects.all()
                                if j.name().endswith(f"-{stopped.pk}")]).delete()
    PacsStudy.objects.filter(pk=stopped.pk).update(reason_code="read_error",
                                                   reason="could not read: KeyError")
    assert "0 studies queued" in ingest()
    assert "1 studies queued" in ingest("--resume")
    assert len(jobs()) == 2
