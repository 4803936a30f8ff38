"""How it works on paper and on a phone: wide tables print whole instead of being cut at the
page's edge, and the parts folded under a summary print open; on an 800 px tablet (a phone
stacks the table's rows) a table that scrolls sideways shows a shadow on the edge with hidden
columns, and each plot links to its full-size image. Screenshots and the printed PDF (with its
pages as PNGs) land in test-output/guide-print-*, guide-phone-*, guide-tablet-*."""
import pytest

from webapp.guide.tests.support import open_how_it_works

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# How many pixels of the right edge of a scrolling table box must be darker than the page.
SHADOW_COLUMNS = 4


def open_page(chromium_browser, live_server, language: str, width: int):
    return open_how_it_works(chromium_browser, live_server.url, language, {"width": width, "height": 844})


@pytest.mark.parametrize("language", ["en", "id"])
def test_wide_tables_print_whole(chromium_browser, live_server, test_output, language):
    context, page = open_page(chromium_browser, live_server, language, 1280)
    try:
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 718, "height": 1000})  # A4 less 1 cm margins, at 96 dpi
        cut = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => box.querySelector('table').id || box.querySelector('th').textContent.trim())""")
        assert cut == []
        folded = page.evaluate("""() => [...document.querySelectorAll('details.fold')]
            .filter(part => [...part.children].some(e => e.tagName != 'SUMMARY' && !e.checkVisibility()))
            .map(part => part.id || part.querySelector('summary').textContent.trim())""")
        assert page.locator("details.fold").count() and folded == []
        pdf = test_output / f"guide-print-how-it-works-{language}.pdf"
        page.pdf(path=pdf, format="A4", margin={"top": "1cm", "bottom": "1cm", "left": "1cm", "right": "1cm"})
        import pypdfium2

        document = pypdfium2.PdfDocument(str(pdf))
        for index in range(len(document)):
            document[index].render(scale=1).to_pil().save(test_output / f"guide-print-{language}-p{index + 1:02}.png")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_table_that_scrolls_on_a_tablet_shows_that_it_does(chromium_browser, live_server, test_output, language):
    context, page = open_page(chromium_browser, live_server, language, 800)
    try:
        box = page.locator(".table-scroll:has(#trust-table)")
        if not box.count():
            pytest.skip("the installed card has no out-of-source table")
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # 9 columns do not fit 800 px
        box.scroll_into_view_if_needed()
        shot = test_output / f"guide-tablet-trust-table-{language}-800.png"
        box.screenshot(path=shot)
        from PIL import Image

        image = Image.open(shot).convert("L")
        right = [image.getpixel((image.width - 1 - x, image.height // 2)) for x in range(SHADOW_COLUMNS)]
        left = [image.getpixel((x, image.height // 2)) for x in range(SHADOW_COLUMNS)]
        # A shadow on the right, where columns are hidden; none on the left, where nothing is.
        assert max(right) < 245 and min(left) >= 245, (right, left)
        box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        box.screenshot(path=test_output / f"guide-tablet-trust-table-{language}-800-scrolled.png")
        # A table that fits shows no shadow.
        fits = page.locator(".table-scroll:has(#lung-dice)")
        if fits.count() and fits.evaluate("b => b.scrollWidth <= b.clientWidth"):
            fits.screenshot(path=test_output / f"guide-tablet-lung-dice-{language}-800.png")
            image = Image.open(test_output / f"guide-tablet-lung-dice-{language}-800.png").convert("L")
            assert image.getpixel((image.width - 1, image.height // 2)) >= 245
    finally:
        context.close()


def test_each_plot_links_to_its_full_size_image(chromium_browser, live_server, test_output):
    context, page = open_page(chromium_browser, live_server, "en", 390)
    try:
        images = page.locator("#plots figure img, #trust figure img")
        assert images.count() >= 1
        for index in range(images.count()):
            image = images.nth(index)
            link = image.evaluate("img => img.closest('a') && img.closest('a').getAttribute('href')")
            assert link == image.get_attribute("src")
        page.locator("#plots").screenshot(path=test_output / "guide-phone-plots-en-390.png")
        page.locator("#plots figure a").first.click()
        page.wait_for_load_state()
        assert "/plots/" in page.url or page.url.endswith(".png")
    finally:
        context.close()
