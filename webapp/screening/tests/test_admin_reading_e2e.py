"""In a real browser at 1280 px, in English and Indonesian: the admin's index names the product
and its apps in the reader's language, and a reading's page is a view (no Save buttons) whose
probabilities and warnings read as text. Screenshots land in test-output/admin-*.png."""
from __future__ import annotations

import pytest

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import admin_list_fits, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"header": "CXR Screening administration", "apps": ("Accounts", "Hospitals", "Screening"),
           "title": "View reading", "normal": "Normal: 75.0%"},
    "id": {"header": "Administrasi Skrining CXR", "apps": ("Akun", "Rumah sakit", "Skrining"),
           "title": "Lihat hasil baca", "normal": "Normal: 75,0%"},
}


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_admin_index_and_a_reading_in_a_browser(chromium_browser, live_server, test_output,
                                                   make_user, make_reading, xray_paths, language):
    admin = make_user(email="admin@example.org", role="doctor", is_staff=True, is_superuser=True)
    reading = make_reading(admin, xray_paths["normal"][0])
    Reading.objects.filter(pk=reading.pk).update(
        label=None, probabilities={"covid": 0.05, "normal": 0.75, "pneumonia": 0.2},
        warnings=[{"code": "", "params": {}, "text": "The image is smaller than usual."}])
    words = WORDS[language]
    with signed_in_context_in(chromium_browser, live_server.url, admin, language,
                              viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/")
        page.screenshot(path=test_output / f"admin-index-{language}.png", full_page=True)
        assert page.locator("#site-name").inner_text().strip() == words["header"]
        captions = page.locator("#content-main caption").all_inner_texts()
        for app in words["apps"]:
            assert any(caption.strip().lower() == app.lower() for caption in captions), captions

        page.goto(f"{live_server.url}/admin/screening/reading/")
        page.screenshot(path=test_output / f"admin-readings-{language}.png", full_page=True)
        assert admin_list_fits(page)

        page.goto(f"{live_server.url}/admin/screening/reading/{reading.pk}/change/")
        page.screenshot(path=test_output / f"admin-reading-{language}.png", full_page=True)
        assert page.locator("#content h1").inner_text().strip() == words["title"]
        assert page.locator("[name=_save], [name=_continue]").count() == 0
        assert page.locator("a.deletelink").count() == 1
        assert words["normal"] in page.locator(".field-probabilities_shown").inner_text()
