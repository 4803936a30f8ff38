"""In a real browser: a staff member's site check with an iPhone photo (HEIC) among the X-rays is
refused with the file named, and told to export the X-ray from the imaging system (PACS), not to
ask the clinic, in English and Indonesian. Screenshots land in
test-output/site-validation-heic-*.png for a person to look at."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from webapp.screening.models import SiteValidation
from webapp.screening.tests.test_site_validation_staff_wording import (
    HEIC,
    PATIENT_WORDS,
    STAFF_WORDS,
)
from webapp.tests.support.browser_helpers import record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "id": "id-ID"}


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_heic_file_in_a_site_check_is_worded_for_staff(chromium_browser, live_server, test_output, make_user,
                                                         model_dir, xray_paths, tmp_path, language):
    staff = make_user(email="admin@example.org", role="doctor", is_staff=True)
    client = Client()
    client.force_login(staff)
    xray = xray_paths["covid"][0]
    heic = tmp_path / "IMG_0042.heic"
    heic.write_bytes(HEIC)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"file,label\n{xray.name},covid\n{heic.name},covid\n")
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale=LOCALES[language])
    try:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        page = context.new_page()
        errors = record_page_errors(page, ignored_statuses=frozenset({422}))
        page.goto(f"{live_server.url}/screening/site-validation/")
        page.set_input_files("#id_images", [str(xray), str(heic)])
        page.set_input_files("#id_labels", str(labels))
        page.locator(".site-validation-form [type=submit]").click()
        problem = page.get_by_test_id("validation-error").locator("li", has_text=heic.name)
        expect(problem).to_contain_text(STAFF_WORDS[language], timeout=60_000)
        expect(problem).not_to_contain_text(PATIENT_WORDS[language])
        page.screenshot(path=test_output / f"site-validation-heic-{language}.png", full_page=True)
        assert [e for e in errors if "status of 422" not in e] == []
        assert not SiteValidation.objects.exists()
    finally:
        context.close()
