"""A long reference without spaces (a hash or a UUID-like PatientID) and a long place typed with
no spaces fit a 375 px phone: found by an audit, the history list grew to 834 px, the reading
page to 720 px, the compare page to 755 px and the hospital finder to 1,969 px.

Screenshots land in test-output/long-text-*.png for a person to look at."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import signed_in_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
REFERENCE = "9f2c4e1a7b3d5f60" * 4  # 64 characters, no space


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_long_unbroken_texts_fit_a_phone(chromium_browser, live_server, test_output, make_user, make_reading,
                                         xray_paths):
    doctor = make_user(role="doctor")
    reading = make_reading(doctor, xray_paths["normal"][0])
    Reading.objects.filter(pk=reading.pk).update(patient_reference=REFERENCE)
    make_reading(doctor, xray_paths["covid"][0])
    Reading.objects.exclude(pk=reading.pk).update(patient_reference=REFERENCE)
    with signed_in_context(chromium_browser, live_server.url, doctor, viewport=PHONE) as context:
        page = context.new_page()
        pages = {
            "history": reverse("screening:history"),
            "reading": reverse("screening:detail", args=[reading.pk]),
            "compare": reverse("screening:compare") + f"?patient={REFERENCE}",
            "hospitals": reverse("hospitals:nearest") + "?place=" + "x" * 199,
        }
        for name, url in pages.items():
            page.goto(live_server.url + url)
            page.screenshot(path=str(test_output / f"long-text-{name}-375.png"), full_page=True)
            assert width(page) <= PHONE["width"], name
        page.goto(live_server.url + pages["history"])
        assert REFERENCE in page.get_by_test_id("reading-list").inner_text().replace("\n", "")
