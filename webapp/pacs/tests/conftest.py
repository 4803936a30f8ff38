"""The PACS tests' fixture: an empty Orthanc, the bundled model and the site account."""
from __future__ import annotations

import pytest

from webapp.pacs.tests import support


@pytest.fixture
def site(settings, media_root, model_dir, make_user):
    """An empty Orthanc, the bundled model, and the site account that owns PACS readings."""
    support.clear_orthanc()
    settings.PACS_DICOMWEB_URL = support.dicomweb_url()
    account = make_user(email="pacs@hospital.example", full_name="Radiology PACS", role="doctor")
    settings.PACS_SITE_ACCOUNT = account.email
    return account
