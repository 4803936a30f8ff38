"""Accounts in a real browser (Debian's Chromium) against a live server and the real database:
register, confirm the address by its mailed link, log in, log out, fail a login, log in, switch
language, get locked out.

Screenshots land in test-output/accounts-*.png for a person to look at.
"""
import re

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "lantern-river-orbit-58"
DISCLAIMER = "A screening aid, not a diagnosis: a clinician and an RT-PCR test decide."


@pytest.fixture
def watched_page(page):
    """The browser page, recording console errors (a CSP violation shows up as one)."""
    # 429 is the lockout page, which the lockout test opens on purpose.
    page.console_errors = record_page_errors(page, ignored_statuses=frozenset({429}))
    return page


def register(page, base_url, email, full_name="Dewi Lestari", role="patient"):
    page.goto(f"{base_url}/accounts/register/")
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Patient" if role == "patient" else "Doctor").check()
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)


def test_register_logout_failed_login_login(watched_page, live_server, test_output, mailoutbox):
    page = watched_page
    base = live_server.url

    page.goto(base + "/")
    assert page.locator("h1").first.is_visible()
    assert DISCLAIMER in page.locator("footer").inner_text()
    page.screenshot(path=test_output / "accounts-landing.png", full_page=True)

    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url(f"{base}/accounts/register/")
    register(page, base, "Dewi.Lestari@Example.org")
    page.screenshot(path=test_output / "accounts-register.png", full_page=True)
    page.get_by_role("button", name="Create my account").click()

    # Nobody is signed in until the link mailed to the address is opened.
    page.wait_for_url(f"{base}/accounts/register/done/")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.screenshot(path=test_output / "accounts-register-done.png", full_page=True)
    link = re.search(r"https?://\S+/accounts/verify-email/\S+/", mailoutbox[-1].body).group(0)
    page.goto(link)
    # The link shows a button: a mail scanner that opens links confirms nothing.
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    expect(page.get_by_text("confirm that dewi.lestari@example.org is your address")).to_be_visible()
    page.screenshot(path=test_output / "accounts-confirm-address.png", full_page=True)
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url(f"{base}/accounts/login/")
    expect(page.get_by_text("Thank you, Dewi. Your email address is confirmed")).to_be_visible()
    page.get_by_label("Email address").fill("dewi.lestari@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{base}/home/")
    expect(page.get_by_role("heading", name="Hello, Dewi")).to_be_visible()
    for label in ("Screen an X-ray", "My readings", "Hospitals", "Next steps", "How it works"):
        expect(page.locator("nav.main-nav").get_by_role("link", name=label)).to_be_visible()
    page.screenshot(path=test_output / "accounts-home.png", full_page=True)

    # Log out from the account menu (a POST form inside a <details>).
    page.locator("details.account-menu summary").click()
    page.screenshot(path=test_output / "accounts-menu-open.png")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    # A wrong password: the form says so and nobody is logged in.
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email address").fill("dewi.lestari@example.org")
    page.get_by_label("Password").fill("not-the-password-1")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The email address or the password is not correct.")).to_be_visible()
    assert page.url.startswith(f"{base}/accounts/login/")
    page.screenshot(path=test_output / "accounts-login-failed.png", full_page=True)

    # The right password, with the email typed in other capitals.
    page.get_by_label("Email address").fill("DEWI.LESTARI@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/home/")
    expect(page.get_by_role("heading", name="Hello, Dewi")).to_be_visible()

    # A protected page after logging in, on a phone-sized screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/accounts/profile/")
    expect(page.get_by_label("Full name")).to_have_value("Dewi Lestari")
    page.screenshot(path=test_output / "accounts-profile-mobile.png", full_page=True)
    for path in ("/accounts/profile/", "/home/"):
        page.goto(base + path)
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{path} scrolls sideways on a phone"
    page.screenshot(path=test_output / "accounts-home-mobile.png", full_page=True)

    assert page.console_errors == []


def test_language_switch_submits_on_choice(watched_page, live_server, test_output):
    page = watched_page
    page.goto(live_server.url + "/accounts/login/")
    # JavaScript hides the fallback button and submits as soon as a language is chosen.
    expect(page.locator(".lang-form button")).to_be_hidden()
    page.select_option("#language-select", "id")
    page.wait_for_function("document.documentElement.lang === 'id'")
    assert page.url == live_server.url + "/accounts/login/"
    expect(page.locator("#language-select")).to_have_value("id")
    assert page.console_errors == []


def test_lockout_page_after_five_failures(watched_page, live_server, test_output, django_user_model):
    django_user_model.objects.create_user("locked@example.org", PASSWORD, full_name="Rina Locked")
    page = watched_page
    page.goto(live_server.url + "/accounts/login/")
    for _ in range(5):
        page.get_by_label("Email address").fill("locked@example.org")
        page.get_by_label("Password").fill("guess-wrong-9")
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    page.screenshot(path=test_output / "accounts-locked-out.png", full_page=True)

    # Even the right password is refused now.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("locked@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    assert "/home/" not in page.url
