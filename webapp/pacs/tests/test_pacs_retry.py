"""`pacs_ingest --retry-failed [UID ...]` reads failed (and, asked, skipped) studies again
without a second write-back of a study whose results are in the PACS already; before it, the
only way was deleting the study's row in the admin site, which reads the study again and writes
a second SR and capture into the PACS. Against the real Orthanc of scripts/with-orthanc.sh."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_q.models import OrmQ

from webapp.pacs import dicomweb, tasks
from webapp.pacs import ingest as ingest_module
from webapp.pacs.models import PacsStudy
from webapp.pacs.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def ingest(*args) -> str:
    out = io.StringIO()
    call_command("pacs_ingest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_failed_studies_are_read_again_once(site, xray_paths):
    hand = support.push_study(xray_paths["normal"][1], body_part="HAND", study_time="090000")
    written = support.push_study(xray_paths["normal"][2], study_time="100000")
    ingest("--inline")
    # A study written back, then marked failed by hand: its SR is in the PACS (and counts
    # among its images: the poll does not look at it again either).
    PacsStudy.objects.filter(study_instance_uid=written).update(state="failed")
    # A chest study that failed before it was read (say, a decoder since fixed).
    chest = support.push_study(xray_paths["normal"][0], study_time="080000")
    with tasks.held_jobs():
        assert [s.study_instance_uid for s in ingest_module.queue_new_studies(
            dicomweb.client())] == [chest]
    PacsStudy.objects.filter(study_instance_uid=chest).update(
        state="failed", reason_code="corrupt_image", reason="image 1.2: damaged")

    out = ingest("--retry-failed", "--inline")
    assert f"{chest}: written" in out
    assert hand not in out  # skipped studies only when asked
    assert (f"{written}: not read again: its results are in the PACS already (SR "
            in out)
    assert PacsStudy.objects.get(study_instance_uid=written).state == "failed"
    for uid in (chest, written):
        assert [s["Instances"] for s in support.series_of(uid) if s["Modality"] == "SR"] == [1]

    out = ingest("--retry-failed", "--skipped", "--inline")
    assert f"{hand}: skipped (not_chest)" in out

    with pytest.raises(CommandError, match="1.2.3.999: no such study"):
        ingest("--retry-failed", "1.2.3.999")


def test_retry_queues_a_job_for_the_workers(site, xray_paths):
    uid = support.push_study(xray_paths["normal"][3])
    ingest("--inline")
    study = PacsStudy.objects.get(study_instance_uid=uid)
    PacsStudy.objects.filter(pk=study.pk).update(state="skipped", reason_code="not_chest",
                                                 reason="body part CHEST PA, not the chest",
                                                 sr_instance_uid="", reading=None)
    assert "1 studies queued" in ingest("--retry-failed", uid)
    assert [job.name() for job in OrmQ.objects.all()] == [f"pacs-read_study-{study.pk}"]
    assert PacsStudy.objects.get(pk=study.pk).state == "queued"
    assert "0 studies queued" in ingest("--retry-failed", uid)  # queued already: left alone
