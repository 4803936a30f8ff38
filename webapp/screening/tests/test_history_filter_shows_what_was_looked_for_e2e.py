"""After filtering the history, each filter box shows the text the list was filtered by, not the
text as typed: what the box says is what was looked for.
- A patient reference typed with odd spacing ("  RM\u00a0001\u200b ", a no-break space and a
  zero-width space pasted from a hospital system) is looked for as "RM 001"
  (patient_ids.patient_reference).
- A note typed with spaces around it ("  follow up\u00a0 ") is looked for as "follow up".
A text refused as too long stays as typed, to be corrected.

Screenshots land in test-output/history-filter-{reference,note}-*.png for a person to look at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening.forms import TYPED_REFERENCE_MAX
from webapp.tests.support.browser_helpers import BROWSER_LOCALES, VIEWPORTS, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]



@dataclass(frozen=True)
class Filter:
    name: str  # the query parameter and the input's name
    label: str  # the box's label, as in the template (translated in the browser test)
    stored: tuple[str, str]  # what the two readings carry: the first matches, the second not
    reading_field: str  # store_reading's keyword for it
    typed: str
    looked_for: str
    too_long: str
    screenshot: str


REFERENCE = Filter("patient", "Patient reference", ("RM 001", "RM 777"), "patient_reference",
                   "  RM\u00a0001\u200b ", "RM 001", "RM " + "9" * TYPED_REFERENCE_MAX, "reference")
NOTE = Filter("note", "Note contains", ("Please follow up with PCR", "Seen"), "note",
              "  follow up\u00a0 ", "follow up", " " + "x" * 101, "note")


def filter_box(html: str, name: str) -> str:
    return re.search(rf'<input type="text" name="{name}"[^>]*>', html).group(0)


def store_two_readings(doctor, model_dir, xray_paths, kind: Filter) -> None:
    for path, value in zip((xray_paths["normal"][0], xray_paths["covid"][0]), kind.stored, strict=True):
        store_reading(doctor, model_dir, path, **{kind.reading_field: value})


@pytest.mark.parametrize("kind", [REFERENCE, NOTE], ids=["reference", "note"])
def test_the_filter_box_shows_the_cleaned_text(client, doctor, model_dir, media_root, xray_paths, kind):
    store_two_readings(doctor, model_dir, xray_paths, kind)
    client.force_login(doctor)
    html = client.get(reverse("screening:history"), {kind.name: kind.typed}).content.decode()
    assert f'value="{kind.looked_for}"' in filter_box(html, kind.name)
    assert html.count('<li class="reading-item ') == 1

    # Only spaces: no filter, and an empty box.
    html = client.get(reverse("screening:history"), {kind.name: "   "}).content.decode()
    assert "value=" not in filter_box(html, kind.name)
    assert html.count('<li class="reading-item ') == 2

    # Too long once as sent: refused, nothing listed, and the box keeps what was typed to fix it.
    html = client.get(reverse("screening:history"), {kind.name: kind.too_long}).content.decode()
    assert f'value="{kind.too_long}"' in filter_box(html, kind.name)
    assert 'data-testid="history-filter-error"' in html


@pytest.mark.parametrize("kind", [REFERENCE, NOTE], ids=["reference", "note"])
@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_the_filter_box_shows_what_was_looked_for(chromium_browser, live_server, test_output, doctor,
                                                   model_dir, media_root, xray_paths, size, language, kind):
    store_two_readings(doctor, model_dir, xray_paths, kind)
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=VIEWPORTS[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("screening:history"))
        with translation.override(language):
            label, button = translation.gettext(kind.label), translation.gettext("Filter")
        items = page.get_by_test_id("reading-list").locator("li")
        expect(items).to_have_count(2)
        box = page.get_by_label(label + ":", exact=True)
        box.fill(kind.typed)
        page.get_by_role("button", name=button).click()
        page.wait_for_url(f"**{kind.name}=**")
        expect(items).to_have_count(1)
        if kind is REFERENCE:  # the list shows the reference itself
            expect(items.nth(0)).to_contain_text(kind.looked_for)
        expect(box).to_have_value(kind.looked_for)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
        page.screenshot(path=test_output / f"history-filter-{kind.screenshot}-{size}-{language}.png",
                        full_page=True)
