"""What goes wrong with a real PACS, against a real Orthanc (scripts/with-orthanc.sh: it asks for
a password and caps each query's answer at 20 studies, as hospital PACSs do): capped answers,
studies deleted or sent in pieces, unusual headers, raw images, outages and wrong passwords.
Each ends with the study in a state that says why, and nothing is lost or stuck."""
from __future__ import annotations

import io
import logging
import os
import time
from datetime import date, timedelta

import pydicom
import pytest
import requests
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.formats import date_format

from webapp.pacs import dicomweb, ingest, tasks
from webapp.pacs.models import PacsStudy
from webapp.pacs.studies import xray_instance
from webapp.pacs.tests import support
from webapp.screening.models import Reading

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def stored(uid: str, modality: str) -> pydicom.Dataset:
    """The one instance of `modality` that the PACS holds in study `uid`."""
    web = dicomweb.client()
    series = next(s for s in support.series_of(uid) if s["Modality"] == modality)
    instances = web.search_for_instances(uid, series["SeriesInstanceUID"])
    sop = str(ingest.dataset_from_json(instances[0]).SOPInstanceUID)
    return web.retrieve_instance(uid, series["SeriesInstanceUID"], sop)


def test_a_pacs_that_caps_its_answers_is_asked_in_smaller_windows(site, settings, xray_paths,
                                                                   caplog):
    assert settings.PACS_QUERY_LIMIT == 20, "scripts/with-orthanc.sh caps answers at 20"
    caplog.set_level(logging.WARNING, logger="webapp.pacs")
    image = xray_paths["normal"][0]
    crowded = [support.push_study(image, study_time="093000") for _ in range(22)]
    spread = [support.push_study(image, study_time=f"{hour:02d}1500") for hour in (7, 13, 16, 22)]
    yesterday = support.push_study(image, study_date=f"{date.today() - timedelta(days=1):%Y%m%d}")
    old = support.push_study(image, study_date=f"{date.today() - timedelta(days=30):%Y%m%d}")

    with tasks.held_jobs():
        queued = {s.study_instance_uid for s in ingest.queue_new_studies(dicomweb.client())}

    # The PACS answers at most 21 for any one query; split by day, hour and minute, every study
    # outside the crowded minute is found, and the minute itself is said to be at the cap.
    assert set(spread) | {yesterday} <= queued
    assert len(set(crowded) & queued) >= 21
    assert old not in queued  # 30 days back: outside PACS_LOOKBACK_DAYS (7)
    assert "some studies of that minute may be missed" in caplog.text
    # And pacs_status says so, not only the poller's log (a PACS audit: studies of a crowded
    # minute were missed round after round with one log line as the only sign).
    status = io.StringIO()
    call_command("pacs_status", stdout=status)
    assert ("studies may be missed: the poll round of " in status.getvalue()
            and "StudyTime 0930-093059.999999" in status.getvalue()), status.getvalue()
    with tasks.held_jobs():
        assert [s.study_instance_uid for s in
                ingest.queue_new_studies(dicomweb.client(), days=31)] == [old]


