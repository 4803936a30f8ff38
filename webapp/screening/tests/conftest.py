"""Fixtures the screening tests share."""
import importlib.util

import pytest
from django.test import Client

from webapp.tests.support.live_server import REPO_DIR


@pytest.fixture
def admin_client(make_user, screening_settings):
    """A staff doctor's signed-in client (who runs a site check), replacing pytest-django's
    superuser `admin_client` in these tests; `client.admin` is the account."""
    admin = make_user(email="admin@example.org", role="doctor", is_staff=True)
    client = Client()
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture(scope="module")
def docs_api_client():
    """docs/api_client.py, the API guide's example client, loaded as a module (it is a script
    beside the guide, not a package): its ScreeningClient, Reading, ApiError, AnswerLost."""
    spec = importlib.util.spec_from_file_location("api_client", REPO_DIR / "docs" / "api_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
