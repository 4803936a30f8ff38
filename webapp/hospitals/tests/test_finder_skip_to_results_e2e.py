"""Opened from a link with a search in it, the hospital finder lists the results below the map,
and Tab went from the form through every marker of the map before reaching the list. A "Skip to
the results" link before the map, shown when the keyboard reaches it, puts the focus on the
results; it is there while the map has markers to skip.

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-skip-*.png.
"""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 360), ("id", 360), ("en", 1280), ("id", 1280)]
IDS = [f"{language}-{width}" for language, width in CASES]

FOCUSED = """() => { const e = document.activeElement;
    return {id: e.id, text: e.textContent.trim(), inMap: !!e.closest("#hospital-map"),
            inResults: !!e.closest("#nearest-results")}; }"""


@pytest.mark.parametrize("finder", CASES, ids=IDS, indirect=True)
def test_a_shared_links_page_skips_the_map_to_the_results(finder, test_output):
    page = finder
    latitude, longitude = page.given_location
    page.goto(f"{page.base}/hospitals/?lat={latitude}&lon={longitude}")
    page.locator("#hospital-map .leaflet-marker-icon").nth(9).wait_for()
    with translation.override(page.language):
        skip_text = translation.gettext("Skip to the results")
        page.get_by_role("button", name=translation.gettext("Find hospitals")).focus()
    assert skip_text != "Skip to the results" or page.language == "en"
    # The first Tab after the form reaches the link, before any marker, and shows it.
    page.keyboard.press("Tab")
    stop = page.evaluate(FOCUSED)
    assert stop["id"] == "skip-to-results" and stop["text"] == skip_text, stop
    box = page.locator("#skip-to-results").bounding_box()
    assert box["width"] > 40 and box["height"] >= 24, box  # seen, not a 1 px clip
    page.screenshot(path=test_output / f"hospitals-skip-{page.language}-{page.width}.png")
    # Enter puts the focus on the results' heading; the next Tab goes on inside the results.
    page.keyboard.press("Enter")
    stop = page.evaluate(FOCUSED)
    assert stop["id"] == "results-heading" and stop["inResults"], stop
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["inResults"]
    assert page.locator("#skip-to-results").bounding_box()["width"] <= 1  # out of sight again


@pytest.mark.parametrize("finder", CASES, ids=IDS, indirect=True)
def test_the_link_is_there_only_while_there_are_markers(finder):
    page = finder
    page.goto(f"{page.base}/hospitals/")
    assert page.locator("#skip-to-results").is_hidden()
    page.locator("#id_place").fill("Surabaya")
    page.locator("#nearest-form button[type=submit]").click()
    page.locator("#hospital-map .leaflet-marker-icon").first.wait_for()
    assert page.locator("#skip-to-results").count() == 1
    page.locator("#skip-to-results").focus()
    assert page.locator("#skip-to-results").is_visible()
