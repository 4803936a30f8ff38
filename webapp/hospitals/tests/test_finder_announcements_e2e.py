"""What a screen reader hears on the finder as it changes under the user, in a real Chromium.

An audit found two changes said to nobody: the place box's suggestions (a combobox whose list
appeared silently: a screen reader user did not know there was anything to choose, nor that
nothing was found), and a marker's popup on the map (opened with Enter on a focused marker or a
click, its hospital and distance shown but never read out). Each now goes to a polite status line
(role=status) that exists from the page's load, so screen readers watch it. Screenshots land in
test-output/hospitals-announced-*.png.
"""
import re

import pytest
from django.utils import translation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 1280), ("id", 390)]
IDS = [f"{language}-{width}" for language, width in CASES]


def words(language: str, count: int) -> str:
    with translation.override(language):
        return translation.ngettext(
            "%(count)s suggestion: use the up and down arrow keys to choose one.",
            "%(count)s suggestions: use the up and down arrow keys to choose one.",
            count) % {"count": count}


@pytest.mark.parametrize("finder", CASES, indirect=True, ids=IDS)
def test_suggestions_are_announced_with_their_number(finder, test_output):
    page = finder
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{page.base}/hospitals/")
    said = page.locator("#place-suggestions-said")
    assert said.get_attribute("role") == "status" and said.inner_text() == ""
    box = page.locator("#id_place")
    assert (box.get_attribute("role"), box.get_attribute("aria-controls")) == ("combobox", "place-suggestions")

    box.press_sequentially("Sura", delay=40)
    options = page.locator("#place-suggestions [role=option]")
    options.first.wait_for()
    count = options.count()
    assert count >= 1 and said.inner_text() == words(page.language, count)
    assert box.get_attribute("aria-expanded") == "true"
    # Said, not shown: the status line takes no room on the page.
    assert said.bounding_box()["width"] <= 1
    page.screenshot(path=test_output / f"hospitals-announced-suggestions-{page.language}-{page.width}.png")

    box.fill("")
    box.press_sequentially("Xqzv", delay=40)
    with translation.override(page.language):
        none = translation.gettext("No suggestions.")
    page.wait_for_function("t => document.getElementById('place-suggestions-said').textContent === t", arg=none)
    assert box.get_attribute("aria-expanded") == "false"
    box.press("Escape")
    box.fill("")  # fewer than two letters: no suggestion asked for, nothing left said
    page.wait_for_function("() => document.getElementById('place-suggestions-said').textContent === ''")
    assert errors == []


@pytest.mark.parametrize("finder", CASES, indirect=True, ids=IDS)
def test_a_markers_popup_is_announced(finder, test_output):
    page = finder
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{page.base}/hospitals/?place=Surabaya")
    said = page.locator("#map-said")
    assert said.get_attribute("role") == "status" and said.inner_text() == ""
    first = page.locator("#hospital-list > li").first
    name = first.locator("h3").inner_text()
    km = re.search(r"\d[\d.,]*", first.locator(".hospital-distance").inner_text()).group(0)

    marker = page.locator(f'#hospital-map .leaflet-marker-icon[alt="{name}"]').first
    marker.focus()
    marker.press("Enter")
    page.locator(".leaflet-popup").wait_for()
    with translation.override(page.language):
        expected = f"{name}, " + translation.gettext("%(km)s km away") % {"km": km}
    page.wait_for_function("t => document.getElementById('map-said').textContent === t", arg=expected)
    page.screenshot(path=test_output / f"hospitals-announced-popup-{page.language}-{page.width}.png")

    # Closed, the line is emptied: nothing stale is read later. Leaflet pans the map (an
    # animation) to show the popup; its close button is clicked once inside the map's box, not
    # where the map still clips it (under load CI clicked beside it, and the popup stayed).
    page.wait_for_function("""() => {
      const button = document.querySelector('.leaflet-popup-close-button').getBoundingClientRect();
      const map = document.getElementById('hospital-map').getBoundingClientRect();
      return button.left >= map.left && button.right <= map.right
             && button.top >= map.top && button.bottom <= map.bottom;
    }""")
    page.locator(".leaflet-popup-close-button").click()
    page.locator(".leaflet-popup").wait_for(state="detached")
    assert said.inner_text() == "" and errors == []
