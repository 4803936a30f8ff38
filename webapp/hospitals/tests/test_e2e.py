"""The nearest-hospital finder in a real browser against the live server and the real lists.

Map tiles are blocked (tests run offline): the list, markers and searches must work without them.
Screenshots land in test-output/hospitals-*.png.
"""
from io import StringIO

import pytest
from django.core.management import call_command

from webapp.hospitals.models import Hospital
from webapp.hospitals.nearest import nearest_open_hospitals

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "harbour-lantern-violet-73"
JAKARTA = (-6.2088, 106.8456)
CHICAGO = (41.8781, -87.6298)


@pytest.fixture
def hospitals(hospitals_dir):
    for name in ("indonesia_covid_referral_hospitals.csv", "us_hifld_hospitals.csv"):
        call_command("import_hospitals", str(hospitals_dir / name), stdout=StringIO(), stderr=StringIO())
    return Hospital.objects.all()


def log_in(page, base_url):
    from webapp.accounts.models import User

    User.objects.create_user(email="finder@example.org", password=PASSWORD, full_name="Sari Finder")
    page.goto(f"{base_url}/accounts/login/?next=/hospitals/")
    page.locator("input[name=username]").fill("finder@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/hospitals/")


@pytest.fixture
def finder(page, live_server, hospitals):
    """A logged-in page on /hospitals/, collecting script errors and Content-Security-Policy
    violations, with map tiles blocked (the CSP check happens before the blocked request)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    log_in(page, live_server.url)
    page.script_errors = errors
    return page


def search_by_typing(page, lat, lon, k=None):
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
    expected = [item.hospital.name for item in nearest_open_hospitals(*JAKARTA, k=5)]
    assert names_listed(page) == expected
    first = page.locator("#hospital-list > li").first
    assert "km away" in first.inner_text()
    assert first.locator("a[href^='tel:']").count() >= 1
    directions = first.get_by_role("link", name="Directions").get_attribute("href")
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
    assert listed == [item.hospital.name for item in nearest_open_hospitals(*CHICAGO, k=20)]
    closed_nearby = set(Hospital.objects.filter(status="closed", region="IL").values_list("name", flat=True))
    assert closed_nearby and not closed_nearby & set(listed)
    page.screenshot(path=test_output / "hospitals-chicago.png", full_page=True)


def test_clicking_the_map_searches_from_that_point(finder):
    page = finder
    search_by_typing(page, *JAKARTA, k=3)
    before = page.locator("#results-heading").inner_text()
    box = page.locator("#hospital-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8)
    page.wait_for_function(
        "before => document.getElementById('results-heading').textContent !== before", arg=before)
    lat, lon = float(page.locator("#id_lat").input_value()), float(page.locator("#id_lon").input_value())
    assert (lat, lon) != JAKARTA
    expected = [item.hospital.name for item in nearest_open_hospitals(lat, lon, k=3)]
    page.wait_for_function("n => document.querySelectorAll('#hospital-list > li').length === n", arg=len(expected))
    assert names_listed(page) == expected


def test_use_my_location(chromium_browser, live_server, hospitals, test_output):
    context = chromium_browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US",
        geolocation={"latitude": -7.2575, "longitude": 112.7521}, permissions=["geolocation"])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        log_in(page, live_server.url)
        page.get_by_role("button", name="Use my location").click()
        page.locator("#hospital-list > li").first.wait_for()
        assert names_listed(page) == [i.hospital.name for i in nearest_open_hospitals(-7.2575, 112.7521, k=10)]
        assert page.locator("#id_lat").input_value() == "-7.25750"
        page.screenshot(path=test_output / "hospitals-my-location.png", full_page=True)
    finally:
        context.close()


def test_works_without_javascript(chromium_browser, live_server, hospitals, test_output):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        assert not page.get_by_role("button", name="Use my location").is_visible()
        search_by_typing(page, *JAKARTA)
        assert len(names_listed(page)) == 10
        assert page.url.startswith(f"{live_server.url}/hospitals/?lat=")
        page.screenshot(path=test_output / "hospitals-no-js.png", full_page=True)
    finally:
        context.close()
