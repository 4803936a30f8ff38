"""In a real browser at 1280 px: the admin's PACS studies list keeps every column in view (a
64-character UID pushed the reason off the table), and a study's page is a view, in English and
Indonesian. Screenshots land in test-output/pacs-admin-*.png for a person to look at."""
from __future__ import annotations

import pytest

from webapp.pacs.tests.test_admin import failed, written
from webapp.tests.support.browser_helpers import admin_list_fits, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_pacs_studies_fit_1280_px(chromium_browser, live_server, test_output, make_user,
                                      language):
    admin = make_user(email="admin@example.org", role="doctor", is_staff=True, is_superuser=True)
    study, broken = written(), failed()
    with signed_in_context_in(chromium_browser, live_server.url, admin, language,
                              viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/pacs/pacsstudy/")
        page.screenshot(path=test_output / f"pacs-admin-list-{language}.png", full_page=True)
        assert admin_list_fits(page)
        page.goto(f"{live_server.url}/admin/pacs/pacsstudy/{broken.pk}/change/")
        page.screenshot(path=test_output / f"pacs-admin-failed-{language}.png", full_page=True)
        assert page.locator("[name=_save]").count() == 0
        page.goto(f"{live_server.url}/admin/pacs/pacsstudy/{study.pk}/change/")
        page.screenshot(path=test_output / f"pacs-admin-written-{language}.png", full_page=True)
        assert page.locator("a.deletelink").count() == 0
        page.goto(f"{live_server.url}/admin/pacs/pacsstudy/{broken.pk}/delete/")
        page.screenshot(path=test_output / f"pacs-admin-delete-{language}.png", full_page=True)
