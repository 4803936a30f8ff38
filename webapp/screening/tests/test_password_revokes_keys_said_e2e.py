"""In Debian's Chromium, English and Indonesian: the password change form warns that a new
password revokes every API key, above the form, and the API key page says it too. Screenshots
land in test-output/password-revokes-keys-*.png."""
from __future__ import annotations

import pytest
from django.conf import settings

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, signed_in_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_warning_is_seen_before_the_form_is_sent(chromium_browser, live_server, test_output,
                                                      patient, language):
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}
    with signed_in_context(chromium_browser, live_server.url, patient, extra_cookies=(cookie,),
                           locale=BROWSER_LOCALES[language],
                           viewport={"width": 390, "height": 900}) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/password_change/")
        warning = page.get_by_test_id("api-keys-revoked-warning")
        warning.wait_for()
        assert warning.bounding_box()["y"] < page.locator("form button.btn-primary").bounding_box()["y"]
        page.screenshot(path=test_output / f"password-revokes-keys-form-{language}.png", full_page=True)
        page.goto(f"{live_server.url}/screening/api-token/")
        page.get_by_test_id("password-revokes-keys").wait_for()
        page.screenshot(path=test_output / f"password-revokes-keys-keypage-{language}.png", full_page=True)
