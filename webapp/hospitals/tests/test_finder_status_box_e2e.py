"""The hospital finder's status line ("Searching…", "Location permission was refused…") was
plain grey text at the foot of the search form, easy to miss. It is now a notice box like the
app's others (.alert-info: its background and coloured left edge), in bold, its text at least
4.5:1 against the box.

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-status-box-*.png.
"""
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, contrast_ratio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 360), ("id", 360), ("en", 1280), ("id", 1280)]
IDS = [f"{language}-{width}" for language, width in CASES]
SURABAYA = (-7.2575, 112.7521)

@pytest.fixture
def indonesian_list(hospitals_dir):
    call_command("import_hospitals", str(hospitals_dir / "indonesia_covid_referral_hospitals.csv"),
                 stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def finder(chromium_browser, live_server, indonesian_list, request):
    """A visitor's page in the case's language and width, map tiles blocked, with a location to
    give but no permission to give it."""
    language, width = request.param
    context = chromium_browser.new_context(viewport={"width": width, "height": 740 if width < 500 else 900},
                                           locale=BROWSER_LOCALES[language],
                                           geolocation={"latitude": SURABAYA[0], "longitude": SURABAYA[1]})
    context.clear_permissions()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.language, page.width, page.base = language, width, live_server.url
    yield page
    context.close()


@pytest.mark.parametrize("finder", CASES, ids=IDS, indirect=True)
def test_the_status_line_is_a_notice_box(finder, test_output):
    page = finder
    page.goto(f"{page.base}/hospitals/")
    page.locator("#use-location").click()  # the permission is refused: the line says so
    status = page.locator("#search-status")
    with translation.override(page.language):
        refused = translation.gettext("Location permission was refused. Type a place, or tap or click "
                                      "the map instead.")
    page.wait_for_function("() => document.getElementById('search-status').textContent.trim() !== ''")
    assert status.inner_text() == refused
    style = status.evaluate("""e => { const s = getComputedStyle(e);
        return {background: s.backgroundColor, color: s.color, left: s.borderLeftWidth, leftColor: s.borderLeftColor,
                weight: s.fontWeight, padding: s.paddingLeft}; }""")
    notice = page.evaluate("""() => { const e = document.createElement("p"); e.className = "alert alert-info";
        document.body.appendChild(e); const s = getComputedStyle(e);
        const style = {background: s.backgroundColor, left: s.borderLeftWidth, leftColor: s.borderLeftColor};
        e.remove(); return style; }""")
    # The app's info notice: its background and its coloured left edge.
    assert (style["background"], style["left"], style["leftColor"]) == (
        notice["background"], notice["left"], notice["leftColor"]), style
    assert style["padding"] != "0px" and int(style["weight"]) >= 600
    assert contrast_ratio(style["color"], style["background"]) >= 4.5, style
    status.scroll_into_view_if_needed()
    page.screenshot(path=test_output / f"hospitals-status-box-{page.language}-{page.width}.png")
