"""What pacs_ingest says when the PACS answers oddly or fails for long: one line each, never a
traceback. Against the real Orthanc of scripts/with-orthanc.sh behind a fault-injecting proxy
(fault_proxy.py)."""
from __future__ import annotations

import io
import time
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

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
    from webapp.pacs.management.commands import pacs_ingest

    class Stop(Exception):
        pass

    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise Stop

    proxy.mode = "html200"
    monkeypatch.setattr(pacs_ingest, "time", SimpleNamespace(sleep=nap, monotonic=time.monotonic))
    err = io.StringIO()
    with pytest.raises(Stop):
        call_command("pacs_ingest", "--poll", "5", stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("the PACS answered text/html, not DICOM JSON, for http://127.0.0.1:")
    assert "/dicom-web/studies" in lines[0] and lines[0].endswith("; trying again in 5 s")
    assert "cxr:" not in lines[0]  # no credentials

    with pytest.raises(CommandError, match=r"^the PACS answered text/html, not DICOM JSON, for "):
        call_command("pacs_ingest", stdout=io.StringIO())
