"""The hospital map on a touch laptop (a desktop browser with a touch screen as well as a mouse):
one finger scrolls the page and says to use two, two fingers move the map, the mouse drags it.

Phones already scrolled the page under one finger (test_map_touch_scroll_e2e.py), but that was
decided once for the whole page, by a phone's browser or a coarse main pointer. A laptop's main
pointer is its mouse (pointer: fine), so the map kept one-finger dragging there: a finger swiping
over the map to scroll the page moved the map instead; and where the laptop said its main pointer
was coarse, its mouse could not drag the map. Now each press is judged by its pointer type.

Two laptops: a has_touch context at a desktop's width (Chromium then says pointer: coarse), and a
Chromium started with touch events on and no touch emulation (pointer: fine, hover: hover, as a
touch laptop's browser says). Touches are sent as a touch screen sends them (CDP
Input.dispatchTouchEvent). Screenshots land in test-output/touch-laptop-map-*.png.
"""
from __future__ import annotations

import pytest

from webapp.hospitals.tests.test_map_touch_scroll_e2e import finder_after_search, map_offset, swipe
from webapp.tests.support.browser_helpers import BROWSER_LOCALES, VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HINT = {"en": "Use two fingers to move the map", "id": "Gunakan dua jari untuk menggeser peta"}


@pytest.fixture
def touch_laptop_finder(chromium_browser, chromium_with_touch_events, live_server, indonesian_list):
    """open(laptop, language) -> the finder's page after a search for Bandung, on a touch laptop."""
    contexts = []

    def open_(laptop, language):
        if laptop == "has_touch":
            context = chromium_browser.new_context(viewport=VIEWPORTS["desktop"], has_touch=True,
                                                   is_mobile=False, locale=BROWSER_LOCALES[language])
        else:
            context = chromium_with_touch_events.new_context(viewport=VIEWPORTS["desktop"],
                                                             locale=BROWSER_LOCALES[language])
        contexts.append(context)
        return finder_after_search(context, live_server.url, language)

    yield open_
    for context in contexts:
        context.close()


def centre_the_map(page):
    page.locator("#hospital-map").evaluate("el => el.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    return page.locator("#hospital-map").bounding_box()


@pytest.mark.parametrize("laptop, language", [("has_touch", "en"), ("has_touch", "id"),
                                              ("pointer_fine", "en")])
def test_on_a_touch_laptop_one_finger_scrolls_two_move_the_map_and_the_mouse_drags_it(
        touch_laptop_finder, test_output, laptop, language):
    page = touch_laptop_finder(laptop, language)
    # Neither is a phone's browser; the second says its main pointer is fine, as a laptop does.
    assert page.evaluate("!L.Browser.mobile && 'ontouchstart' in window")
    if laptop == "pointer_fine":
        assert page.evaluate("matchMedia('(pointer: fine)').matches")
    # The page is a desktop's: its main pointer is fine, and it is no phone's browser.
    hint = page.get_by_text(HINT[language], exact=True)
    area = centre_the_map(page)
    top, before = page.evaluate("window.scrollY"), map_offset(page)
    assert not hint.is_visible()

    swipe(page, [(area["x"] + area["width"] / 2, area["y"] + area["height"] * 0.7)], dy=-180)
    assert page.evaluate("window.scrollY") >= top + 100, "one finger over the map must scroll the page"
    assert map_offset(page) == before, "one finger must not move the map"
    assert hint.is_visible(), "one finger on the map is told to use two"
    box, shown = hint.bounding_box(), page.locator("#hospital-map").bounding_box()
    assert shown["x"] <= box["x"] and box["x"] + box["width"] <= shown["x"] + shown["width"]
    page.screenshot(path=test_output / f"touch-laptop-map-one-finger-{laptop}-{language}.png")

    area = centre_the_map(page)
    x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
    swipe(page, [(x - 40, y - 40), (x + 40, y - 40)], dy=80)
    moved = map_offset(page)
    assert moved != before, "two fingers move the map"

    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 50, steps=8)
    page.mouse.up()
    page.wait_for_timeout(400)
    assert map_offset(page) != moved, "the mouse still drags the map"
    page.wait_for_timeout(3000)
    assert not hint.is_visible(), "the hint goes after a while"
    page.screenshot(path=test_output / f"touch-laptop-map-after-{laptop}-{language}.png")
