"""How it works read on a 360 x 740 phone, as a patient or doctor would: no table of numbers to pan
sideways (the tables of many columns stack each row as a block, each value after its column's
header), the tables still tables to a screen reader, and the page's height recorded, with the
size of every table box, in test-output/guide-phone-reading-<language>.json (26,061 px in
English and 29,236 px in Indonesian when the tables scrolled). Screenshots:
test-output/guide-phone-reading-<language>-*.png."""
from __future__ import annotations

import json

import pytest

from webapp.guide.tests.support import open_how_it_works

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


def open_phone_page(chromium_browser, live_server, language):
    return open_how_it_works(chromium_browser, live_server.url, language, PHONE)


@pytest.mark.parametrize("language", ["en", "id"])
def test_no_table_scrolls_sideways_on_a_phone(chromium_browser, live_server, test_output, language):
    context, page = open_phone_page(chromium_browser, live_server, language)
    try:
        measure = """() => [...document.querySelectorAll('main table')].map(t => {
            const box = t.closest('.table-scroll') || t;
            return {table: t.id || t.className || t.querySelector('th').textContent.trim(),
                    scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
                    height: Math.round(box.getBoundingClientRect().height)}; })"""
        height = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=test_output / f"guide-phone-reading-{language}-full.png", full_page=True)
        # And with every folded part open (details.fold), as a reader opens them.
        page.evaluate("() => document.querySelectorAll('details').forEach(part => { part.open = true; })")
        boxes = page.evaluate(measure)
        (test_output / f"guide-phone-reading-{language}.json").write_text(
            json.dumps({"page_height": height, "page_height_all_open": page.evaluate(
                "document.documentElement.scrollHeight"), "tables": boxes}, indent=1))
        assert boxes
        assert [box for box in boxes if box["scrollWidth"] > box["clientWidth"] + 1] == []
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        if page.locator("#trust-table").count():
            page.locator("#trust-table").scroll_into_view_if_needed()
            page.screenshot(path=test_output / f"guide-phone-reading-{language}-trust.png")
    finally:
        context.close()


def test_a_stacked_table_is_still_a_table_to_a_screen_reader(chromium_browser, live_server):
    """Chromium's own accessibility tree (not Playwright's reading of the tags): the stacked
    out-of-source table keeps its table, its column and row headers and its cells, and a cell's
    name is its value, not the header shown beside it again."""
    context, page = open_phone_page(chromium_browser, live_server, "en")
    try:
        if not page.locator("#trust-table").count():
            pytest.skip("the installed card has no out-of-source table")
        assert page.locator("#trust-table").evaluate("t => getComputedStyle(t).display") == "block"
        cdp = context.new_cdp_session(page)
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]

        def ax(selector: str) -> dict:
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            return cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][0]

        def count(role: str) -> int:
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#trust-table"})["nodeId"]
            return len(cdp.send("Accessibility.queryAXTree", {"nodeId": node, "role": role})["nodes"])

        rows = page.locator("#trust-table tbody tr").count()
        assert ax("#trust-table")["role"]["value"] == "table"
        assert (count("columnheader"), count("rowheader"), count("cell")) == (9, rows, 8 * rows)
        cell = ax("#trust-table tbody td")
        assert cell["role"]["value"] == "cell"
        assert cell["name"]["value"] == page.locator("#trust-table tbody td").first.inner_text().strip()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_page_says_where_each_part_starts_and_folds_the_secondary_ones(chromium_browser, live_server,
                                                                          test_output, language):
    """A list of the page's parts, each a link to its heading; the secondary tables and texts
    (per class, confusion matrix, per collection, the training data's counts, how the intervals
    were computed, the card's own limitations) fold under a summary that opens them."""
    context, page = open_phone_page(chromium_browser, live_server, language)
    try:
        links = page.locator("#contents a")
        targets = [href[1:] for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")]
        assert {"method", "model", "limitations"} <= set(targets)
        assert all(page.locator(f"[id='{target}'] h2").count() == 1 for target in targets)
        page.locator("#contents").screenshot(path=test_output / f"guide-phone-reading-{language}-contents.png")
        folds = page.locator("details.fold")
        assert folds.count() >= 3 and not any(folds.evaluate_all("parts => parts.map(p => p.open)"))
        closed = page.evaluate("document.documentElement.scrollHeight")
        per_class = page.locator("details.fold:has(table.per-class)").first
        per_class.locator("summary").click()
        assert per_class.locator("table.per-class").is_visible()
        assert page.evaluate("document.documentElement.scrollHeight") > closed
        per_class.screenshot(path=test_output / f"guide-phone-reading-{language}-per-class.png")
    finally:
        context.close()
