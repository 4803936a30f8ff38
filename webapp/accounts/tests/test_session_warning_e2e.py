"""The warning before a signed-in session ends without activity, in Debian's Chromium (WCAG
2.2.1: a time limit is announced before it runs out, and one action extends it). The page's
clock is Playwright's, moved on with the server's session (its stored end put back as many
minutes), so that half an hour passes in a second for both.

Screenshots land in test-output/session-warning-*.png for a person to look at."""
import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from webapp.accounts.tests.support import move_session_back
from webapp.tests.support.browser_helpers import record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def session_key(page) -> str:
    [key] = [c["value"] for c in page.context.cookies() if c["name"] == "sessionid"]
    return key


def pass_minutes(page, minutes: float) -> None:
    """`minutes` go by for the server's session and the page's clock alike."""
    move_session_back(session_key(page), minutes)
    page.clock.fast_forward(int(minutes * 60 * 1000))


def stored_end(page) -> datetime.datetime:
    return Session.objects.get(pk=session_key(page)).expire_date


def sign_in_to_profile(page, base: str, user, password: str) -> None:
    """Log in through the form (the page's clock already installed), then open the profile."""
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(f"{base}/accounts/profile/")


def test_the_page_warns_lets_one_stay_and_says_when_the_session_ended(page, live_server, test_output,
                                                                      patient, user_password):
    errors = record_page_errors(page)
    page.clock.install()
    base = live_server.url
    sign_in_to_profile(page, base, patient, user_password)
    page.locator("input[name=full_name]").fill("Ana, a note half written")
    warning = page.get_by_test_id("session-warning")
    expect(warning).to_be_hidden()

    page.mouse.wheel(0, 2000)  # scrolled down to the form's foot, where a note is written
    pass_minutes(page, 28.5)  # the warning is due two minutes before the end
    expect(warning).to_be_visible()
    expect(warning).to_be_in_viewport()
    expect(warning).to_contain_text("You will be signed out in about two minutes")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=test_output / "session-warning-soon-phone.png")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    assert stored_end(page) - timezone.now() > datetime.timedelta(minutes=29)

    pass_minutes(page, 31)
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("You were signed out after 30 minutes without activity")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_hidden()
    expect(page.locator("input[name=full_name]")).to_have_value("Ana, a note half written")
    page.screenshot(path=test_output / "session-warning-ended-phone.png")
    assert errors == []


def test_typing_keeps_the_session_and_another_tabs_activity_counts(page, live_server, patient, user_password):
    page.clock.install()
    base = live_server.url
    sign_in_to_profile(page, base, patient, user_password)
    warning = page.get_by_test_id("session-warning")

    pass_minutes(page, 20)
    before = stored_end(page)
    page.locator("input[name=full_name]").press_sequentially("Ana B")  # typing is activity
    for _ in range(50):  # the request is sent as the key is typed; its answer is not shown
        if stored_end(page) > before + datetime.timedelta(minutes=15):
            break
        page.wait_for_timeout(100)
    assert stored_end(page) > before + datetime.timedelta(minutes=15)

    # Another tab's request moved the end on: at the warning's time the page finds time left
    # and says nothing.
    other = page.context.new_page()
    other.goto(f"{base}/accounts/profile/")
    pass_minutes(page, 9)
    other.goto(f"{base}/accounts/profile/")  # the other tab, in use
    page.clock.fast_forward(20 * 60 * 1000)
    page.wait_for_timeout(500)
    expect(warning).to_be_hidden()
