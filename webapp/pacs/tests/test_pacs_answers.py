"""What pacs_ingest says when the PACS answers oddly or fails for long: one line each, never a
traceback. Against the real Orthanc of scripts/with-orthanc.sh behind a fault-injecting proxy
(fault_proxy.py)."""
from __future__ import annotations

import io
import logging
import time
import traceback
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from webapp.pacs import dicomweb
from webapp.pacs.tests import support
from webapp.pacs.tests.fault_proxy import FaultProxy

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def proxy(site, settings):
    support.orthanc_url()
    faulty = FaultProxy()
    settings.PACS_DICOMWEB_URL = faulty.url
    yield faulty
    faulty.close()


def test_a_maintenance_page_is_one_line_and_poll_goes_on(proxy, monkeypatch):
    """A proxy's maintenance page or an SSO login answers 200 with HTML: requests' JSON error
    ended --poll with a 57-line traceback."""
    proxy.mode = "html200"
    support.stop_poll_after(monkeypatch, rounds=2)
    err = io.StringIO()
    with pytest.raises(support.PollStopped):
        call_command("pacs_ingest", "--poll", "5", stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("the PACS answered text/html, not DICOM JSON, for http://127.0.0.1:")
    assert "/dicom-web/studies" in lines[0] and lines[0].endswith("; trying again in 5 s")
    assert "cxr:" not in lines[0]  # no credentials

    with pytest.raises(CommandError, match=r"^the PACS answered text/html, not DICOM JSON, for "):
        call_command("pacs_ingest", stdout=io.StringIO())


def test_wait_names_the_pacs_failing_not_a_missing_worker(proxy, xray_paths, monkeypatch):
    """A worker runs and the PACS refuses the write-backs (503): --wait asked "is a worker
    running?" although the rows said why."""
    from webapp.pacs import tasks
    from webapp.pacs.management.commands import pacs_ingest
    from webapp.pacs.models import PacsStudy

    support.push_study(xray_paths["normal"][0])
    proxy.mode = "stow503"

    def worker_nap(seconds):  # the worker does the batch's jobs meanwhile, as it would
        for study in PacsStudy.objects.filter(state="queued"):
            try:
                tasks.read_study(study.pk)
                tasks.write_back(study.pk)
            except Exception:
                pass  # the job fails; the queue would hand it out again
        time.sleep(seconds)

    monkeypatch.setattr(pacs_ingest, "time", SimpleNamespace(sleep=worker_nap,
                                                             monotonic=time.monotonic))
    monkeypatch.setattr(pacs_ingest, "NO_WORKER_HINT_AFTER", 0.2)
    err = io.StringIO()
    with pytest.raises(CommandError, match="not done after 4 s"):
        call_command("pacs_ingest", "--wait", "--timeout", "4", stderr=err, stdout=io.StringIO())
    assert "is a worker running" not in err.getvalue()
    assert ("Nothing has moved for 0 s: the jobs of 1 studies stopped on an error, and the "
            "queue tries them again: could not write back: the PACS answered HTTP 503 Service "
            "Unavailable for http://127.0.0.1:") in err.getvalue()


def test_a_round_logs_what_the_app_did_not_each_library_call(site, xray_paths, caplog):
    """One poll round logged 188 "search for studies" lines (dicomweb-client) and each
    write-back 7 "copy attributes of module" lines (highdicom)."""
    support.push_study(xray_paths["normal"][0])
    with caplog.at_level(logging.INFO):
        call_command("pacs_ingest", "--inline", stdout=io.StringIO())
    libraries = [r for r in caplog.records if r.name.split(".")[0] in ("dicomweb_client", "highdicom")]
    assert libraries == []
    assert any(r.name == "webapp.pacs" for r in caplog.records)


def test_a_job_stopped_by_an_outage_fails_in_a_few_lines(proxy, xray_paths):
    """Every expected 503 logged the worker's full traceback through requests and
    dicomweb-client: the job now stops with a one-line error of its own."""
    from webapp.pacs import ingest, tasks

    support.push_study(xray_paths["normal"][1])
    with tasks.held_jobs():
        study = ingest.queue_new_studies(dicomweb.client())[0]
    proxy.mode = "503"
    with pytest.raises(Exception) as stopped:
        tasks.read_study(study.pk)
    lines = "".join(traceback.format_exception(stopped.value)).splitlines()
    assert lines[-1].startswith("webapp.pacs.dicomweb.PacsUnavailable: could not read: the PACS "
                                "answered HTTP 503 Service Unavailable for http://127.0.0.1:")
    assert len(lines) <= 12, lines
    assert not any("requests" in line or "dicomweb_client" in line for line in lines)
    assert dicomweb.is_transient(stopped.value)


@pytest.mark.parametrize("mode", ["stowempty", "stowclaim"])
def test_a_write_back_the_pacs_did_not_keep_is_not_taken_for_done(proxy, xray_paths, mode):
    """The PACS answered the STOW 200 and kept nothing: a proxy dropped the body of a large
    (chunked) upload, or a filter of the PACS refused the secondary capture after saying it was
    stored (a PACS audit). The study was marked "written", with the UIDs of instances the PACS
    did not have, and nothing retried it. The answer's list of stored instances, then a search
    for each, must hold both: otherwise the job fails, the study stays read, and the row says why."""
    from webapp.pacs import ingest, tasks
    from webapp.pacs.models import PacsStudy

    support.push_study(xray_paths["normal"][2])
    with tasks.held_jobs():
        study = ingest.queue_new_studies(dicomweb.client())[0]
    tasks.read_study(study.pk)
    proxy.mode = mode
    with pytest.raises(Exception, match="does not hold"):
        tasks.write_back(study.pk)
    study.refresh_from_db()
    assert study.state == PacsStudy.State.READ and study.sr_instance_uid == ""
    assert study.reason_code == "write_back_error"
    assert "the PACS answered the store but does not hold" in study.reason
    proxy.mode = "ok"  # the queue tries it again: now it is kept, and done
    assert tasks.write_back(study.pk) == PacsStudy.State.WRITTEN
