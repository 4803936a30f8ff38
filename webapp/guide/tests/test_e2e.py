"""How it works and next steps in a real browser, as visitors, at phone and desktop widths, in
English and Indonesian: a plain summary first, nothing that scrolls the page sideways.
Screenshots land in test-output/guide-*.png."""
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("language", "width"), [("en", 320), ("en", 360), ("id", 360), ("en", 390), ("id", 390),
                                                  ("en", 1280), ("id", 1280)])
def test_how_it_works_reads_plainly_and_fits_a_phone(chromium_browser, live_server, test_output, language, width):
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/how-it-works/")
        summary = page.locator("#in-short")
        assert summary.is_visible()
        # The plain summary comes before the technical sections, which all stay.
        assert summary.evaluate("s => s.compareDocumentPosition(document.getElementById('method')) & 4")
        for section in ("method", "model", "limitations"):
            assert page.locator(f"#{section}").count() == 1
        # The folded parts (per class, confusion matrix, ...) open, as a reader opens them: nothing
        # in them widens the page either.
        page.evaluate("() => document.querySelectorAll('details.fold').forEach(part => { part.open = true; })")
        wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                         && !e.closest('.table-scroll'))
            .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
        assert wide == []
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        # Up to 48rem the matrix stacks: each count after the class it was read as.
        stacked = page.locator("table.confusion").first.evaluate("t => getComputedStyle(t).display") == "block"
        assert stacked == (width <= 768)
        unnamed = page.evaluate("""() => [...document.querySelectorAll('table.confusion')].flatMap(t => {
            const heads = [...t.querySelectorAll('thead th')].slice(1).map(h => h.textContent.trim());
            return [...t.querySelectorAll('tbody tr')].flatMap(r => [...r.querySelectorAll('td')]
                .map((c, i) => getComputedStyle(c, '::before').content)
                .filter((label, i) => !label.includes(heads[i]))); })""")
        assert not stacked or unnamed == []
        # On a wider screen each confusion-matrix count sits under its own class name: the texts
        # (not the cells) end at the same x, within 2 px; else a count reads as the next column's.
        misaligned = [] if stacked else page.evaluate("""() => {
            const textRight = cell => { const r = document.createRange(); r.selectNodeContents(cell);
                                        return r.getBoundingClientRect().right; };
            return [...document.querySelectorAll('table.confusion')].flatMap(t => {
              const heads = [...t.querySelectorAll('thead th')].slice(1);
              return [...t.querySelectorAll('tbody tr')].flatMap(r => [...r.querySelectorAll('td')].map((c, i) =>
                  Math.abs(textRight(c) - textRight(heads[i])))).filter(gap => gap > 2); }); }""")
        assert page.locator("table.confusion").count() >= 1 and misaligned == []
        page.screenshot(path=test_output / f"guide-how-it-works-{language}-{width}.png", full_page=True)
        # The out-of-source measurement (installed or only recorded): its table and its curves load.
        if page.locator("#trust-table").count():
            assert page.locator("#trust-table tbody tr").count() >= 2
            assert page.locator("#trust img").evaluate("img => img.complete && img.naturalWidth > 0")
        page.locator("#trust").screenshot(path=test_output / f"guide-trust-{language}-{width}.png")
        page.goto(f"{live_server.url}/next-steps/covid/")  # open to visitors
        assert page.url.endswith("/next-steps/covid/")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        page.screenshot(path=test_output / f"guide-next-steps-{language}-{width}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("language", "width"), [("en", 360), ("id", 360), ("en", 1280), ("id", 1280)])
def test_guard_checks_show_the_cards_measurements(chromium_browser, live_server, test_output, language, width):
    """The lung field's Dice and the verifier's left-out families, from the installed card."""
    from cxr.inference import ModelCard

    card = ModelCard.load()
    if card.lung_field is None or card.verifier is None:
        pytest.skip("the installed card has no lung_field or verifier section")
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/how-it-works/#guard-checks")
        section = page.locator("#guard-checks")
        assert section.is_visible()
        assert page.locator("#lung-dice tbody tr").count() == len(card.lung_field.held_out)
        assert page.locator("#verifier-families tbody tr").count() == len(card.verifier.families_left_out)
        screen = "Foto rontgen di layar yang difoto" if language == "id" else "Photos of an X-ray on a screen"
        assert screen in section.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        section.screenshot(path=test_output / f"guide-guard-checks-{language}-{width}.png")
    finally:
        context.close()