def test_odd_headers_are_written_back_with_the_patients_identity(site, xray_paths, client):
    image = xray_paths["covid"][0]
    # A modality that leaves out the patient ID, and one that writes names in Japanese
    # (ISO 2022 IR 87): the SR and capture must still be written into their studies.
    no_id = xray_instance(image, accession="A-1")
    del no_id.PatientID, no_id.PatientBirthDate
    support.push(no_id)
    japanese = xray_instance(image, patient_id="JP-7", accession="A-2")
    japanese.SpecificCharacterSet = ["", "ISO 2022 IR 87"]
    japanese.PatientName = "Yamada^Tarou=山田^太郎"
    japanese.IssuerOfPatientID = "TOKYO-GENERAL"
    japanese.PatientAge = "047Y"
    japanese.StudyDescription = "胸部 X 線"
    support.push(japanese)

    states = support.ingest_all()

    assert states == {str(no_id.StudyInstanceUID): "written",
                      str(japanese.StudyInstanceUID): "written"}
    sr = stored(str(japanese.StudyInstanceUID), "SR")
    sc = stored(str(japanese.StudyInstanceUID), "OT")
    for written in (sr, sc):
        assert str(written.PatientName) == "Yamada^Tarou=山田^太郎"
        assert (written.PatientID, written.IssuerOfPatientID) == ("JP-7", "TOKYO-GENERAL")
        assert (written.PatientAge, written.StudyDescription) == ("047Y", "胸部 X 線")
        assert written.AccessionNumber == "A-2"
    source = sc.SourceImageSequence[0]
    assert source.ReferencedSOPInstanceUID == japanese.SOPInstanceUID
    assert stored(str(no_id.StudyInstanceUID), "SR").PatientID == ""
    study = PacsStudy.objects.get(study_instance_uid=japanese.StudyInstanceUID)
    assert (study.patient_id, study.accession_number, study.study_date) == (
        "JP-7", "A-2", japanese.StudyDate)

    # The site account sees which patient and examination each reading is of (the patient
    # reference qualified by the issuer: webapp/screening/patient_ids.py).
    assert study.reading.patient_reference == "JP-7 (TOKYO-GENERAL)"
    client.force_login(site)
    page = client.get(reverse("screening:detail", args=[study.reading.pk])).content.decode()
    when = date_format(date.today(), "DATE_FORMAT")
    assert f"From the PACS: the study of {when}, accession number A-2." in page
    assert study.study_instance_uid in page and 'data-testid="reading-reference">JP-7 (TOKYO-GENERAL)<' in page
    client.cookies["django_language"] = "id"
    page = client.get(reverse("screening:detail", args=[study.reading.pk])).content.decode()
    assert "Dari PACS: pemeriksaan tanggal" in page and "nomor aksesi A-2." in page
    history = client.get(reverse("screening:history")).content.decode()
    assert "JP-7" in history


def test_a_raw_or_damaged_frontal_is_passed_over_for_the_next_one(site, xray_paths):
    image = xray_paths["pneumonia"][0]
    raw = xray_instance(image, series_number=1)
    raw.PresentationIntentType = "FOR PROCESSING"
    uid = str(raw.StudyInstanceUID)
    damaged = xray_instance(image, study_uid=uid, series_number=2)
    damaged.PixelData = damaged.PixelData[:1000]  # cut short in transfer
    good = xray_instance(image, study_uid=uid, series_number=3)
    for ds in (raw, damaged, good):
        support.push(ds)
    raw_only = xray_instance(image)
    raw_only.PresentationIntentType = "FOR PROCESSING"
    support.push(raw_only)

    states = support.ingest_all()

    assert states == {uid: "written", str(raw_only.StudyInstanceUID): "skipped"}
    assert PacsStudy.objects.get(study_instance_uid=uid).sop_instance_uid == good.SOPInstanceUID
    skipped = PacsStudy.objects.get(study_instance_uid=raw_only.StudyInstanceUID)
    assert skipped.reason_code == "for_processing"
    assert "not for presentation" in skipped.reason


def test_a_frontal_sent_after_the_lateral_is_read(site, xray_paths):
    image = xray_paths["normal"][1]
    uid = support.push_study(image, view_position="LL", series_number=1)
    assert support.ingest_all() == {uid: "skipped"}
    assert support.ingest_all() == {}  # nothing new: not looked at again
    support.push(xray_instance(image, study_uid=uid, view_position="PA", series_number=2))
    assert support.ingest_all() == {uid: "written"}
    assert PacsStudy.objects.get(study_instance_uid=uid).reason == ""
    assert support.ingest_all() == {}  # our own SR and capture in the study do not make it read again


