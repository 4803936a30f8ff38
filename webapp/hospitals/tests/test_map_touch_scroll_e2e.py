"""The hospital map on a touch screen: one finger scrolls the page, two fingers move the map.

On a 360 px phone the map is 328x300 px, most of the screen: a one-finger swipe over it panned
the map and the page did not scroll, so a visitor who had scrolled down to the map could not get
past it to the list. Touches are sent as the phone sends them (CDP Input.dispatchTouchEvent in
a has_touch, is_mobile context). Screenshots land in test-output/touch-map-*.png.
"""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, language_cookie, touch_gesture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


def finder_after_search(context, base: str, language: str):
    """A page of `context` on the finder after a search for Bandung, its markers drawn (map tiles
    blocked: tests run offline)."""
    context.add_cookies([language_cookie(base, language)])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(f"{base}{reverse('hospitals:nearest')}?place=Bandung")
    page.locator("#hospital-map .leaflet-marker-icon").first.wait_for()
    return page


@pytest.fixture
def phone_finder(chromium_browser, live_server, indonesian_list):
    """open(language) -> the finder's page after a search for Bandung, on a touch phone."""
    contexts = []

    def open_(language):
        context = chromium_browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True,
                                               locale=BROWSER_LOCALES[language])
        contexts.append(context)
        return finder_after_search(context, live_server.url, language)

    yield open_
    for context in contexts:
        context.close()


def swipe(page, points_from: list[tuple[float, float]], dy: float, steps: int = 10) -> None:
    """A swipe of len(points_from) fingers, each `dy` px down (negative: up), a frame apart."""
    touch_gesture(page, points_from, [(x, y + dy) for x, y in points_from], steps, pause_ms=16)
    page.wait_for_timeout(400)  # the page's or the map's glide after the swipe


def map_offset(page) -> tuple[int, int]:
    """Where the first marker is in the map's box: changes when the map is moved (a drag moves
    the map's pane, a pinch the layers in it)."""
    marker = page.locator("#hospital-map .leaflet-marker-icon").first.bounding_box()
    area = page.locator("#hospital-map").bounding_box()
    return round(marker["x"] - area["x"]), round(marker["y"] - area["y"])


@pytest.mark.parametrize("language", ["en", "id"])
def test_one_finger_scrolls_the_page_over_the_map_and_two_move_it(phone_finder, test_output, language):
    page = phone_finder(language)
    hospital_map = page.locator("#hospital-map")
    hospital_map.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    top = page.evaluate("window.scrollY")
    before = map_offset(page)
    area = hospital_map.bounding_box()
    middle = (area["x"] + area["width"] / 2, area["y"] + area["height"] * 0.7)
    page.screenshot(path=test_output / f"touch-map-{language}-360.png")

    swipe(page, [middle], dy=-180)
    assert page.evaluate("window.scrollY") >= top + 100, "a one-finger swipe up over the map must scroll the page"
    assert map_offset(page) == before, "a one-finger swipe must not move the map"

    hospital_map.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    area = hospital_map.bounding_box()
    x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
    swipe(page, [(x - 40, y - 40), (x + 40, y - 40)], dy=80)
    assert map_offset(page) != before, "two fingers move the map"

    with translation.override(language):
        caption = translation.gettext("Tap or click the map to search from that point. On a touch screen, "
                                      "move the map with two fingers.")
    assert page.get_by_text(caption).is_visible()
    page.get_by_text(caption).scroll_into_view_if_needed()
    page.screenshot(path=test_output / f"touch-map-after-{language}-360.png")
