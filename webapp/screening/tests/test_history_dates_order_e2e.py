"""The history's day filters and order in a real browser (Debian's Chromium), on a phone (360 px)
and a laptop: the labelled date inputs and the order fill in, the list narrows to the days asked
for (in the browser's time zone, Jakarta here), oldest first, and a reversed range says why
nothing is listed. Nothing is wider than the screen.

Screenshots land in test-output/history-dates-*.png for a person to look at.
"""
from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 360, "height": 780}, "laptop": {"width": 1366, "height": 768}}
WIB = datetime.timezone(datetime.timedelta(hours=7))


@pytest.mark.parametrize(("size", "language"), [("phone", "id"), ("phone", "en"), ("laptop", "en")])
def test_the_history_narrows_to_days_oldest_first(chromium_browser, live_server, test_output, doctor, model_dir,
                                                  media_root, xray_paths, size, language):
    image = xray_paths["normal"][0]
    # 9 to 13 March, 08:00 in Jakarta; the 10th's reading at 00:30 there (17:30 UTC on the 9th).
    readings = {day: store_reading(doctor, model_dir, image, patient_reference=f"RM-{day}",
                                   created_at=datetime.datetime(2024, 3, day, 8, tzinfo=WIB))
                for day in (9, 11, 12, 13)}
    readings[10] = store_reading(doctor, model_dir, image, patient_reference="RM-10",
                                 created_at=datetime.datetime(2024, 3, 10, 0, 30, tzinfo=WIB))
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=SIZES[size], locale=BROWSER_LOCALES[language],
                           timezone_id="Asia/Jakarta") as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("screening:history"))
        with translation.override(language):
            labels = {name: str(translation.gettext(text)) for name, text in
                      (("from", "X-ray taken from"), ("to", "X-ray taken until"), ("order", "Order"), ("filter", "Filter"),
                       ("oldest", "Oldest first"))}
        items = page.get_by_test_id("reading-list").locator("li")
        expect(items).to_have_count(5)
        page.get_by_label(labels["from"] + ":", exact=True).fill("2024-03-10")
        page.get_by_label(labels["to"] + ":", exact=True).fill("2024-03-12")
        page.get_by_label(labels["order"] + ":", exact=True).select_option(label=labels["oldest"])
        page.get_by_role("button", name=labels["filter"]).click()
        page.wait_for_url("**from=2024-03-10**")
        expect(items).to_have_count(3)
        for i, day in enumerate((10, 11, 12)):  # both ends included, oldest first
            expect(items.nth(i)).to_contain_text(f"RM-{day}")
        expect(page.get_by_label(labels["from"] + ":", exact=True)).to_have_value("2024-03-10")
        expect(page.get_by_label(labels["order"] + ":", exact=True)).to_have_value("oldest")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        # Every field of the filter bar lies inside the screen.
        for box in [page.locator(f"#id_{name}").bounding_box() for name in ("outcome", "from", "to", "order")]:
            assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
        page.screenshot(path=test_output / f"history-dates-{size}-{language}.png", full_page=True)

        # A range the wrong way round: the error beside the field, and nothing listed.
        page.get_by_label(labels["to"] + ":", exact=True).fill("2024-03-09")
        page.get_by_role("button", name=labels["filter"]).click()
        expect(page.get_by_test_id("history-filter-error")).to_be_visible()
        expect(page.locator("#id_to_error")).to_be_visible()
        expect(page.get_by_test_id("reading-list")).to_have_count(0)
        assert page.get_by_label(labels["to"] + ":", exact=True).get_attribute("aria-invalid") == "true"
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.screenshot(path=test_output / f"history-dates-error-{size}-{language}.png", full_page=True)
