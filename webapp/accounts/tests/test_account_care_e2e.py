"""Issue 17's account items in a real browser (Debian's Chromium), at phone (390 px) and desktop
widths, in English and Indonesian: the warning before the last login attempt and a password
reset that lifts the lock; a doctor who is pending until an administrator approves them in the
admin; downloading all one's data and deleting the account; times in the browser's zone.

Screenshots land in test-output/account-*.png for a person to look at.
"""
import io
import json
import re
import zipfile

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "lantern-river-orbit-58"
NEW_PASSWORD = "harbour-violet-engine-77"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def tr(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def use_language(page, base: str, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])


def shoot(page, test_output, name: str) -> None:
    """Screenshots at desktop and phone width; the phone page must not scroll sideways."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=test_output / f"account-{name}-{label}.png", full_page=True)
        if label == "phone":
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert fits, f"{name} scrolls sideways on a phone"
    page.set_viewport_size(DESKTOP)


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


@pytest.mark.parametrize("language", ["en", "id"])
def test_warning_before_the_last_attempt_and_a_reset_lifts_the_lock(page, live_server, test_output,
                                                                   mailoutbox, make_user, language):
    user = make_user(email=f"rina-{language}@example.org", password=PASSWORD, full_name="Rina Lestari")
    base = live_server.url
    errors = record_page_errors(page, ignored_statuses=frozenset({429}))
    use_language(page, base, language)

    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        log_in(page, base, user.email, "wrong-guess-1")
    expect(page.get_by_test_id("attempts-left")).to_have_count(0)
    log_in(page, base, user.email, "wrong-guess-1")
    warning = page.get_by_test_id("attempts-left")
    expected = {"en": "1 attempt left before a 15-minute lock.",
                "id": "Tinggal 1 percobaan lagi sebelum akun dikunci 15 menit."}[language]
    expect(warning).to_contain_text(expected)
    shoot(page, test_output, f"login-warning-{language}")

    log_in(page, base, user.email, "wrong-guess-1")
    expect(page.get_by_role("heading", name=tr(language, "Too many failed logins"))).to_be_visible()
    page.get_by_role("link", name=tr(language, "Reset my password")).click()
    page.locator("input[name=email]").fill(user.email)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[-1].body).group(1)
    page.goto(base + link)
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(tr(language, "You can log in with it now."))
    shoot(page, test_output, f"reset-complete-{language}")

    # "Log in now" holds: the lock is gone, from the same browser and address.
    page.locator("main").get_by_role("link", name=tr(language, "Log in")).click()
    log_in(page, base, user.email, NEW_PASSWORD)
    assert page.url == f"{base}/home/"
    # The lockout page is a 429 on purpose; the browser logs that status as a console error.
    assert [e for e in errors if "status of 429" not in e] == []


def test_a_doctor_is_pending_until_an_administrator_approves(page, chromium_browser, live_server,
                                                             test_output, make_user, make_reading,
                                                             xray_paths, mailoutbox):
    from webapp.accounts.models import User

    base = live_server.url
    errors = record_page_errors(page)
    page.goto(f"{base}/accounts/register/")
    doctor_fields = page.locator("[data-doctor-only]")
    expect(doctor_fields).to_be_hidden()  # a patient never sees them
    page.get_by_label("Full name").fill("Dr. Sari Wijaya")
    page.get_by_label("Email address").fill("sari@example.org")
    page.get_by_role("radio", name="Doctor").check()
    expect(doctor_fields).to_be_visible()
    page.get_by_label("Licence number").fill("STR-3171-2026")
    page.get_by_label("Workplace").fill("RSUD Tarakan, Jakarta")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    shoot(page, test_output, "register-doctor-en")
    page.get_by_role("button", name="Create my account").click()
    # First the address is confirmed by its mailed link, then she logs in.
    page.wait_for_url(f"{base}/accounts/register/done/")
    page.goto(re.search(r"https?://\S+/accounts/verify-email/\S+/", mailoutbox[-1].body).group(0))
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url(f"{base}/accounts/login/")
    expect(page.get_by_text("Thank you, Sari. Your email address is confirmed")).to_be_visible()
    log_in(page, base, "sari@example.org", PASSWORD)
    page.wait_for_url(f"{base}/home/")
    expect(page.get_by_role("heading", name="Hello, Sari")).to_be_visible()
    banner = page.get_by_test_id("pending-doctor")
    expect(banner).to_contain_text("waiting for an administrator to verify your licence")
    # Said once: the banner, not also a message beside it.
    expect(page.locator("main").get_by_text("administrator", exact=False)).to_have_count(1)
    shoot(page, test_output, "doctor-pending-home-en")

    sari = User.objects.get(email="sari@example.org")
    assert sari.is_pending_doctor and sari.licence_number == "STR-3171-2026"
    reading = make_reading(sari, xray_paths["normal"][0])
    page.goto(f"{base}/screening/readings/{reading.pk}/")
    expect(page.get_by_test_id("pending-doctor")).to_be_visible()
    expect(page.locator("textarea[name=note]")).to_have_count(0)
    use_language(page, base, "id")
    page.goto(f"{base}/accounts/profile/")
    expect(page.get_by_test_id("pending-doctor")).to_contain_text("menunggu administrator")
    expect(page.get_by_test_id("verification-status")).to_contain_text("menunggu")
    shoot(page, test_output, "doctor-pending-profile-id")

    # An administrator approves her in the admin: filter by pending, select, run the action.
    make_user(email="admin@example.org", password=PASSWORD, is_staff=True, is_superuser=True)
    admin_context = chromium_browser.new_context(viewport=DESKTOP, locale="en-US")
    admin = admin_context.new_page()
    admin.goto(f"{base}/admin/login/")
    admin.locator("input[name=username]").fill("admin@example.org")
    admin.locator("input[name=password]").fill(PASSWORD)
    admin.locator("input[type=submit]").click()
    admin.goto(f"{base}/admin/accounts/user/")
    admin.get_by_role("link", name="Pending").click()
    expect(admin.locator("#result_list tbody tr")).to_have_count(1)
    expect(admin.locator("#result_list")).to_contain_text("STR-3171-2026")
    admin.locator("#result_list tbody input.action-select").check()
    admin.locator("select[name=action]").select_option("approve_doctors")
    admin.screenshot(path=test_output / "account-admin-pending-doctors.png", full_page=True)
    admin.locator("button[name=index]").click()
    expect(admin.locator("ul.messagelist")).to_contain_text("1 doctor approved.")
    admin.screenshot(path=test_output / "account-admin-approved.png", full_page=True)
    admin_context.close()

    page.goto(f"{base}/screening/readings/{reading.pk}/")
    expect(page.get_by_test_id("pending-doctor")).to_have_count(0)
    expect(page.locator("textarea[name=note]")).to_be_visible()
    page.goto(f"{base}/accounts/profile/")
    expect(page.get_by_test_id("verification-status")).to_contain_text("terverifikasi")
    shoot(page, test_output, "doctor-verified-profile-id")
    assert errors == []


def test_download_everything_then_delete_the_account(page, live_server, test_output, bob, make_reading,
                                                     xray_paths, media_root):
    from webapp.accounts.models import User
    from webapp.audit.models import Action, AuditEvent
    from webapp.screening import storage

    readings = [make_reading(bob, xray_paths["normal"][0]), make_reading(bob, xray_paths["covid"][0])]
    base = live_server.url
    errors = record_page_errors(page)
    log_in(page, base, bob.email, "quartz-lagoon-violet-73")
    page.goto(f"{base}/accounts/profile/")
    expect(page.locator("main")).to_contain_text("You have 2 readings.")
    shoot(page, test_output, "profile-data-en")
    use_language(page, base, "id")
    page.reload()
    expect(page.locator("main")).to_contain_text("Anda memiliki 2 hasil baca.")
    shoot(page, test_output, "profile-data-id")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-data").click()
    download = download_info.value
    assert re.fullmatch(r"cxr-screening-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    for reading in readings:
        assert archive.read(f"readings/{reading.pk}/original.png") == \
            storage.absolute_path(reading.original_path).read_bytes()
        assert archive.read(f"readings/{reading.pk}/report.pdf").startswith(b"%PDF")
    assert len(json.loads(archive.read("readings.json"))) == 2

    page.get_by_test_id("delete-account").click()
    expect(page.get_by_role("heading", name="Hapus akun Anda?")).to_be_visible()
    page.locator("input[name=password]").fill("not-my-password-9")
    page.get_by_test_id("confirm-delete-account").click()
    expect(page.locator("main")).to_contain_text("Kata sandi tidak benar.")
    shoot(page, test_output, "delete-account-id")
    use_language(page, base, "en")
    page.reload()
    shoot(page, test_output, "delete-account-en")
    page.locator("input[name=password]").fill("quartz-lagoon-violet-73")
    page.get_by_test_id("confirm-delete-account").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text("Your account, your readings and their images were deleted.")).to_be_visible()
    shoot(page, test_output, "deleted-en")

    assert not User.objects.filter(email=bob.email).exists()
    assert not (media_root / str(bob.pk)).exists() or not any((media_root / str(bob.pk)).iterdir())
    event = AuditEvent.objects.get(action=Action.DELETE_ACCOUNT)
    assert event.ip_address is None and bob.email not in event.actor_email
    log_in(page, base, bob.email, "quartz-lagoon-violet-73")
    assert "/accounts/login/" in page.url
    assert errors == []


def test_times_follow_the_browsers_time_zone(chromium_browser, live_server, test_output, make_user,
                                             make_reading, xray_paths):
    import datetime as dt

    user = make_user(email="wayan@example.org", password=PASSWORD, full_name="Wayan Putra")
    reading = make_reading(user, xray_paths["normal"][0])
    reading.created_at = dt.datetime(2026, 3, 4, 3, 5, tzinfo=dt.UTC)
    reading.save()
    base = live_server.url
    # A browser in Jakarta (UTC+7): the first page tells the server, which keeps it.
    context = chromium_browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="Asia/Jakarta")
    page = context.new_page()
    errors = record_page_errors(page)
    log_in(page, base, user.email, PASSWORD)
    page.goto(f"{base}/screening/readings/")
    expect(page.locator("main")).to_contain_text("March 4, 2026, 10:05 a.m. WIB")
    user.refresh_from_db()
    assert user.time_zone == "Asia/Jakarta"
    shoot(page, test_output, "times-wib-en")
    use_language(page, base, "id")
    page.reload()
    expect(page.locator("main")).to_contain_text("4 Maret 2026, 10.05 WIB")
    shoot(page, test_output, "times-wib-id")

    # The profile shows the kept zone; choosing Makassar (UTC+8) changes every time shown.
    page.goto(f"{base}/accounts/profile/")
    expect(page.locator("#id_time_zone")).to_have_value("Asia/Jakarta")
    page.locator("#id_time_zone").select_option("Asia/Makassar")
    shoot(page, test_output, "profile-time-zone-id")
    page.locator("main form button[type=submit]").first.click()
    page.goto(f"{base}/screening/readings/{reading.pk}/")
    expect(page.locator("main")).to_contain_text("4 Maret 2026, 11.05 WITA")
    shoot(page, test_output, "reading-wita-id")
    assert errors == []
    context.close()
