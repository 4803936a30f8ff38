"""The admin's Users list in a real browser (Debian's Chromium), in English and Indonesian: it says
how many doctors are waiting, approves and withdraws a verification with a message each, keeps
both in the account's History, and refuses the administrator's own account, alone or ticked with
another.

Screenshots land in test-output/admin-users-*.png for a person to look at.
"""
import pytest
from django.conf import settings
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    record_page_errors,
    signed_in_context,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"waiting": "1 doctor is waiting for verification.", "approved": "1 doctor approved.",
           "history_approved": "Approved the doctor verification.",
           "withdrawn": "1 doctor is pending again.",
           "history_withdrawn": "Withdrew the doctor verification.",
           "own": "You cannot delete your own account",
           "own_ticked": "Nothing was deleted: you cannot delete your own account"},
    "id": {"waiting": "1 dokter menunggu verifikasi.", "approved": "1 dokter disetujui.",
           "history_approved": "Menyetujui verifikasi dokter.",
           "withdrawn": "1 dokter kembali menunggu verifikasi.",
           "history_withdrawn": "Mencabut verifikasi dokter.",
           "own": "Anda tidak dapat menghapus akun Anda sendiri",
           "own_ticked": "Tidak ada yang dihapus: Anda tidak dapat menghapus akun Anda sendiri"},
}


def _run_action(page, emails, action):
    for email in emails:
        page.locator("#result_list tbody tr", has_text=email).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("button[name=index]").click()


@pytest.mark.parametrize("language", ["en", "id"])
def test_doctor_verification_and_refused_self_deletion(chromium_browser, live_server, test_output,
                                                       make_user, language):
    base, words = live_server.url, WORDS[language]
    admin = make_user(email="admin@example.org", full_name="Admin", is_staff=True, is_superuser=True)
    sari = make_user(email="sari@example.org", full_name="Dr. Sari Wijaya", role="doctor",
                     doctor_verified_at=None, licence_number="STR-3171-2026", workplace="RSUD Tarakan")
    make_user(email="bob@example.org", full_name="Bob")
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}
    with signed_in_context(chromium_browser, base, admin, extra_cookies=(cookie,),
                          viewport={"width": 1280, "height": 900},
                          locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        errors = record_page_errors(page)
        messages = page.locator("ul.messagelist")

        page.goto(f"{base}/admin/accounts/user/")
        expect(messages).to_contain_text(words["waiting"])
        page.screenshot(path=test_output / f"admin-users-waiting-{language}.png", full_page=True)

        _run_action(page, [sari.email], "approve_doctors")
        expect(messages).to_contain_text(words["approved"])
        expect(messages).not_to_contain_text(words["waiting"])
        page.screenshot(path=test_output / f"admin-users-approved-{language}.png", full_page=True)

        _run_action(page, [sari.email], "withdraw_doctor_verification")
        expect(messages).to_contain_text(words["withdrawn"])
        page.screenshot(path=test_output / f"admin-users-withdrawn-{language}.png", full_page=True)

        page.goto(f"{base}/admin/accounts/user/{sari.pk}/history/")
        expect(page.locator("#change-history")).to_contain_text(words["history_approved"])
        expect(page.locator("#change-history")).to_contain_text(words["history_withdrawn"])
        page.screenshot(path=test_output / f"admin-users-history-{language}.png", full_page=True)

        page.goto(f"{base}/admin/accounts/user/{admin.pk}/delete/")
        page.wait_for_url(f"{base}/admin/accounts/user/{admin.pk}/change/")
        expect(messages).to_contain_text(words["own"])
        expect(page.locator("a.deletelink")).to_have_count(0)
        page.screenshot(path=test_output / f"admin-users-own-delete-{language}.png", full_page=True)

        page.goto(f"{base}/admin/accounts/user/")
        _run_action(page, [admin.email, "bob@example.org"], "delete_selected")
        expect(messages).to_contain_text(words["own_ticked"])
        expect(page.locator("#result_list")).to_contain_text("bob@example.org")
        page.screenshot(path=test_output / f"admin-users-own-ticked-{language}.png", full_page=True)
        # The admin's pages name no icon, so Chromium asks for /favicon.ico (a 404): that one
        # reaches the console only; a page's own 404 would also be an "HTTP 404 ..." entry.
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
