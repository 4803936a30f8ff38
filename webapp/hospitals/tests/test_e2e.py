"""The nearest-hospital finder in a real browser against the live server and the real lists.

Open to visitors: no test logs in. Map tiles are blocked (tests run offline): the page must say
so, and the list, markers and searches must work without them. Screenshots land in
test-output/hospitals-*.png, at desktop (1280 px) and phone (390 px) widths, English and Indonesian.
"""
from urllib.parse import urlencode

import pytest

from webapp.hospitals import places
from webapp.hospitals.models import Hospital
from webapp.hospitals.nearest import nearest_open_hospitals

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JAKARTA = (-6.2088, 106.8456)
CHICAGO = (41.8781, -87.6298)


@pytest.fixture
def hospitals(both_lists_rows):
    """Both real lists as the import command saves them (conftest.py)."""
    Hospital.objects.bulk_create([Hospital(**row) for row in both_lists_rows], batch_size=500)
    return Hospital.objects.all()


def open_finder(page, base_url):
    """A visitor opens the finder: no account, no login."""
    page.goto(f"{base_url}/hospitals/")
    assert page.url == f"{base_url}/hospitals/"


@pytest.fixture
def finder(page, live_server, hospitals):
    """A visitor's page on /hospitals/, collecting script errors and Content-Security-Policy
    violations, with map tiles blocked (the CSP check happens before the blocked request)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    open_finder(page, live_server.url)
    page.script_errors = errors
    return page


def search_by_typing(page, lat, lon, k=None):
    if page.locator("#coordinates").get_attribute("open") is None:
        page.locator("#coordinates summary").click()
    page.locator("#id_lat").fill(str(lat))
    page.locator("#id_lon").fill(str(lon))
    if k:
        page.locator("#id_k").fill(str(k))
    page.get_by_role("button", name="Find hospitals").click()
    page.locator("#hospital-list > li").first.wait_for()


def names_listed(page) -> list[str]:
    return page.locator("#hospital-list > li h3").all_inner_texts()


def test_typed_coordinates_in_jakarta(finder, test_output):
    page = finder
    search_by_typing(page, *JAKARTA, k=5)
    expected = [item.hospital.name for item in nearest_open_hospitals(*JAKARTA, k=5, public_only=True)]
    assert names_listed(page) == expected
    first = page.locator("#hospital-list > li").first
    assert "km away" in first.inner_text()
    assert first.locator("a[href^='tel:']").count() >= 1
    directions = first.get_by_role("link", name="Directions").get_attribute("href")
    # Each "Directions" says whose, and that it opens a new tab (a screen-reader audit heard ten
    # "Directions" links and a window that opened unannounced), in the list as drawn by the
    # server and as redrawn by the script.
    name = first.locator("h3").inner_text()
    assert first.get_by_role("link", name=f"Directions to {name} (opens in a new tab)", exact=True).count() == 1
    page.reload()  # the same search drawn by the server
    first = page.locator("#hospital-list > li").first
    assert first.get_by_role("link", name=f"Directions to {name} (opens in a new tab)", exact=True).count() == 1
    assert directions.startswith("https://www.openstreetmap.org/directions?") and "route=-6.208800%2C106.845600%3B" in directions
    # One marker per hospital on the map, drawn although the tiles could not load.
    assert page.locator("#hospital-map .leaflet-marker-icon").count() == 5
    assert "lat=-6.20880" in page.url  # the search can be bookmarked or shared
    page.screenshot(path=test_output / "hospitals-jakarta.png", full_page=True)
    assert page.script_errors == []


def test_typed_coordinates_in_chicago_never_list_closed_hospitals(finder, test_output):
    page = finder
    search_by_typing(page, *CHICAGO, k=20)
    listed = names_listed(page)
    assert listed == [item.hospital.name for item in nearest_open_hospitals(*CHICAGO, k=20, public_only=True)]
    closed_nearby = set(Hospital.objects.filter(status="closed", region="IL").values_list("name", flat=True))
    assert closed_nearby and not closed_nearby & set(listed)
    page.screenshot(path=test_output / "hospitals-chicago.png", full_page=True)


def test_clicking_the_map_searches_from_that_point(finder):
    page = finder
    search_by_typing(page, *JAKARTA, k=3)
    before = page.locator("#results-heading").inner_text()
    # After a search the page scrolls to the results (a057876): bring the map back to click it.
    page.locator("#hospital-map").scroll_into_view_if_needed()
    box = page.locator("#hospital-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8)
    page.wait_for_function(
        "before => document.getElementById('results-heading').textContent !== before", arg=before)
    lat, lon = float(page.locator("#id_lat").input_value()), float(page.locator("#id_lon").input_value())
    assert (lat, lon) != JAKARTA
    expected = [item.hospital.name for item in nearest_open_hospitals(lat, lon, k=3, public_only=True)]
    page.wait_for_function("n => document.querySelectorAll('#hospital-list > li').length === n", arg=len(expected))
    assert names_listed(page) == expected


@pytest.mark.parametrize(("language", "width", "button", "heading"), [
    ("en", 1280, "Use my location", "Nearest open hospitals to your location"),
    ("id", 360, "Gunakan lokasi saya", "Rumah sakit aktif terdekat dari lokasi Anda"),
])
def test_use_my_location(chromium_browser, live_server, hospitals, test_output, language, width, button,
                         heading):
    context = chromium_browser.new_context(
        viewport={"width": width, "height": 900}, locale="id-ID" if language == "id" else "en-US",
        geolocation={"latitude": -7.2575, "longitude": 112.7521}, permissions=["geolocation"])
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        page.get_by_role("button", name=button).click()
        page.locator("#hospital-list > li").first.wait_for()
        assert names_listed(page) == [i.hospital.name for i in nearest_open_hospitals(-7.2575, 112.7521, k=10, public_only=True)]
        assert page.locator("#id_lat").input_value() == "-7.25750"
        # Said in words; the coordinates follow as a detail, not as the heading.
        assert page.locator("#results-heading").inner_text() == heading
        assert page.locator("#results-coordinates").inner_text() == "-7.2575, 112.7521"
        # The link to share or reload is a search from those coordinates, not "your location".
        assert "lat=-7.25750" in page.url and "here" not in page.url
        page.screenshot(path=test_output / f"hospitals-my-location-{language}-{width}.png", full_page=True)
    finally:
        context.close()


def test_works_without_javascript(chromium_browser, live_server, hospitals, test_output):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        open_finder(page, live_server.url)
        assert not page.get_by_role("button", name="Use my location").is_visible()
        search_by_typing(page, *JAKARTA)
        assert len(names_listed(page)) == 10
        assert page.url.startswith(f"{live_server.url}/hospitals/?") and "lat=-6.2088" in page.url
        # A typed place works without JavaScript too: the server resolves it.
        page.locator("#id_place").fill("Surabaya")
        page.locator("#id_lat").fill("")
        page.get_by_role("button", name="Find hospitals").click()
        page.wait_for_url("**place=Surabaya**")
        assert "Surabaya" in page.locator("#results-heading").inner_text()
        assert len(names_listed(page)) == 10
        page.screenshot(path=test_output / "hospitals-no-js.png", full_page=True)
    finally:
        context.close()


# --- search by place, suggestions, coverage, the tile note, phone and Indonesian ---------------

def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_place_search_with_suggestions_as_you_type(finder, test_output):
    page = finder
    # Offline: the tiles fail, the page says so, the list keeps working.
    page.locator("#map-note").wait_for(state="visible")
    assert "could not be loaded" in page.locator("#map-note").inner_text()
    box = page.locator("#id_place")
    box.press_sequentially("Sura", delay=40)
    options = page.locator("#place-suggestions [role=option]")
    options.first.wait_for()
    assert options.first.inner_text() == "Surabaya, Indonesia"
    assert box.get_attribute("aria-expanded") == "true"
    page.screenshot(path=test_output / "hospitals-suggestions.png")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_function("() => document.getElementById('results-heading')?.textContent.includes('Surabaya')")
    assert page.locator("#coverage-message").get_attribute("data-coverage") == "ok"
    assert len(names_listed(page)) == 10
    assert page.locator("#hospital-map .leaflet-marker-icon").count() == 10
    assert "place=Surabaya" in page.url
    page.screenshot(path=test_output / "hospitals-surabaya.png", full_page=True)

    # Paris: outside the lists. Said plainly, and what exists is still shown.
    box.fill("Paris, France")
    page.get_by_role("button", name="Find hospitals").click()
    page.wait_for_function("() => document.getElementById('results-heading')?.textContent.includes('Paris, France')")
    coverage = page.locator("#coverage-message")
    assert coverage.get_attribute("data-coverage") == "none"
    assert "outside the hospital lists imported here" in coverage.inner_text()
    assert len(names_listed(page)) == 10
    page.screenshot(path=test_output / "hospitals-paris-no-coverage.png", full_page=True)

    # An unknown place: the message under the box (the last list is cleared: 9586936).
    box.fill("Xyzzyville")
    page.get_by_role("button", name="Find hospitals").click()
    page.locator("#place-error").wait_for()
    assert "We could not find “Xyzzyville”" in page.locator("#place-error").inner_text()
    assert page.script_errors == []


def test_types_filter_and_flagged_rows(finder, test_output):
    page = finder
    page.locator("#id_place").fill("Chicago, IL")
    page.get_by_role("button", name="Find hospitals").click()
    page.locator("#hospital-list > li").first.wait_for()
    assert len(names_listed(page)) == 10
    types = page.locator("#hospital-list .hospital-type").all_inner_texts()
    assert set(types) <= {"General hospital", "Type not listed"}
    page.locator("#id_all_types").check()
    page.get_by_role("button", name="Find hospitals").click()
    page.wait_for_url("**all_types=on**")
    wider = set(page.locator("#hospital-list .hospital-type").all_inner_texts())
    assert wider - {"General hospital", "Type not listed"}, wider
    page.screenshot(path=test_output / "hospitals-chicago-all-types.png", full_page=True)

    # Jakarta's 10th result has an Aceh address: the card says so.
    page.locator("#id_all_types").uncheck()
    page.locator("#id_place").fill("Jakarta")
    page.get_by_role("button", name="Find hospitals").click()
    page.wait_for_function("() => document.getElementById('results-heading')?.textContent.includes('Jakarta')")
    tenth = page.locator("#hospital-list > li").nth(9)
    assert "RS UMUM DAERAH DR. DRAJAT PRAWIRANEGARA" in tenth.inner_text()
    assert "may be wrong" in tenth.locator(".hospital-warning").inner_text()
    tenth.scroll_into_view_if_needed()
    page.screenshot(path=test_output / "hospitals-jakarta-flagged.png", full_page=True)


@pytest.mark.parametrize(("language", "width"), [("id", 320), ("en", 390), ("id", 390), ("id", 1280)])
def test_phone_and_indonesian(chromium_browser, live_server, hospitals, test_output, language, width):
    context = chromium_browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        page.goto(f"{live_server.url}/hospitals/?place=Jakarta")  # the no-JS form's own URL
        assert page.locator("html").get_attribute("lang") == language
        page.locator("#hospital-list > li").first.wait_for()
        assert len(names_listed(page)) == 10
        page.locator("#map-note").wait_for(state="visible")
        assert no_sideways_scroll(page)
        select = page.locator("#language-select")
        # The whole language name fits in the menu ("Bahasa Indonesia", not "Bahasa Indo").
        assert select.evaluate("""s => {
            const style = getComputedStyle(s);
            const context = document.createElement("canvas").getContext("2d");
            context.font = style.font;
            const text = context.measureText(s.options[s.selectedIndex].text).width;
            const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
            return text <= room;
        }""")
        if language == "id":
            assert "Rumah sakit aktif terdekat dari Jakarta" in page.locator("#results-heading").inner_text()
            assert "Rumah sakit rujukan COVID-19" in page.locator("#hospital-list .hospital-type").first.inner_text()
        # The map's zoom buttons speak the page's language too (Leaflet's own titles are English).
        zoom_in, zoom_out = {"en": ("Zoom in", "Zoom out"), "id": ("Perbesar", "Perkecil")}[language]
        assert page.locator("#hospital-map .leaflet-control-zoom-in").get_attribute("title") == zoom_in
        assert page.locator("#hospital-map .leaflet-control-zoom-out").get_attribute("title") == zoom_out
        assert page.get_by_role("button", name=zoom_in, exact=True).count() == 1
        page.screenshot(path=test_output / f"hospitals-jakarta-{language}-{width}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_out_of_range_coordinates_in_the_place_box_say_so(chromium_browser, live_server, hospitals, test_output,
                                                          language):
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        page.locator("#id_place").fill("95.0, 10")
        page.locator("#id_place").press("Enter")
        error = page.locator("#place-error")
        error.wait_for()
        expected = {"en": "Latitude 95.0 is out of range", "id": "Lintang 95.0 di luar rentang"}[language]
        assert expected in error.inner_text()
        assert page.locator("#hospital-list").count() == 0  # not a town in Finland
        assert no_sideways_scroll(page)
        page.screenshot(path=test_output / f"hospitals-latitude-out-of-range-{language}.png", full_page=True)
    finally:
        context.close()


def test_a_chosen_suggestion_searches_its_own_town(finder, test_output):
    """Two towns are "Depok, Indonesia" (by Jakarta and by Yogyakarta): both are offered, each with
    its province, and the chosen one's coordinates travel with its label."""
    page = finder
    box = page.locator("#id_place")
    box.press_sequentially("Depo", delay=40)
    options = page.locator("#place-suggestions [role=option]", has_text="Depok, Indonesia")
    options.nth(1).wait_for()
    assert sorted(options.all_inner_texts()) == ["Depok, Indonesia (DI Yogyakarta)", "Depok, Indonesia (Jawa Barat)"]
    page.screenshot(path=test_output / "hospitals-depok-suggestions.png")
    suggested = page.evaluate("""q => fetch('/hospitals/places.json?q=' + q).then(r => r.json())
                                 .then(d => d.places.find(p => p.detail === 'DI Yogyakarta'))""", "Depo")
    assert suggested["label"] == "Depok, Indonesia"
    options.filter(has_text="DI Yogyakarta").click()
    page.wait_for_function("() => document.getElementById('results-heading')?.textContent.includes('Depok')")
    assert f"lat={suggested['lat']}" in page.url and f"lon={suggested['lon']}" in page.url
    expected = nearest_open_hospitals(suggested["lat"], suggested["lon"], k=10, public_only=True)
    assert names_listed(page) == [item.hospital.name for item in expected]
    page.screenshot(path=test_output / "hospitals-depok-suggestion.png", full_page=True)

    # A shared link to the other Depok, searched again with the button: still that Depok.
    jakarta_depok = (-6.4, 106.81861)
    page.goto(page.url.split("?")[0] + "?place=Depok%2C+Indonesia&lat=-6.4&lon=106.81861")
    page.locator("#hospital-list > li").first.wait_for()
    page.get_by_role("button", name="Find hospitals").click()
    page.wait_for_url("**lat=-6.4**")
    page.wait_for_function("() => !document.getElementById('search-status').textContent")
    expected = nearest_open_hospitals(*jakarta_depok, k=10, public_only=True)
    assert names_listed(page) == [item.hospital.name for item in expected]
    assert page.script_errors == []


