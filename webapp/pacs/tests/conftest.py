"""The PACS tests' fixture: an empty Orthanc, the bundled model and the site account."""
from __future__ import annotations

import pytest

from webapp.pacs.tests import support


@pytest.fixture
def site(settings, media_root, model_dir, make_user, tmp_path):
    """An empty Orthanc, the bundled model, the site account that owns PACS readings, and a data
    folder of the test's own (the poller's notes, pacs-capped-windows.json, go there)."""
    support.clear_orthanc()
    settings.DATA_DIR = tmp_path / "data"
    settings.PACS_DICOMWEB_URL = support.dicomweb_url()
    account = make_user(email="pacs@hospital.example", full_name="Radiology PACS", role="doctor")
    settings.PACS_SITE_ACCOUNT = account.email
    return account
