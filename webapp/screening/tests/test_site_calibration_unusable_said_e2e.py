"""In a real browser: the upload page says the site calibration cannot be used, why and how to fix
it, in English and Indonesian, on a phone and a desktop (operator audit, finding C). Screenshots
land in test-output/site-calibration-unusable-*.png for a person to look at."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import write_site_calibration

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = {"en": "The site calibration cannot be used", "id": "Kalibrasi fasilitas ini tidak dapat dipakai"}
WHY = {"en": "It was fitted on the readings of model 2027-02-01+abc1234",
       "id": "Kalibrasi itu dipasang pada hasil baca model 2027-02-01+abc1234"}


@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id"), ("phone", "en"), ("desktop", "id")])
def test_the_upload_page_says_why_screening_is_off(open_signed_in_page, make_user, model_dir, settings, tmp_path,
                                                   test_output, size, language):
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(
        model_dir, tmp_path / "site.json", 0.8, version="2027-02-01+abc1234", cases=60, set_threshold=0.9))
    page = open_signed_in_page(make_user(role="doctor"), "/screening/upload/", VIEWPORTS[size], language)
    box = page.get_by_test_id("site-calibration-unusable")
    expect(box.get_by_role("heading")).to_have_text(TITLE[language])
    expect(box).to_contain_text(WHY[language])
    expect(box).to_contain_text("CXR_SITE_CALIBRATION")
    assert page.locator("#upload-form").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
    page.screenshot(path=test_output / f"site-calibration-unusable-{size}-{language}.png", full_page=True)
    assert page.errors == []
