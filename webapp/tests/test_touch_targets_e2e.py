"""Touch targets on a phone (the 360 px and 390 px phones of the audit, English and Indonesian).

A finger covers about 9 mm; WCAG 2.5.5 and the platforms' guides ask for 44x44 CSS px targets.
The audit found emergency numbers 31x19 px side by side, a header four rows tall and many
buttons and links 25-38 px tall. Screenshots land in test-output/touch-*.png.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, VIEWPORTS, language_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TARGET = 44  # CSS px, WCAG 2.5.5 (AAA) and Apple's and Google's guides
PHONE = VIEWPORTS["phone"]  # 360 px wide, the narrowest phone the app serves


@pytest.fixture
def open_page(chromium_browser, live_server):
    """open_page(path, language, viewport=PHONE) -> a visitor's page at `path` in `language`;
    every context opened is closed after the test."""
    contexts = []

    def open_(path, language, viewport=PHONE):
        context = chromium_browser.new_context(viewport=viewport, locale=BROWSER_LOCALES[language])
        context.add_cookies([language_cookie(live_server.url, language)])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
        page.goto(f"{live_server.url}{path}")
        return page

    yield open_
    for context in contexts:
        context.close()


def box(locator) -> dict:
    return locator.bounding_box()


def apart(a: dict, b: dict, gap: float) -> bool:
    """Whether boxes `a` and `b` are at least `gap` px apart, across or down."""
    return (a["x"] + a["width"] + gap <= b["x"] or b["x"] + b["width"] + gap <= a["x"]
            or a["y"] + a["height"] + gap <= b["y"] or b["y"] + b["height"] + gap <= a["y"])


EMERGENCY_PAGES = {"hospitals": reverse("hospitals:nearest"),
                   "next-steps": reverse("guide:next_steps", args=["covid"])}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("name", list(EMERGENCY_PAGES))
def test_the_emergency_numbers_are_big_enough_to_tap_and_apart(open_page, test_output, name, language):
    """Each emergency number was a 31x19 px link in the sentence, "112; 911" side by side: a
    slip dialled the other one. Each is a 44x44 px target now, 8 px or more from the next, and
    the United States' 911 on a line of its own below Indonesia's 119 and 112."""
    page = open_page(EMERGENCY_PAGES[name], language)
    targets = {n: page.locator(f"main a[href='tel:{n}']") for n in (119, 112, 911)}
    assert [t.count() for t in targets.values()] == [1, 1, 1]
    boxes = {n: box(t) for n, t in targets.items()}
    for number, b in boxes.items():
        assert b["width"] >= TARGET and b["height"] >= TARGET, (number, b)
    assert apart(boxes[119], boxes[112], 8) and apart(boxes[112], boxes[911], 8)
    # 911 is for the USA: below the Indonesian numbers, not one more button in their row.
    assert boxes[911]["y"] >= max(boxes[119]["y"] + boxes[119]["height"],
                                  boxes[112]["y"] + boxes[112]["height"]) + 8
    page.get_by_test_id("emergency-calls").evaluate("el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=test_output / f"touch-emergency-{name}-{language}-360.png")
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.get_by_test_id("emergency-calls").evaluate("el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=test_output / f"touch-emergency-{name}-{language}-1280.png")
