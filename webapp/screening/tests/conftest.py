"""Fixtures the screening tests share."""
import importlib.util
from contextlib import ExitStack

import pytest
from django.test import Client

from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    record_page_errors,
    signed_in_context,
)
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


@pytest.fixture
def open_signed_in_page(chromium_browser, live_server):
    """open_signed_in_page(user, path, viewport, language="en", ignored_statuses=frozenset(),
    **context options) -> a page of a browser signed in as `user` (`signed_in_context`: no login
    form), in `language`'s locale, opened at `path` with 20 s timeouts; `page.errors` collects
    its errors (`record_page_errors`, but for `ignored_statuses`). Every context opened is
    closed after the test."""
    with ExitStack() as contexts:

        def open_(user, path, viewport, language="en", ignored_statuses=frozenset(), **options):
            context = contexts.enter_context(signed_in_context(
                chromium_browser, live_server.url, user, viewport=viewport,
                locale=BROWSER_LOCALES[language], **options))
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.errors = record_page_errors(page, ignored_statuses)
            page.goto(f"{live_server.url}{path}")
            return page

        yield open_


@pytest.fixture(scope="module")
def docs_api_client():
    """docs/api_client.py, the API guide's example client, loaded as a module (it is a script
    beside the guide, not a package): its ScreeningClient, Reading, ApiError, AnswerLost."""
    spec = importlib.util.spec_from_file_location("api_client", REPO_DIR / "docs" / "api_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
