"""A reading through this site's own calibration, and How it works describing it, in a real
browser (desktop and phone, English and Indonesian). Screenshots land in
test-output/site-calibration-*.png for a person to look at."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from webapp.screening import engine, storage
from webapp.tests.support.browser_helpers import record_page_errors
from webapp.tests.support.screening_helpers import write_site_calibration

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LOCALES = {"en": "en-US", "id": "id-ID"}
WORDS = {
    "en": ("Calibrated at this site: its labels were right 88% of the time on its own X-rays.",
           "aimed to contain the right answer 90% of the time, as fitted on this site's own labelled X-rays",
           "This site reads X-rays through its own calibration."),
    "id": ("Dikalibrasi di fasilitas ini: labelnya benar 88% pada foto rontgennya sendiri.",
           "disesuaikan pada foto rontgen berlabel milik fasilitas ini sendiri",
           "Fasilitas ini membaca foto rontgen melalui kalibrasinya sendiri."),
}


@pytest.fixture
def site_reading(model_dir, media_root, patient, xray_paths, tmp_path):
    """A reading made by the engine through a site calibration that labels in-set top classes."""
    previous = getattr(settings, "CXR_SITE_CALIBRATION", "")
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(model_dir, tmp_path / "site.json", 0.0))
    engine._loaded.clear()
    path = xray_paths["pneumonia"][0]
    reading = storage.create_reading(patient, engine.get_predictor().predict(path.read_bytes()))
    yield reading
    settings.CXR_SITE_CALIBRATION = previous
    engine._loaded.clear()


def _page(browser, live_server, user, path, size, language):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=SIZES[size], locale=LOCALES[language])
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.errors = record_page_errors(page)
    page.goto(f"{live_server.url}{path}")
    return context, page


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_reading_and_how_it_works_say_the_site_calibrated_it(chromium_browser, live_server, test_output, patient,
                                                                  site_reading, language, size):
    short, level, guide = WORDS[language]
    context, page = _page(chromium_browser, live_server, patient, f"/screening/readings/{site_reading.pk}/",
                          size, language)
    try:
        expect(page.get_by_test_id("label-caveat-short")).to_have_text(short)
        expect(page.get_by_test_id("prediction-set-level")).to_contain_text(level)
        expect(page.get_by_test_id("label-caveat")).to_have_attribute("data-code", "site_calibrated")
        # A caution of its own under the result, not inside the coloured result box.
        assert page.get_by_test_id("outcome").locator("[data-testid=label-caveat-short]").count() == 0
        if size == "phone":  # the X-ray still comes first on a phone
            assert page.locator("img.xray-original").bounding_box()["y"] < 844
        else:  # the set follows the result directly, in the column beside the X-ray
            caveat = page.get_by_test_id("label-caveat-short").bounding_box()
            assert caveat["y"] >= sum(page.get_by_test_id("outcome").bounding_box()[k] for k in ("y", "height"))
            assert 0 <= page.get_by_test_id("prediction-set").bounding_box()["y"] - (caveat["y"] + caveat["height"]) < 60
        page.wait_for_load_state("networkidle")
        page.screenshot(path=test_output / f"site-calibration-reading-{size}-{language}.png", full_page=True)
        page.goto(f"{live_server.url}/how-it-works/#site-calibration")
        box = page.locator("#site-calibration")
        expect(box).to_be_visible()
        expect(box).to_contain_text(guide)
        box.scroll_into_view_if_needed()
        page.screenshot(path=test_output / f"site-calibration-guide-{size}-{language}.png")
        assert page.errors == []
    finally:
        context.close()
