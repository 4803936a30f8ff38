"""In a real browser: the upload page's tip on where the X-ray's own file comes from, worded for a
verified doctor (export it from the PACS) and for a patient (ask the clinic), in English and
Indonesian. Screenshots land in test-output/upload-tips-*.png for a person to look at."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    VIEWPORTS,
    record_page_errors,
    signed_in_context,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIPS = {("doctor", "en"): "export it from the imaging system (PACS) as DICOM or PNG",
        ("doctor", "id"): "ekspor dari sistem pencitraan (PACS) sebagai DICOM atau PNG",
        ("patient", "en"): "ask the clinic or hospital that took it for a digital copy",
        ("patient", "id"): "mintalah salinan digitalnya ke klinik atau rumah sakit"}


@pytest.mark.parametrize(("role", "size", "language"), [
    ("doctor", "desktop", "en"), ("doctor", "phone", "id"), ("patient", "phone", "en"), ("patient", "desktop", "id")])
def test_the_file_tip_speaks_to_the_uploader(chromium_browser, live_server, test_output, make_user, model_dir,
                                             role, size, language):
    user = make_user(role=role)
    with signed_in_context(chromium_browser, live_server.url, user,
                           viewport=VIEWPORTS[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/upload/")
        help_box = page.locator(".upload-help")
        expect(help_box).to_contain_text(TIPS[(role, language)])
        other = "patient" if role == "doctor" else "doctor"
        expect(help_box).not_to_contain_text(TIPS[(other, language)])
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
        help_box.scroll_into_view_if_needed()
        page.screenshot(path=test_output / f"upload-tips-{role}-{size}-{language}.png", full_page=True)
        assert errors == []
