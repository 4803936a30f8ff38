"""After filtering the history by a note typed with spaces around it ("  follow up\u00a0 "), the
filter box shows the text the list was filtered by ("follow up": the spaces at either end are
trimmed before matching), not the text as typed, as the patient reference box does
(test_history_filter_shows_used_reference_e2e.py). A note refused as too long stays as typed, to
be corrected.

Screenshots land in test-output/history-filter-note-*.png for a person to look at.
"""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPED = "  follow up\u00a0 "
SIZES = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


def note_box(html: str) -> str:
    return re.search(r'<input type="text" name="note"[^>]*>', html).group(0)


def test_the_note_box_shows_the_trimmed_note(client, doctor, model_dir, media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["normal"][0], note="Please follow up with PCR")
    store_reading(doctor, model_dir, xray_paths["covid"][0], note="Seen")
    client.force_login(doctor)
    html = client.get(reverse("screening:history"), {"note": TYPED}).content.decode()
    assert 'value="follow up"' in note_box(html)
    assert html.count('<li class="reading-item ') == 1

    # Only spaces: no filter, and an empty box.
    html = client.get(reverse("screening:history"), {"note": "   "}).content.decode()
    assert "value=" not in note_box(html)
    assert html.count('<li class="reading-item ') == 2

    # Too long: refused, nothing listed, and the box keeps what was typed to fix it.
    too_long = " " + "x" * 101
    html = client.get(reverse("screening:history"), {"note": too_long}).content.decode()
    assert f'value="{too_long}"' in note_box(html)
    assert 'data-testid="history-filter-error"' in html


@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_the_note_box_shows_the_note_that_was_looked_for(chromium_browser, live_server, test_output,
                                                         doctor, model_dir, media_root, xray_paths,
                                                         size, language):
    store_reading(doctor, model_dir, xray_paths["normal"][0], note="Please follow up with PCR")
    store_reading(doctor, model_dir, xray_paths["covid"][0], note="Seen")
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=SIZES[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("screening:history"))
        with translation.override(language):
            label, button = translation.gettext("Note contains"), translation.gettext("Filter")
        items = page.get_by_test_id("reading-list").locator("li")
        expect(items).to_have_count(2)
        box = page.get_by_label(label + ":", exact=True)
        box.fill(TYPED)
        page.get_by_role("button", name=button).click()
        page.wait_for_url("**note=**")
        expect(items).to_have_count(1)
        expect(box).to_have_value("follow up")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.screenshot(path=test_output / f"history-filter-note-{size}-{language}.png", full_page=True)
