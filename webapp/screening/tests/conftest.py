"""Fixtures the screening tests share."""
import pytest
from django.test import Client


@pytest.fixture
def admin_client(make_user, screening_settings):
    """A staff doctor's signed-in client (who runs a site check), replacing pytest-django's
    superuser `admin_client` in these tests; `client.admin` is the account."""
    admin = make_user(email="admin@example.org", role="doctor", is_staff=True)
    client = Client()
    client.force_login(admin)
    client.admin = admin
    return client
