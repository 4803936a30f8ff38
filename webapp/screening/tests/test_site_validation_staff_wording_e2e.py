"""In a real browser: a staff member's site check with an iPhone photo (HEIC) among the X-rays is
refused with the file named, and told to export the X-ray from the imaging system (PACS), not to
ask the clinic, in English and Indonesian. Screenshots land in
test-output/site-validation-heic-*.png for a person to look at."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.screening.models import SiteValidation
from webapp.screening.tests.test_site_validation_staff_wording import (
    HEIC,
    PATIENT_WORDS,
    STAFF_WORDS,
)
from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    record_page_errors,
    signed_in_context,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]



@pytest.mark.parametrize("language", ["en", "id"])
def test_a_heic_file_in_a_site_check_is_worded_for_staff(chromium_browser, live_server, test_output, make_user,
                                                         model_dir, xray_paths, tmp_path, language):
    staff = make_user(email="admin@example.org", role="doctor", is_staff=True)
    xray = xray_paths["covid"][0]
    heic = tmp_path / "IMG_0042.heic"
    heic.write_bytes(HEIC)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"file,label\n{xray.name},covid\n{heic.name},covid\n")
    with signed_in_context(chromium_browser, live_server.url, staff,
                           viewport={"width": 1280, "height": 900},
                           locale=BROWSER_LOCALES[language]) as context:
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