def test_namesakes_suggested_on_a_phone_in_indonesian(chromium_browser, live_server, hospitals, test_output):
    context = chromium_browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    context.add_cookies([{"name": "django_language", "value": "id", "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        page.locator("#id_place").press_sequentially("Tuba", delay=40)
        options = page.locator("#place-suggestions [role=option]", has_text="Tuban, Indonesia")
        options.nth(1).wait_for()
        assert sorted(options.all_inner_texts()) == ["Tuban, Indonesia (Bali)", "Tuban, Indonesia (Jawa Timur)"]
        assert no_sideways_scroll(page)
        page.screenshot(path=test_output / "hospitals-tuban-suggestions-id-360.png")
    finally:
        context.close()


def test_a_search_that_works_clears_the_servers_error(finder):
    page = finder
    page.goto(page.url.split("?")[0] + "?place=-6%2C2")
    assert "decimal comma" in page.locator(".place-field").inner_text()
    box = page.locator("#id_place")
    box.fill("Jakarta")
    page.get_by_role("button", name="Find hospitals").click()
    page.wait_for_function("() => document.getElementById('results-heading')?.textContent.includes('Jakarta')")
    assert "decimal comma" not in page.locator(".place-field").inner_text()
    assert box.get_attribute("aria-invalid") is None and box.get_attribute("aria-describedby") is None


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("id", 360)])
def test_a_place_not_found_is_announced(chromium_browser, live_server, hospitals, test_output, language, width):
    """With the script, an unknown place showed "We could not find ..." under the field but
    announced nothing: the status line was emptied and the message was no live region. It is
    now an alert, and still the field's description."""
    context = chromium_browser.new_context(viewport={"width": width, "height": 844},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        box = page.locator("#id_place")
        box.fill("Xqzzzyy")
        box.press("Enter")
        error = page.locator("#place-error")
        error.wait_for()
        expected = {"en": "We could not find “Xqzzzyy”", "id": "Xqzzzyy"}[language]
        assert expected in error.inner_text()
        assert page.get_by_role("alert").filter(has_text="Xqzzzyy").count() == 1  # announced
        assert box.get_attribute("aria-invalid") == "true"
        assert box.get_attribute("aria-describedby") == "place-error"
        assert no_sideways_scroll(page)
        page.screenshot(path=test_output / f"hospitals-place-not-found-{language}-{width}.png", full_page=True)
        box.fill("Jakarta")  # typing again clears it
        assert page.get_by_role("alert").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize(("language", "width", "button", "lead"), [
    ("id", 360, "Gunakan lokasi saya", "Mungkin maksud Anda:"),
    ("en", 1280, "Use my location", "Did you mean:"),
])
def test_a_typo_offers_a_link_that_searches_the_right_place(chromium_browser, live_server, hospitals, test_output,
                                                             language, width, button, lead):
    """"Bandug" found nothing and the message pointed at coordinates: it now points at the
    "Use my location" button beside it and offers Bandung as a link, which runs that search."""
    context = chromium_browser.new_context(viewport={"width": width, "height": 844},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        box = page.locator("#id_place")
        box.fill("Bandug")
        box.press("Enter")
        page.locator("#place-error").wait_for()
        assert f"“{button}”" in page.locator("#place-error").inner_text()
        assert page.get_by_role("button", name=button).is_visible()  # the button it names is there
        hint = page.locator("#place-did-you-mean")
        assert hint.inner_text().startswith(lead)
        assert page.locator("#hospital-list").count() == 0  # nothing searched in its stead
        assert no_sideways_scroll(page)
        page.screenshot(path=test_output / f"hospitals-did-you-mean-{language}-{width}.png", full_page=True)
        hint.get_by_role("link", name="Bandung, Indonesia").click()
        page.locator("#hospital-list > li").first.wait_for()
        assert "Bandung, Indonesia" in page.locator("#results-heading").inner_text()
        assert page.locator("#place-did-you-mean").count() == 0
        bandung = places.resolve("Bandung, Indonesia")
        expected = nearest_open_hospitals(bandung.lat, bandung.lon, k=10, public_only=True)
        assert names_listed(page) == [item.hospital.name for item in expected]
        page.screenshot(path=test_output / f"hospitals-did-you-mean-followed-{language}-{width}.png", full_page=True)

        # A kecamatan the data lacks: said so, with the same pointer, and no town invented.
        box = page.locator("#id_place")
        box.fill("Kec. Tebet")
        box.press("Enter")
        page.locator("#place-error").wait_for()
        assert "Tebet" in page.locator("#place-error").inner_text()
        assert f"“{button}”" in page.locator("#place-error").inner_text()
        assert page.locator("#place-did-you-mean").count() == 0
        page.screenshot(path=test_output / f"hospitals-kecamatan-{language}-{width}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("language", "button", "lead"), [
    ("en", "Use my location", "Did you mean:"),
    ("id", "Gunakan lokasi saya", "Mungkin maksud Anda:"),
])
def test_a_place_not_found_names_the_location_button_only_where_it_is_shown(
        chromium_browser, live_server, hospitals, test_output, language, button, lead):
    """Found by an audit: without JavaScript the message for a place not found said to use the
    “Use my location” button, which only the page's script shows. Without the script it now names
    no button; with it (the server's page, as a shared link opens it) it still does."""
    for script in (False, True):
        context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=script,
                                               locale="id-ID" if language == "id" else "en-US")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
        try:
            open_finder(page, live_server.url)
            for text, shown in (("Bandug", "“Bandug”"), ("Kec. Tebet", "“Tebet”")):
                if script:  # typed and sent, the script would search the JSON endpoint instead
                    page.goto(f"{live_server.url}/hospitals/?" + urlencode({"place": text}))
                else:
                    page.locator("#id_place").fill(text)
                    page.get_by_role("button", name="Find hospitals" if language == "en" else "Cari rumah sakit").click()
                    page.wait_for_url("**place=**")
                message = page.locator("#id_place_error").inner_text()  # what is shown, no more
                assert shown in message and "-6.2088, 106.8456" in message, message
                assert page.get_by_role("button", name=button).is_visible() == script
                assert (f"“{button}”" in message) == script, message
                assert page.locator("#id_place").get_attribute("aria-describedby").startswith("id_place_error")
                if text == "Bandug":
                    assert page.locator("#place-did-you-mean").inner_text().startswith(lead)
                    page.screenshot(path=test_output / f"hospitals-not-found-{'js' if script else 'no-js'}-{language}.png",
                                    full_page=True)
        finally:
            context.close()


@pytest.mark.parametrize(("language", "button"), [("en", "Use my location"), ("id", "Gunakan lokasi saya")])
def test_a_browser_without_location_is_never_told_to_use_the_location_button(
        chromium_browser, live_server, hospitals, test_output, language, button):
    """Where the browser cannot tell its location the page hides the “Use my location” button
    and its privacy note, but a place not found still said to press it: typed (the JSON answer)
    and opened as a link (the server's page). Both now give the message that names no button."""
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844},
                                           locale="id-ID" if language == "id" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    # As in a browser without the Geolocation API: `"geolocation" in navigator` is false.
    context.add_init_script("delete Navigator.prototype.geolocation;")
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        assert not page.get_by_role("button", name=button).is_visible()
        assert not page.locator("#use-location-note").is_visible()
        page.locator("#id_place").fill("Bandug")
        page.locator("#id_place").press("Enter")
        error = page.locator("#place-error")
        error.wait_for()
        assert "“Bandug”" in error.inner_text() and button not in error.inner_text(), error.inner_text()
        page.screenshot(path=test_output / f"hospitals-not-found-no-location-typed-{language}.png", full_page=True)

        page.goto(f"{live_server.url}/hospitals/?" + urlencode({"place": "Kec. Tebet"}))
        message = page.locator("#id_place_error").inner_text()  # what is shown, no more
        assert "“Tebet”" in message and "-6.2088, 106.8456" in message and button not in message, message
        assert not page.locator("#use-location-note").is_visible()
        page.screenshot(path=test_output / f"hospitals-not-found-no-location-link-{language}.png", full_page=True)
    finally:
        context.close()


