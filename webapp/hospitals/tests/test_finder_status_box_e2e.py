"""The hospital finder's status line ("Searching…", "Location permission was refused…") was
plain grey text at the foot of the search form, easy to miss. It is now a notice box like the
app's others (.alert-info: its background and coloured left edge), in bold, its text at least
4.5:1 against the box.

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-status-box-*.png.
"""

import pytest
from django.utils import translation

from webapp.tests.support.browser_helpers import contrast_ratio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASES = [("en", 360), ("id", 360), ("en", 1280), ("id", 1280)]
IDS = [f"{language}-{width}" for language, width in CASES]


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
