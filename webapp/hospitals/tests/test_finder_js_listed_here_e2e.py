"""A typed search with the page's script lists a town's own hospitals whose map position is
doubtful apart, as the page without the script does (6144e67): the script draws its answer from
nearest.json, which did not carry them, so "Banyuwangi" listed RSUD Blambangan (the town's own
hospital, placed near Malang by the list) nowhere, and the nearest hospital seemed 71.5 km away.

Only the Indonesian list is imported. Screenshots land in test-output/hospitals-listed-here-*.png.
"""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLAMBANGAN = "RS UMUM DAERAH BLAMBANGAN"
WORDS = {"en": "Listed in Banyuwangi, but its map position in the list is doubtful",
         "id": "Terdaftar di Banyuwangi, tetapi posisinya di peta dalam daftar meragukan"}


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("id", 390)])
def test_a_towns_doubtful_hospital_is_listed_apart_by_the_script(chromium_browser, live_server,
                                                                indonesian_list, test_output,
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
        page.locator("#id_place").fill("Banyuwangi")
        # Drawn by the script from nearest.json (the first search builds the place index).
        with page.expect_response(lambda r: "/hospitals/nearest.json" in r.url, timeout=60_000):
            page.get_by_role("button", name=find).click()
        page.locator("#hospital-list > li").first.wait_for()
        apart = page.locator("#listed-here")
        assert apart.locator("h3").all_inner_texts() == [BLAMBANGAN]
        assert WORDS[language] in apart.inner_text()
        assert apart.locator("a[href^='tel:']").count() >= 1
        assert apart.locator("a", has_text="Directions").count() == 0
        ranked = page.locator("#hospital-list h3").all_inner_texts()
        assert len(ranked) == 10 and BLAMBANGAN not in ranked
        page.screenshot(path=test_output / f"hospitals-listed-here-{language}-{width}.png", full_page=True)
        assert script_errors == []
    finally:
        context.close()
