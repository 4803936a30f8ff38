"""After a search, the finder brings its results into view and moves the focus to their heading.

Found by an audit: on a phone (390x844) "Find hospitals" left the page where it was, with the
list below the fold (y=992) and the focus on the button, so nothing visible changed but the map
markers, and a screen reader said nothing of the results. A click on the map still leaves the
page where it is: the user is looking at the map, whose markers change.

A screen-reader audit then heard the whole list (some 2,300 characters for ten hospitals) read
out after each search, the results being a live region, and then the heading again as it took
the focus. The list is no live region: a search says its heading once, by the focus, and a map
click (the focus stays on the map) by a short status naming the new heading.

Only the Indonesian list is imported (the places searched are in Indonesia). Screenshots land
in test-output/hospitals-results-focus-*.png.
"""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 390), ("id", 390), ("en", 1280), ("id", 1280)]


@pytest.fixture
def finder_page(chromium_browser, live_server, indonesian_list, request):
    """A visitor's finder page (no account needed) in the case's language and width, map tiles
    blocked (tests run offline), collecting script errors."""
    language, width = request.param
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.goto(f"{live_server.url}/hospitals/")
    page.language, page.width = language, width
    yield page
    context.close()


def in_view(page, selector) -> bool:
    """The element's top edge lies inside the window (what the user sees without scrolling)."""
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect();"
                                           " return r.top > -1 && r.top < innerHeight; }")


def empty_map_point(page) -> tuple[float, float]:
    """A point of the map with no marker, control or popup on it (a click there searches)."""
    return page.evaluate("""() => {
        const box = document.getElementById("hospital-map").getBoundingClientRect();
        for (const [fx, fy] of [[0.15, 0.85], [0.5, 0.15], [0.85, 0.5], [0.3, 0.3], [0.6, 0.6]]) {
            const x = box.left + box.width * fx, y = box.top + box.height * fy;
            const hit = document.elementFromPoint(x, y);
            if (hit && !hit.closest(".leaflet-marker-pane, .leaflet-overlay-pane, .leaflet-popup-pane,"
                                    + " .leaflet-tooltip-pane, .leaflet-control")) return [x, y];
        }
        throw new Error("no empty point on the map");
    }""")


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


@pytest.mark.parametrize("finder_page", CASES, indirect=True, ids=[f"{lang}-{w}" for lang, w in CASES])
def test_a_search_shows_its_results_and_focuses_their_heading(finder_page, test_output):
    page = finder_page
    with translation.override(page.language):
        find, call = translation.gettext("Find hospitals"), translation.gettext("Call")
    page.locator("#id_place").fill("Surabaya")
    page.get_by_role("button", name=find).click()
    # The first search of a run builds the place index: it may take a while.
    page.wait_for_function("() => document.getElementById('results-heading')?.textContent.includes('Surabaya')",
                           timeout=60_000)
    assert in_view(page, "#results-heading"), page.evaluate("scrollY")
    assert focused(page) == "results-heading"
    assert page.locator("#results-heading").get_attribute("tabindex") == "-1"  # focusable, no tab stop
    # Each marker is named once (its alt), not again as a description (a title with the same
    # words), and the map library's credit is described in the page's language.
    marker = page.locator("#hospital-map .leaflet-marker-icon").first
    assert marker.get_attribute("alt") and marker.get_attribute("title") is None
    with translation.override(page.language):
        library = translation.gettext("A JavaScript library for interactive maps")
    assert page.locator(".leaflet-control-attribution a[href='https://leafletjs.com']").get_attribute("title") == library
    # Said once, by the focus: the list is not read out as a live region as well.
    live = page.evaluate("""() => [...document.querySelectorAll('[aria-live], [role=status], [role=alert]')]
        .filter(e => e.contains(document.getElementById('hospital-list'))).length""")
    assert live == 0
    page.screenshot(path=test_output / f"hospitals-results-focus-{page.language}-{page.width}.png")
    # The next Tab goes into the list, not back through the map.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").startswith(f"{call} ")
    assert page.evaluate("document.getElementById('hospital-list').contains(document.activeElement)")

    # A map click searches from that point and leaves the page and the focus where they were.
    page.locator("#hospital-map").scroll_into_view_if_needed()
    before, lat = page.evaluate("scrollY"), page.locator("#id_lat").input_value()
    page.mouse.click(*empty_map_point(page))
    page.wait_for_function("() => document.getElementById('id_place').value === ''"
                           " && !document.getElementById('search-status').textContent")
    assert page.locator("#id_lat").input_value() != lat
    assert page.evaluate("scrollY") == before
    assert focused(page) != "results-heading"
    # The focus stays on the map, so a status says what changed, in a line.
    said = page.locator("#results-said")
    assert said.get_attribute("role") == "status"
    assert said.inner_text() == page.locator("#results-heading").inner_text()
    assert page.script_errors == []
