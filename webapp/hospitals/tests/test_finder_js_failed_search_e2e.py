"""A search that fails takes the last search's results away.

Found by an audit: after "Surabaya", a search for "Sekupang" (not found) put its message under
the place box but left "Nearest open hospitals to Surabaya", its list and its markers on the
page, as if they answered the new search. They are now cleared, as on the server's page for a
place not found (no script).

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-failed-search-*.png.
"""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 390), ("id", 390), ("en", 1280), ("id", 1280)]


def in_view(page, selector) -> bool:
    """The whole element lies inside the window (what the user sees without scrolling)."""
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect();"
                                           " return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1; }")


@pytest.mark.parametrize(("language", "width"), CASES)
def test_a_failed_search_clears_the_last_results(chromium_browser, live_server, indonesian_list, test_output,
                                                 language, width):
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    with translation.override(language):
        find = translation.gettext("Find hospitals")
    try:
        page.goto(f"{live_server.url}/hospitals/")
        box = page.locator("#id_place")
        box.fill("Surabaya")
        page.get_by_role("button", name=find).click()
        page.locator("#hospital-list > li").first.wait_for(timeout=60_000)  # the first search builds the place index
        assert page.locator("#hospital-map .leaflet-marker-icon").count() == 10

        box.fill("Sekupang")
        page.get_by_role("button", name=find).click()
        page.locator("#place-error").wait_for()
        assert "Sekupang" in page.locator("#place-error").inner_text()
        assert in_view(page, "#place-error")
        results = page.locator("#nearest-results")
        assert "Surabaya" not in results.inner_text()
        assert results.locator("#results-heading, #hospital-list").count() == 0
        assert page.locator("#hospital-map .leaflet-marker-icon, #hospital-map path.leaflet-interactive").count() == 0
        page.screenshot(path=test_output / f"hospitals-failed-search-{language}-{width}.png", full_page=True)

        # The next search that works lists its own results again.
        box.fill("Surabaya")
        page.get_by_role("button", name=find).click()
        page.locator("#hospital-list > li").first.wait_for()
        assert page.locator("#place-error").count() == 0
        assert page.locator("#hospital-map .leaflet-marker-icon").count() == 10
        assert script_errors == []
    finally:
        context.close()