def test_studies_deleted_or_duplicated_in_the_pacs_end_with_a_reason(site, xray_paths):
    image = xray_paths["covid"][1]
    gone_instance = xray_instance(image)
    support.push(gone_instance)
    gone = str(gone_instance.StudyInstanceUID)
    first = xray_instance(image)
    copy = xray_instance(xray_paths["covid"][2])  # another study reusing first's instance UID
    copy.SOPInstanceUID = copy.file_meta.MediaStorageSOPInstanceUID = first.SOPInstanceUID
    support.push(first)
    support.push(copy)
    with tasks.held_jobs():
        studies = {s.study_instance_uid: s for s in ingest.queue_new_studies(dicomweb.client())}
    support.orthanc("DELETE", "/studies/" + support.orthanc(
        "POST", "/tools/lookup", gone.encode())[0]["ID"])

    states = {uid: tasks.run_inline(study.pk) for uid, study in studies.items()}

    assert states[gone] == "failed"
    deleted = PacsStudy.objects.get(study_instance_uid=gone)
    assert deleted.reason_code == "not_in_pacs" and "deleted after it was listed" in deleted.reason
    # Orthanc 1.10 lists both studies of the reused UID and returns the image in neither: each
    # ends failed, saying so (a PACS that returns it reads one of them).
    for uid in (str(first.StudyInstanceUID), str(copy.StudyInstanceUID)):
        study = PacsStudy.objects.get(study_instance_uid=uid)
        assert study.state == "written" or (
            study.state == "failed" and "is no longer in the PACS" in study.reason), study.reason
    assert not PacsStudy.objects.filter(state="queued").exists()

    # Sent again (a modality re-sending after the deletion): read this time.
    support.push(gone_instance)
    assert support.ingest_all() == {gone: "written"}


def test_a_reading_deleted_before_its_write_back_ends_the_study(site, xray_paths):
    uid = support.push_study(xray_paths["normal"][2])
    with tasks.held_jobs() as pending:
        study = ingest.queue_new_studies(dicomweb.client())[0]
        pending.clear()
        assert tasks.read_study(study.pk) == "read"
    Reading.objects.get(pacs_study__study_instance_uid=uid).delete()
    assert tasks.write_back(study.pk) == "failed"
    study.refresh_from_db()
    assert study.reason_code == "reading_deleted"
    assert [s["Modality"] for s in support.series_of(uid)] == ["DX"]  # nothing written
    support.push(xray_instance(xray_paths["normal"][3], study_uid=uid, series_number=2))
    assert support.ingest_all() == {}  # deleted on purpose: a new image does not bring it back


def test_inline_goes_on_after_a_study_stops_and_resume_finishes_it(site, xray_paths,
                                                                  monkeypatch):
    """One study's write-back stops on an error (injected: the PACS refusing STOW-RS for that
    study); the other studies are still read, the stopped one stays `read` with the reason,
    and --inline --resume finishes it here (not in a worker's queue)."""
    from webapp.pacs import writeback

    first = support.push_study(xray_paths["covid"][3], study_time="080000")
    second = support.push_study(xray_paths["normal"][4], study_time="090000")
    real = writeback.write_back

    def refuse_first(study, web):
        if study.study_instance_uid == first:
            raise ValueError("the PACS refused the object (injected)")
        return real(study, web)

    monkeypatch.setattr(writeback, "write_back", refuse_first)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 studies stopped"):
        call_command("pacs_ingest", "--inline", stdout=out)
    assert f"{second}: written" in out.getvalue()
    assert f"{first}: stopped (read): ValueError: the PACS refused" in out.getvalue()
    stopped = PacsStudy.objects.get(study_instance_uid=first)
    assert (stopped.state, stopped.reason_code) == ("read", "write_back_error")
    status = io.StringIO()
    call_command("pacs_status", stdout=status)
    # With its code, and what to do: its job is not in the queue (inline), so --resume.
    assert (f"stopped (read, write_back_error) {first}: could not write back: ValueError" in status.getvalue()
            and "(pacs_ingest --resume queues it again)" in status.getvalue())

    monkeypatch.setattr(writeback, "write_back", real)
    out = io.StringIO()
    call_command("pacs_ingest", "--inline", "--resume", stdout=out)
    assert f"{first}: written" in out.getvalue()
    stopped.refresh_from_db()
    assert (stopped.state, stopped.reason) == ("written", "")


