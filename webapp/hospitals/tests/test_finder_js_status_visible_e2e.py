"""The finder's status line ("Searching…", "Location permission was refused…") shows where the
user acted.

Found by an audit: at 1280x900 the status line sits at the foot of the search form (y=925),
below the fold, so pressing "Use my location" and refusing the permission, or pressing "Find
hospitals", seemed to do nothing. The line is now scrolled into view when it says something, and
is still the polite live region that announces it.

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-status-*.png.
"""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 390), ("id", 390), ("en", 1280), ("id", 1280)]
IDS = [f"{language}-{width}" for language, width in CASES]


@pytest.fixture
def finder_context(chromium_browser, live_server, indonesian_list, request):
    """A visitor's browser (no account needed) in the case's language and width, with a location
    to give but no permission to give it (as when the user refuses), map tiles blocked."""
    language, width = request.param
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                           locale="id-ID" if language == "id" else "en-US",
                                           geolocation={"latitude": -7.2575, "longitude": 112.7521})
    context.clear_permissions()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.set_default_timeout(15_000)
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    context.language, context.width, context.base = language, width, live_server.url
    yield context
    context.close()


def in_view(page, selector) -> bool:
    """The whole element lies inside the window (what the user sees without scrolling)."""
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect();"
                                           " return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1; }")


def assert_a_live_status(page):
    status = page.locator("#search-status")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"


@pytest.mark.parametrize("finder_context", CASES, indirect=True, ids=IDS)
def test_a_refused_location_is_said_in_view(finder_context, test_output):
    context = finder_context
    with translation.override(context.language):
        button = translation.gettext("Use my location")
        refused = translation.gettext("Location permission was refused. Type a place, or tap or click the map instead.")
    page = context.new_page()
    page.goto(f"{context.base}/hospitals/")
    page.get_by_role("button", name=button).click()
    page.wait_for_function("text => document.getElementById('search-status').textContent === text", arg=refused)
    assert in_view(page, "#search-status"), page.evaluate("scrollY")
    assert in_view(page, "#use-location")  # beside the button pressed
    assert_a_live_status(page)
    page.screenshot(path=test_output / f"hospitals-status-refused-{context.language}-{context.width}.png")


@pytest.mark.parametrize("finder_context", CASES, indirect=True, ids=IDS)
def test_searching_is_said_in_view(finder_context, test_output):
    context = finder_context
    with translation.override(context.language):
        find, searching = translation.gettext("Find hospitals"), translation.gettext("Searching…")
    page = context.new_page()
    page.goto(f"{context.base}/hospitals/")
    held = []  # the search's answer, held back while the status line is looked at
    page.route("**/hospitals/nearest.json?*", lambda route: held.append(route))
    page.locator("#id_place").fill("Surabaya")
    page.get_by_role("button", name=find).click()
    page.wait_for_function("text => document.getElementById('search-status').textContent === text", arg=searching)
    assert in_view(page, "#search-status"), page.evaluate("scrollY")
    assert_a_live_status(page)
    page.screenshot(path=test_output / f"hospitals-status-searching-{context.language}-{context.width}.png")
    held[0].continue_()
    page.locator("#hospital-list > li").first.wait_for(timeout=60_000)  # the first search builds the place index
    assert page.locator("#search-status").inner_text() == ""
