""""Download my data" is sent as it is written. A doctor with 576 readings waited 141 s for the
first byte (the whole ZIP, a fresh PDF per reading, was written to a temporary file first), and
behind docs/deploy.md's nginx (proxy_read_timeout 130s) the download failed with a 504.

Real readings of real X-rays (a few dozen), the real report PDFs and the real view: the first
piece of the archive comes before any reading's PDF is made, the archive is complete and valid,
no piece is more than one chunk of a file (nothing more is kept between pieces), and a reading whose heat map is lost gets its PDF while
readings.json names only the files the archive holds."""
from __future__ import annotations

import json
import time
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from webapp.accounts import data_export
from webapp.audit.models import Action, AuditEvent
from webapp.screening import storage
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db

READINGS = 30


@pytest.fixture
def history(doctor, model_dir, media_root, xray_paths):
    images = [path for paths in xray_paths.values() for path in paths[:3]]
    return [store_reading(doctor, model_dir, images[n % len(images)]) for n in range(READINGS)]


def test_the_archive_starts_before_the_reports_are_made_and_is_complete(doctor, history, monkeypatch,
                                                                       tmp_path):
    lost = history[-1]
    storage.absolute_path(lost.heatmap_path).unlink()  # the PDF is made without it (ebc556f)
    built = []
    real_build = data_export.report_pdf.build
    monkeypatch.setattr(data_export.report_pdf, "build",
                        lambda reading, *a, **kw: built.append(reading.pk) or real_build(reading, *a, **kw))
    client = Client()
    client.force_login(doctor)

    started = time.monotonic()
    response = client.get(reverse("export_data"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="cxr-screening-data-')
    assert "no-store" in response["Cache-Control"]
    first_at = reports_before_first = None
    largest = size = 0
    archive_path = tmp_path / "my-data.zip"
    with open(archive_path, "wb") as out:
        for piece in response.streaming_content:
            if first_at is None:
                first_at, reports_before_first = time.monotonic() - started, len(built)
            largest, size = max(largest, len(piece)), size + len(piece)
            out.write(piece)
    total = time.monotonic() - started
    print(f"\nexport of {READINGS} readings: first bytes after {first_at:.2f} s, whole archive "
          f"after {total:.2f} s, {size / 1e6:.1f} MB; largest piece {largest / 1e6:.2f} MB")

    assert reports_before_first == 0, f"the first bytes came after {reports_before_first} PDFs"
    assert len(built) == READINGS
    # Handed on piece by piece: no piece (nothing kept between pieces) near the whole archive.
    assert largest <= data_export.CHUNK + 64 * 1024 < size / 10

    with zipfile.ZipFile(archive_path) as archive:
        assert archive.testzip() is None  # every entry's CRC checks out
        names = set(archive.namelist())
        readings = json.loads(archive.read("readings.json"))
        readme = archive.read("README.txt").decode()
        account = json.loads(archive.read("account.json"))
    expected = {"README.txt", "account.json", "readings.json", "activity.json", "logins.json",
                "api_keys.json", "uploads.json"}
    for reading in history:
        expected |= {f"readings/{reading.pk}/{n}" for n in ("original.png", "heatmap.png", "report.pdf")}
    expected.remove(f"readings/{lost.pk}/heatmap.png")
    assert names == expected
    assert account["format_version"] == 5
    assert [r["id"] for r in readings] == [r.pk for r in history]
    listed = {path for r in readings for path in r["files"].values() if path}
    assert listed == {n for n in expected if n.startswith("readings/")}  # only what it holds
    [lost_entry] = [r for r in readings if r["id"] == lost.pk]
    assert lost_entry["files"] == {"image": f"readings/{lost.pk}/original.png", "heatmap": None,
                                   "report_pdf": f"readings/{lost.pk}/report.pdf"}
    assert f"readings/{lost.pk}/heatmap.png" in readme
    assert f"readings/{lost.pk}/report.pdf" not in readme
    assert AuditEvent.objects.filter(action=Action.EXPORT_DATA, actor=doctor).count() == 1


def test_a_head_request_makes_no_archive_and_no_event(doctor, history, monkeypatch):
    monkeypatch.setattr(data_export, "stream", lambda user: pytest.fail("the archive was written"))
    client = Client()
    client.force_login(doctor)
    response = client.head(reverse("export_data"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert not AuditEvent.objects.filter(action=Action.EXPORT_DATA).exists()
