"""Helpers for the PACS tests (plain functions; the fixtures are in the test modules).

The PACS is the real Orthanc that scripts/with-orthanc.sh starts (`make test` runs
webapp/pacs under it); outside that script the tests that need it skip with a visible reason.
"""
from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from types import SimpleNamespace

import pytest

from webapp.pacs.studies import to_bytes, xray_instance


def orthanc_url() -> str:
    url = os.environ.get("PACS_ORTHANC_URL", "")
    if not url:
        pytest.skip("no Orthanc: run under scripts/with-orthanc.sh (make test does; needs "
                    "apt-get install orthanc orthanc-dicomweb)")
    return url


def dicomweb_url() -> str:
    """The DICOMweb root with the test PACS's user and password in it (as a site sets it)."""
    orthanc_url()
    return os.environ["PACS_DICOMWEB_URL"]


def orthanc(method: str, path: str, body: bytes | None = None, content_type: str = ""):
    request = urllib.request.Request(orthanc_url() + path, data=body, method=method)
    credentials = os.environ.get("PACS_ORTHANC_AUTH", "")
    if credentials:
        request.add_header("Authorization",
                           "Basic " + base64.b64encode(credentials.encode()).decode())
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=60) as response:
        data = response.read()
    return json.loads(data) if data else None


def clear_orthanc() -> None:
    """Remove every study (each test starts with an empty PACS)."""
    for study in orthanc("GET", "/studies"):
        orthanc("DELETE", f"/studies/{study}")


def push(ds) -> None:
    """Store one instance in Orthanc through its REST API (as a modality would send it)."""
    orthanc("POST", "/instances", to_bytes(ds), "application/dicom")


def push_study(image, **facts) -> str:
    ds = xray_instance(image, **facts)
    push(ds)
    return str(ds.StudyInstanceUID)


def series_of(study_uid: str) -> list[dict]:
    """Orthanc's view of a study's series: [{"Modality", "SeriesDescription", "Instances"}]."""
    found = orthanc("POST", "/tools/lookup", study_uid.encode())
    study_id = next(item["ID"] for item in found if item["Type"] == "Study")
    series = []
    for item in orthanc("GET", f"/studies/{study_id}/series"):
        tags = item["MainDicomTags"]
        series.append({"Modality": tags.get("Modality", ""),
                       "SeriesDescription": tags.get("SeriesDescription", ""),
                       "SeriesInstanceUID": tags.get("SeriesInstanceUID", ""),
                       "Instances": len(item["Instances"])})
    return sorted(series, key=lambda s: s["Modality"])


def ingest_all() -> dict[str, str]:
    """Queue what is new and do every job here (the queue itself: test_queue_crash.py)."""
    from webapp.pacs import dicomweb, ingest, tasks

    with tasks.held_jobs():
        new = ingest.queue_new_studies(dicomweb.client())
    return {study.study_instance_uid: tasks.run_inline(study.pk) for study in new}


class PollStopped(Exception):
    """Raised by stop_poll_after's clock to end pacs_ingest --poll inside a test."""


def stop_poll_after(monkeypatch, rounds: int) -> list[float]:
    """Make pacs_ingest --poll raise PollStopped at its `rounds`-th sleep; return the sleeps.

    Only the command's clock is replaced: the DICOMweb client's own retries sleep as usual.
    """
    from webapp.pacs.management.commands import pacs_ingest

    naps: list[float] = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == rounds:
            raise PollStopped

    monkeypatch.setattr(pacs_ingest, "time", SimpleNamespace(sleep=nap, monotonic=time.monotonic))
    return naps
