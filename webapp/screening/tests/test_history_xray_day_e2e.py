"""The history by X-ray day in a real browser (Debian's Chromium), on a phone (360 px) and a laptop,
in English and Indonesian: rows say "X-ray taken <date>" where a DICOM date is known, the day
filters are labelled by that date and find an old film by the year it was taken, oldest first,
and a patient reference pasted with a no-break space and a zero-width space finds the reference
typed by hand. Nothing is wider than the screen.

Screenshots land in test-output/history-xray-day-*.png for a person to look at.
"""
from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import BROWSER_LOCALES, signed_in_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 360, "height": 780}, "laptop": {"width": 1366, "height": 768}}
UTC = datetime.UTC


@pytest.mark.parametrize(("size", "language"), [("phone", "id"), ("laptop", "en")])
def test_the_history_lists_and_filters_by_the_xray_day(chromium_browser, live_server, test_output, make_user,
                                                       make_reading, xray_paths, size, language):
    doctor = make_user(role="doctor")
    films = {}
    for name, image, taken, uploaded, reference in (
            ("old_film", xray_paths["covid"][0], datetime.date(2019, 5, 1), datetime.datetime(2024, 3, 12, 9, tzinfo=UTC), "RM 001234"),
            ("png", xray_paths["normal"][0], None, datetime.datetime(2024, 3, 10, 9, tzinfo=UTC), "RM 001234"),
            ("recent", xray_paths["pneumonia"][0], datetime.date(2024, 3, 11), datetime.datetime(2024, 3, 13, 9, tzinfo=UTC), "RM 777")):
        reading = make_reading(doctor, image)
        Reading.objects.filter(pk=reading.pk).update(taken_on=taken, created_at=uploaded, patient_reference=reference)
        films[name] = reading.pk
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=SIZES[size], locale=BROWSER_LOCALES[language],
                           timezone_id="UTC") as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("screening:history"))
        with translation.override(language):
            words = {key: str(translation.gettext(text)) for key, text in (
                ("from", "X-ray taken from"), ("to", "X-ray taken until"), ("order", "Order"),
                ("oldest", "Oldest first"), ("filter", "Filter"), ("patient", "Patient reference"),
                ("help", "X-ray dates come from the DICOM file; an image without one is dated by the day it was uploaded."))}
            taken_2019 = translation.gettext("X-ray taken %(date)s") % {"date": "1 Mei 2019" if language == "id" else "May 1, 2019"}
        items = page.get_by_test_id("reading-list").locator("li")
        expect(items).to_have_count(3)
        # Newest X-ray first: the 11 March DICOM, the PNG uploaded on the 10th, the 2019 film last.
        expect(items.nth(0)).to_contain_text("RM 777")
        expect(items.nth(2).get_by_test_id("history-taken-on")).to_have_text(taken_2019)
        expect(items.nth(1).get_by_test_id("history-taken-on")).to_have_count(0)
        expect(page.get_by_test_id("history-days-help")).to_have_text(words["help"])
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.screenshot(path=test_output / f"history-xray-day-{size}-{language}.png", full_page=True)

        # The 2019 film is found by the year it was taken, not the day it was uploaded.
        page.get_by_label(words["from"] + ":", exact=True).fill("2019-01-01")
        page.get_by_label(words["to"] + ":", exact=True).fill("2024-03-10")
        page.get_by_label(words["order"] + ":", exact=True).select_option(label=words["oldest"])
        # Pasted from a hospital system: a no-break space and a zero-width space.
        page.get_by_label(words["patient"] + ":", exact=True).fill("RM\u00a0001234\u200b")
        page.get_by_role("button", name=words["filter"]).click()
        page.wait_for_url("**from=2019-01-01**")
        expect(items).to_have_count(2)
        expect(items.nth(0).get_by_test_id("history-taken-on")).to_have_text(taken_2019)
        expect(items.nth(1)).to_contain_text("RM 001234")
        # The compare link opens that patient, spelt as stored.
        assert page.get_by_test_id("compare-link").get_attribute("href").endswith("?patient=RM%20001234")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        for name in ("outcome", "patient", "from", "to", "order"):
            box = page.locator(f"#id_{name}").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
        page.screenshot(path=test_output / f"history-xray-day-filtered-{size}-{language}.png", full_page=True)
