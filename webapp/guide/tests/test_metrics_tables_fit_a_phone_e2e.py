"""How it works' measured-performance tables put each 95% confidence interval in a column of its
own, which a 360 px phone cut off at the box's edge (in Indonesian the measures' names wrap to
six lines), and so did the three-column layout of a laptop (a phone audit): the uncertainty was
the part a reader had to scroll sideways for. Each interval now sits under its value, and these
tables fit their box.

Screenshots: test-output/guide-metrics-fit-*.png."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TABLES = ".table-scroll:has(table.metrics-summary), .table-scroll:has(table.metrics-per-source)"


@pytest.mark.parametrize("language, width", [("id", 360), ("en", 360), ("id", 1100), ("en", 1280)])
def test_the_measured_performance_tables_fit_with_their_intervals(chromium_browser, live_server, test_output,
                                                                   language, width):
    context = chromium_browser.new_context(viewport={"width": width, "height": 800})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/how-it-works/#metrics")
        if not page.locator("#metrics article").count():
            pytest.skip("the installed card has no measured metrics")
        boxes = page.locator(TABLES)
        assert boxes.count()
        cut = boxes.evaluate_all("""boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1)
            .map(b => [b.closest('article') && b.closest('article').id, b.scrollWidth, b.clientWidth])""")
        assert cut == []
        # Each value keeps its interval, or "—" where the card has none.
        cells = page.locator("table.metrics-summary td")
        assert cells.count() and all(text.count("\n") == 1 for text in cells.all_inner_texts())
        boxes.first.scroll_into_view_if_needed()
        page.screenshot(path=test_output / f"guide-metrics-fit-{language}-{width}.png")
    finally:
        context.close()