def test_poll_outlives_an_outage_and_a_wrong_password_stops_it_cleanly(site, monkeypatch):
    support.stop_poll_after(monkeypatch, rounds=2)
    err = io.StringIO()
    with pytest.raises(support.PollStopped):  # two rounds against a closed port: no traceback, no exit
        call_command("pacs_ingest", "--poll", "5", "--url",
                     "http://cxr:s3cret@127.0.0.1:1/dicom-web", stderr=err)
    assert err.getvalue().splitlines() == [
        "the PACS cannot be reached (connection failed); trying again in 5 s"] * 2

    wrong = support.dicomweb_url().replace(os.environ["PACS_ORTHANC_AUTH"], "cxr:wrong-pw")
    for extra in (["--poll", "5"], ["--inline"], []):
        with pytest.raises(CommandError) as refused:
            call_command("pacs_ingest", "--url", wrong, *extra)
        assert "refused the credentials (HTTP 401)" in str(refused.value)
        assert "wrong-pw" not in str(refused.value)


def test_wait_asks_whether_a_worker_runs(site, xray_paths, monkeypatch):
    from webapp.pacs.management.commands import pacs_ingest

    support.push_study(xray_paths["normal"][5])
    monkeypatch.setattr(pacs_ingest, "NO_WORKER_HINT_AFTER", 0.2)
    err = io.StringIO()
    with pytest.raises(CommandError, match="not done after 1 s"):
        call_command("pacs_ingest", "--wait", "--timeout", "1", stderr=err,
                     stdout=io.StringIO())
    assert "is a worker running (make worker" in err.getvalue()


def test_credentials_stay_out_of_addresses_and_errors():
    url, credentials = dicomweb.split_credentials("https://ris%40x:p%3Ass@pacs.example:8443/dw")
    assert (url, credentials) == ("https://pacs.example:8443/dw", ("ris@x", "p:ss"))
    assert dicomweb.split_credentials("http://pacs/dw") == ("http://pacs/dw", None)
    client = dicomweb.client("https://ris:secret@pacs.example/dicom-web")
    assert "secret" not in client.base_url and client._session.auth == ("ris", "secret")


def test_a_study_gone_before_write_back_is_described_without_the_password(site, xray_paths):
    support.push_study(xray_paths["pneumonia"][1])
    with tasks.held_jobs() as pending:
        study = ingest.queue_new_studies(dicomweb.client())[0]
        pending.clear()
        assert tasks.read_study(study.pk) == "read"
    support.clear_orthanc()
    with pytest.raises(requests.HTTPError):
        tasks.write_back(study.pk)
    study.refresh_from_db()
    assert study.state == "read" and study.reason_code == "write_back_error"
    assert "HTTP 404" in study.reason
    assert os.environ["PACS_ORTHANC_AUTH"].split(":")[1] not in study.reason


def test_studies_of_many_series_do_not_hide_others_from_a_capped_pacs(site, xray_paths):
    """Orthanc answers a query on ModalitiesInStudy by looking up series, capped at 21: five
    studies of six DX series each (30 series) came back as four studies, fewer than the cap, so
    nothing told the app to ask again. The query is now on StudyDate only (capped by studies),
    and the modality is checked here: the CT study is not queued."""
    image = xray_paths["normal"][6]
    studies = []
    for number in range(5):
        first = xray_instance(image, study_time=f"{9 + number:02d}0000", view_position="LL")
        support.push(first)
        for series in range(2, 7):
            support.push(xray_instance(image, study_uid=str(first.StudyInstanceUID),
                                       series_number=series, view_position="PA"))
        studies.append(str(first.StudyInstanceUID))
    ct = xray_instance(image)
    ct.Modality = "CT"
    support.push(ct)

    with tasks.held_jobs():
        queued = {s.study_instance_uid for s in ingest.queue_new_studies(dicomweb.client())}

    assert queued == set(studies)


def test_times_written_short_or_with_fractions_fall_in_a_window(site, xray_paths):
    """A capped hour is asked for minute by minute, and StudyTime is matched as text: "1023"
    sorts before "102300" and "102259.5" after "102259", so windows "102300-102359" and
    "102200-102259" missed them. Each window now runs from "1023" to "102359.999999"."""
    image = xray_paths["normal"][7]
    for minute in range(21):  # a crowded hour: 21 studies from 10:00
        support.push_study(image, study_time=f"10{minute:02d}00")
    odd = [support.push_study(image, study_time=t) for t in ("1023", "102259.5", "1059")]

    with tasks.held_jobs():
        queued = {s.study_instance_uid for s in ingest.queue_new_studies(dicomweb.client())}

    assert set(odd) <= queued and len(queued) == 24