def test_a_town_abroad_is_offered_with_its_country_in_indonesian(chromium_browser, live_server, hospitals, test_output):
    """Found by an audit: the Indonesian page offered "Did you mean: Chicago, Illinois, United
    States", GeoNames' English. The country is named in Indonesian, in the offer and the results."""
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    context.add_cookies([{"name": "django_language", "value": "id", "url": live_server.url}])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        open_finder(page, live_server.url)
        box = page.locator("#id_place")
        box.fill("Chicgo")
        box.press("Enter")
        hint = page.locator("#place-did-you-mean")
        hint.wait_for()
        assert "Chicago, Illinois, Amerika Serikat" in hint.inner_text() and "United States" not in hint.inner_text()
        assert no_sideways_scroll(page)
        page.screenshot(path=test_output / "hospitals-did-you-mean-abroad-id-390.png", full_page=True)
        hint.get_by_role("link", name="Chicago, Illinois, Amerika Serikat").click()
        page.locator("#hospital-list > li").first.wait_for()
        assert "Chicago, Illinois, Amerika Serikat" in page.locator("#results-heading").inner_text()
        assert box.input_value() == "Chicago, Illinois, Amerika Serikat"
        chicago = places.resolve("Chicago, Illinois, United States")
        expected = nearest_open_hospitals(chicago.lat, chicago.lon, k=10, public_only=True)
        assert names_listed(page) == [item.hospital.name for item in expected]
        page.screenshot(path=test_output / "hospitals-did-you-mean-abroad-followed-id-390.png", full_page=True)
    finally:
        context.close()
