"""After filtering the history by a patient reference typed with odd spacing ("  RM\u00a0001 ", a
no-break space, a zero-width space pasted from a hospital system), the filter box shows the
reference the list was filtered by ("RM 001", patient_ids.patient_reference), not the text as
typed: what the box says is what was looked for. A reference refused as too long stays as typed,
to be corrected.

Screenshots land in test-output/history-filter-reference-*.png for a person to look at.
"""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening.forms import TYPED_REFERENCE_MAX
from webapp.tests.support.browser_helpers import BROWSER_LOCALES, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPED = "  RM\u00a0001\u200b "
SIZES = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


def patient_box(html: str) -> str:
    return re.search(r'<input type="text" name="patient"[^>]*>', html).group(0)


def test_the_filter_box_shows_the_cleaned_reference(client, doctor, model_dir, media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM 001")
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM 777")
    client.force_login(doctor)
    html = client.get(reverse("screening:history"), {"patient": TYPED}).content.decode()
    assert 'value="RM 001"' in patient_box(html)
    assert html.count('<li class="reading-item ') == 1

    # Too long once as sent: refused, nothing listed, and the box keeps what was typed to fix it.
    too_long = "RM " + "9" * TYPED_REFERENCE_MAX
    html = client.get(reverse("screening:history"), {"patient": too_long}).content.decode()
    assert f'value="{too_long}"' in patient_box(html)
    assert 'data-testid="history-filter-error"' in html


@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_the_filter_box_shows_the_reference_that_was_looked_for(chromium_browser, live_server, test_output,
                                                                doctor, model_dir, media_root, xray_paths,
                                                                size, language):
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM 001")
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM 777")
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=SIZES[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("screening:history"))
        with translation.override(language):
            label, button = translation.gettext("Patient reference"), translation.gettext("Filter")
        items = page.get_by_test_id("reading-list").locator("li")
        expect(items).to_have_count(2)
        box = page.get_by_label(label + ":", exact=True)
        box.fill(TYPED)
        page.get_by_role("button", name=button).click()
        page.wait_for_url("**patient=**")
        expect(items).to_have_count(1)
        expect(items.nth(0)).to_contain_text("RM 001")
        expect(box).to_have_value("RM 001")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.screenshot(path=test_output / f"history-filter-reference-{size}-{language}.png", full_page=True)