def test_a_hung_pacs_fails_a_request_once_not_five_times(monkeypatch):
    """A PACS that accepts the connection and never answers: one attempt per request, within
    the timeout (the client's own default retried 5 times, past the queue's job timeout)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(dicomweb, "TIMEOUT", (1, 1))
    web = dicomweb.client(f"http://127.0.0.1:{server.getsockname()[1]}/dicom-web")
    start = time.monotonic()
    with pytest.raises(requests.Timeout):
        web.search_for_studies()
    assert time.monotonic() - start < 5 and len(accepted) == 1
    server.close()


def test_a_wrong_address_is_one_line_saying_what_to_fix(site):
    wrong = support.dicomweb_url().replace("/dicom-web", "/dicomweb")
    for extra in ([], ["--poll", "5"]):
        with pytest.raises(CommandError, match="is PACS_DICOMWEB_URL the PACS's DICOMweb root"):
            call_command("pacs_ingest", "--url", wrong, *extra)


def test_status_points_at_studies_whose_jobs_are_gone(site):
    from django_q.models import OrmQ

    PacsStudy.objects.create(study_instance_uid="1.2.3.4", state="queued")
    assert not OrmQ.objects.exists()
    out = io.StringIO()
    call_command("pacs_status", stdout=out)
    assert ("1 studies are queued or read but no job is in the queue: their jobs stopped or "
            "were given up; pacs_ingest --resume queues them again") in out.getvalue()


def test_a_guard_refusal_is_worded_for_the_pacs_not_for_an_upload():
    from cxr.inference.notices import Notice

    reason = ingest.refusal_reason("1.2.3", Notice("not_cxr_orientation"))
    assert reason.startswith("image 1.2.3: refused by the model's guard (not_cxr_orientation): "
                             "This X-ray seems to be turned sideways")
    assert "upload" not in reason and reason.endswith("with confidence.")


def test_a_job_stopped_by_the_queues_timeout_says_so_and_is_tried_again(site, xray_paths, monkeypatch):
    """The queue stops a job that runs past QUEUE_TIMEOUT by raising django-q's TimeoutException
    in it, a SystemExit that `except Exception` let through: the study kept no reason, and
    pacs_status said only "queued: 1" (a PACS audit, a PACS slow to send its images). The row
    now says the job ran out of time, and the next round queues it again by itself, as after
    an outage."""
    from django_q.exceptions import TimeoutException

    support.push_study(xray_paths["normal"][3])
    with tasks.held_jobs():
        study = ingest.queue_new_studies(dicomweb.client())[0]

    def slow_pacs(*args, **kwargs):
        raise TimeoutException("Task exceeded maximum timeout value (300 seconds)")

    monkeypatch.setattr(ingest, "read", slow_pacs)
    with pytest.raises(TimeoutException):
        tasks.read_study(study.pk)
    study.refresh_from_db()
    assert study.state == PacsStudy.State.QUEUED and study.reason_code == "timed_out"
    assert study.reason.startswith("could not read: the job ran past the queue's time limit")
    out = io.StringIO()
    call_command("pacs_status", stdout=out)
    assert "could not read: the job ran past the queue's time limit" in out.getvalue()
    with tasks.held_jobs() as pending:
        assert [s.pk for s in tasks.requeue_jobless()] == [study.pk]
    assert pending == [("read_study", study.pk)]


def test_status_does_not_send_to_resume_a_study_whose_job_is_queued(site):
    """pacs_status told the operator "pacs_ingest --resume queues it again" for a study whose job
    was still in the queue, being retried, where --resume does nothing (a PACS audit)."""
    study = PacsStudy.objects.create(study_instance_uid="1.2.3.5", state="read", reason_code="pacs_unreachable",
                                     reason="could not write back: the PACS answered HTTP 503")
    tasks.enqueue("write_back", study.pk)
    out = io.StringIO()
    call_command("pacs_status", stdout=out)
    assert ("stopped (read, pacs_unreachable) 1.2.3.5: could not write back: the PACS answered HTTP 503 "
            "(its job is in the queue, which tries it again)") in out.getvalue()
    assert "--resume" not in out.getvalue()
