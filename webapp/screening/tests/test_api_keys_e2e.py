"""The API key page and the interactive API docs in Debian's Chromium: make a named key (the
password asked again), see it listed, revoke it; at phone and desktop widths, in English and Indonesian, with no console or
CSP errors. Screenshots land in test-output/api-keys-*.png and api-docs-*.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from webapp.screening.api_models import ApiToken
from webapp.tests.support.browser_helpers import log_in_on_redirect, record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "copper-meadow-signal-52"
PATH = "/screening/api-token/"


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(email="dewi@example.org", password=PASSWORD,
                                                 full_name="Dewi Lestari")


@pytest.mark.parametrize("language", ["en", "id"])
def test_make_list_and_revoke_keys_at_phone_and_desktop_widths(page, live_server, test_output,
                                                                person, language):
    ApiToken.issue(person, name="Old export script", expires_in=timedelta(days=-3))
    errors = record_page_errors(page)
    base = live_server.url
    log_in_on_redirect(page, base, PATH, person.email, PASSWORD)
    if language == "id":
        with page.expect_navigation():
            page.locator("#language-select").select_option("id")
    with translation.override(language):
        from django.utils.translation import gettext as _

        page.get_by_label(_("Name")).fill("PACS bridge")
        page.get_by_label(_("Expires after")).select_option("30")
        # A borrowed, signed-in browser is not enough: a wrong password makes no key, and what
        # was typed stays for the next try.
        assert errors == []
        page.get_by_label(_("Current password")).fill("not-my-password-1")
        page.get_by_role("button", name=_("Create a key")).click()
        page.get_by_text(_("The password is not correct.")).wait_for()
        # The refused form answers 400, which the browser reports as a console error too.
        assert errors and all("400" in error for error in errors), errors
        errors.clear()
        assert page.get_by_test_id("new-api-key").count() == 0
        assert page.get_by_label(_("Name")).input_value() == "PACS bridge"
        assert page.get_by_label(_("Expires after")).input_value() == "30"
        assert page.get_by_label(_("Current password")).input_value() == ""
        page.screenshot(path=test_output / f"api-keys-{language}-wrong-password.png", full_page=True)
        page.get_by_label(_("Current password")).fill(PASSWORD)
        page.get_by_role("button", name=_("Create a key")).click()
        key = page.get_by_test_id("new-api-key").inner_text()
        assert len(key) >= 40
        items = page.get_by_test_id("api-key-item")
        assert items.count() == 2
        assert "PACS bridge" in items.nth(0).inner_text()
        assert _("Not used yet") in items.nth(0).inner_text()
        for width, name in ((390, "phone"), (1280, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=test_output / f"api-keys-{language}-{name}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{width} px: the page scrolls sideways by {overflow} px"

        page.get_by_role("button", name=_("Revoke the key “%(name)s”") % {"name": "PACS bridge"}).click()
        page.wait_for_load_state()
        assert page.get_by_test_id("api-key-item").count() == 1
    assert ApiToken.user_for_key(key) is None
    assert errors == []


def test_the_interactive_docs_load_from_bundled_files(page, live_server, test_output, person):
    errors = record_page_errors(page)
    external = []
    page.on("request", lambda request: external.append(request.url)
            if not request.url.startswith(live_server.url) else None)
    log_in_on_redirect(page, live_server.url, "/api/v1/docs/", person.email, PASSWORD)
    page.get_by_text("Chest X-ray screening API").first.wait_for()
    page.get_by_text("/readings/{id}/", exact=True).first.wait_for()
    for width, name in ((390, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=test_output / f"api-docs-{name}.png", full_page=False)
    assert external == [] and errors == []
