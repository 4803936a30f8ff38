"""Every stop the Tab key makes on the finder's map has a name; the search point makes none.

Found by an audit: Tab walked from the form through the map container, an unnamed focusable
SVG path (the search-point marker: its tooltip's focus listeners make Chrome put it in the tab
order), the hospital markers, the zoom buttons and the attribution links before reaching the
list. The search point is no longer a tab stop; the hospital markers keep their names.

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-map-tab-*.png.
"""

import pytest
from django.utils import translation

from webapp.hospitals.nearest import nearest_open_hospitals

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 390), ("id", 390), ("en", 1280), ("id", 1280)]
SURABAYA = (-7.2575, 112.7521)

# What a screen reader would call the focused element (enough for these elements: links,
# buttons, images, the named map region; an SVG path has none of these).
FOCUSED = """() => {
    const e = document.activeElement;
    const name = e.getAttribute("aria-label") || e.getAttribute("alt") || e.textContent.trim()
                 || e.getAttribute("title") || "";
    return {tag: e.tagName.toLowerCase(), name: name, inMap: !!e.closest("#hospital-map"),
            inResults: !!e.closest("#nearest-results")};
}"""


@pytest.mark.parametrize(("language", "width"), CASES)
def test_the_maps_tab_stops_are_all_named(chromium_browser, live_server, indonesian_list, test_output,
                                          language, width):
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        # A search from a shared link: the server lists the results, the script draws the map.
        page.goto(f"{live_server.url}/hospitals/?lat={SURABAYA[0]}&lon={SURABAYA[1]}")
        page.locator("#hospital-map .leaflet-marker-icon").nth(9).wait_for()
        with translation.override(language):
            page.get_by_role("button", name=translation.gettext("Find hospitals")).focus()
        stops = []
        for _ in range(40):
            page.keyboard.press("Tab")
            stop = page.evaluate(FOCUSED)
            if stop["inResults"]:
                break
            stops.append(stop)
        map_stops = [stop for stop in stops if stop["inMap"]]
        assert not [stop for stop in map_stops if stop["tag"] == "path" or not stop["name"]], map_stops
        markers = [stop["name"] for stop in map_stops if stop["tag"] == "img"]
        nearest = nearest_open_hospitals(*SURABAYA, k=10, public_only=True)
        assert sorted(markers) == sorted(item.hospital.name for item in nearest)  # each by its name
        # Hovered (the nearest hospitals' markers may cover it), the search point still says what it is.
        page.locator("#hospital-map path.leaflet-interactive").dispatch_event("mouseover")
        with translation.override(language):
            assert page.locator("#hospital-map .leaflet-tooltip").inner_text() == translation.gettext("Search point")
        page.locator("#hospital-map").screenshot(path=test_output / f"hospitals-map-tab-{language}-{width}.png")
    finally:
        context.close()
