"""Touch targets on a phone (the 360 px and 390 px phones of the audit, English and Indonesian).

A finger covers about 9 mm; WCAG 2.5.5 and the platforms' guides ask for 44x44 CSS px targets.
The audit found emergency numbers 31x19 px side by side, a header four rows tall and many
buttons and links 25-38 px tall. Screenshots land in test-output/touch-*.png.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, VIEWPORTS, language_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TARGET = 44  # CSS px, WCAG 2.5.5 (AAA) and Apple's and Google's guides
PHONE = VIEWPORTS["phone"]  # 360 px wide, the narrowest phone the app serves


@pytest.fixture
def open_page(chromium_browser, live_server):
    """open_page(path, language, viewport=PHONE) -> a visitor's page at `path` in `language`;
    every context opened is closed after the test."""
    contexts = []

    def open_(path, language, viewport=PHONE):
        context = chromium_browser.new_context(viewport=viewport, locale=BROWSER_LOCALES[language])
        context.add_cookies([language_cookie(live_server.url, language)])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
        page.goto(f"{live_server.url}{path}")
        return page

    yield open_
    for context in contexts:
        context.close()


def box(locator) -> dict:
    return locator.bounding_box()


def apart(a: dict, b: dict, gap: float) -> bool:
    """Whether boxes `a` and `b` are at least `gap` px apart, across or down."""
    return (a["x"] + a["width"] + gap <= b["x"] or b["x"] + b["width"] + gap <= a["x"]
            or a["y"] + a["height"] + gap <= b["y"] or b["y"] + b["height"] + gap <= a["y"])


EMERGENCY_PAGES = {"hospitals": reverse("hospitals:nearest"),
                   "next-steps": reverse("guide:next_steps", args=["covid"])}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("name", list(EMERGENCY_PAGES))
def test_the_emergency_numbers_are_big_enough_to_tap_and_apart(open_page, test_output, name, language):
    """Each emergency number was a 31x19 px link in the sentence, "112; 911" side by side: a
    slip dialled the other one. Each is a 44x44 px target now, 8 px or more from the next, and
    the United States' 911 on a line of its own below Indonesia's 119 and 112."""
    page = open_page(EMERGENCY_PAGES[name], language)
    targets = {n: page.locator(f"main a[href='tel:{n}']") for n in (119, 112, 911)}
    assert [t.count() for t in targets.values()] == [1, 1, 1]
    boxes = {n: box(t) for n, t in targets.items()}
    for number, b in boxes.items():
        assert b["width"] >= TARGET and b["height"] >= TARGET, (number, b)
    assert apart(boxes[119], boxes[112], 8) and apart(boxes[112], boxes[911], 8)
    # 911 is for the USA: below the Indonesian numbers, not one more button in their row.
    assert boxes[911]["y"] >= max(boxes[119]["y"] + boxes[119]["height"],
                                  boxes[112]["y"] + boxes[112]["height"]) + 8
    page.get_by_test_id("emergency-calls").evaluate("el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=test_output / f"touch-emergency-{name}-{language}-360.png")
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.get_by_test_id("emergency-calls").evaluate("el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=test_output / f"touch-emergency-{name}-{language}-1280.png")


# The header on a phone: two rows of 44 px targets (the brand and the tools, then the links),
# 8 px between them, 8 px above and below and the 1 px border make 113 px; 120 leaves room for
# rounding. It was four rows, 215-230 px of a 740 px screen.
HEADER_BOUND = 120


def header_targets(page) -> dict[str, dict]:
    """The header's tap targets on `page` and their boxes (a link scrolled out of the links'
    row is measured where it lies)."""
    targets = {"brand": page.locator(".site-header .brand"),
               "language": page.locator("#language-select")}
    for index, link in enumerate(page.locator("nav.main-nav a").all()):
        targets[f"link {index + 1} {link.inner_text()}"] = link
    for name in ("details.account-menu summary", ".header-tools a.btn"):
        for index, item in enumerate(page.locator(name).all()):
            targets[f"{name} {index + 1}"] = item
    return {name: box(item) for name, item in targets.items()}


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_signed_in_header_takes_two_rows_of_big_targets_on_a_phone(
        chromium_browser, live_server, make_user, test_output, language, width):
    """Signed in, on a phone: every header target 44 px tall (they were 31-38), the header two
    rows and at most HEADER_BOUND px tall (it was 215-230), its links one row that scrolls
    sideways and follows the keyboard's focus."""
    from webapp.tests.support.browser_helpers import signed_in_context_in

    user = make_user(email="ponsel@example.org", full_name="Budi Santoso")
    with signed_in_context_in(chromium_browser, live_server.url, user, language,
                              viewport={"width": width, "height": 780}) as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("home"))
        header = box(page.locator(".site-header"))
        print(f"header {language} {width}: {header['height']} px")
        page.screenshot(path=test_output / f"touch-header-signed-in-{language}-{width}.png",
                        clip={"x": 0, "y": 0, "width": width, "height": 260})
        for name, b in header_targets(page).items():
            assert b["height"] >= TARGET and b["width"] >= TARGET, (name, b)
        assert header["height"] <= HEADER_BOUND, header
        links = page.locator("nav.main-nav a")
        assert links.count() == 5
        # Every link one Tab away, and scrolled into the row when focused.
        row = box(page.locator("nav.main-nav ul"))
        page.locator(".site-header .brand").focus()
        for index in range(5):
            page.keyboard.press("Tab")
            focused = page.evaluate_handle("document.activeElement")
            assert focused.evaluate("el => el.closest('nav.main-nav') !== null"), index
            link = focused.as_element().bounding_box()
            assert row["x"] - 1 <= link["x"] and link["x"] + link["width"] <= row["x"] + row["width"] + 1, (index, link, row)
        page.screenshot(path=test_output / f"touch-header-signed-in-{language}-{width}-last-link.png",
                        clip={"x": 0, "y": 0, "width": width, "height": 260})


# A visitor's language menu (as wide as its widest choice, "Bahasa Indonesia", in either
# language), "Log in" and "Register" are wider together than a 360 px phone's 328 px column:
# one more row of 44 px and its 8 px gap.
VISITOR_HEADER_BOUND = HEADER_BOUND + 52


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_visitors_header_has_big_targets_on_a_phone(open_page, test_output, language):
    """A visitor's header: the language menu and "Log in"/"Register" were 31-32 px tall, the
    header four rows (217 px)."""
    page = open_page("/", language)
    page.screenshot(path=test_output / f"touch-header-visitor-{language}-360.png",
                    clip={"x": 0, "y": 0, "width": 360, "height": 260})
    for name, b in header_targets(page).items():
        assert b["height"] >= TARGET and b["width"] >= TARGET, (name, b)
    header = box(page.locator(".site-header"))
    print(f"visitor header {language}: {header['height']} px")
    assert header["height"] <= VISITOR_HEADER_BOUND, header


def line_count(locator) -> int:
    """How many lines the text of `locator` takes."""
    return locator.evaluate("""el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    }""")


def assert_big(page, selector: str, expected_count: int | None = None) -> dict[str, dict]:
    items = page.locator(selector).all()
    assert items, selector
    if expected_count is not None:
        assert len(items) == expected_count, selector
    boxes = {f"{selector} {index + 1} {item.inner_text().strip()!r}": box(item) for index, item in enumerate(items)}
    for name, b in boxes.items():
        assert b["height"] >= TARGET and b["width"] >= TARGET, (name, b)
    return boxes


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_reports_buttons_are_big_enough_on_a_phone(
        chromium_browser, live_server, make_user, model_dir, media_root, xray_paths, test_output, language):
    """The printable report's toolbar: "Print" was 80x34 px, "Download PDF" 63x38 on two lines,
    the way back 137x38."""
    from webapp.tests.support.browser_helpers import signed_in_context_in
    from webapp.tests.support.screening_helpers import store_reading

    user = make_user(email="laporan@example.org")
    reading = store_reading(user, model_dir, xray_paths["normal"][0])
    with signed_in_context_in(chromium_browser, live_server.url, user, language, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/readings/{reading.pk}/report/")
        page.screenshot(path=test_output / f"touch-report-toolbar-{language}-360.png",
                        clip={"x": 0, "y": 0, "width": 360, "height": 200})
        assert_big(page, ".report-toolbar a, .report-toolbar button", 3)
        for item in page.locator(".report-toolbar a, .report-toolbar button").all():
            assert line_count(item) == 1, item.inner_text()
        page.set_viewport_size(VIEWPORTS["desktop"])
        page.screenshot(path=test_output / f"touch-report-toolbar-{language}-1280.png",
                        clip={"x": 0, "y": 0, "width": 1280, "height": 200})


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_hospital_lists_buttons_and_map_zoom_are_big_enough_on_a_phone(
        open_page, hospitals_dir, test_output, language):
    """The list's "Call (021) ..." buttons were 214x32 px, "Directions" 142x32, the map's
    zoom buttons 30x30."""
    from io import StringIO

    from django.core.management import call_command

    call_command("import_hospitals", str(hospitals_dir / "indonesia_covid_referral_hospitals.csv"),
                 stdout=StringIO(), stderr=StringIO())
    page = open_page(reverse("hospitals:nearest") + "?place=Bandung", language)
    page.locator("#hospital-list > li").first.wait_for()
    assert_big(page, "#hospital-list a.btn")
    assert_big(page, ".leaflet-control-zoom a", 2)
    page.locator("#hospital-list").scroll_into_view_if_needed()
    page.screenshot(path=test_output / f"touch-hospital-list-{language}-360.png")


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_account_pages_choices_and_links_are_big_enough_on_a_phone(
        open_page, chromium_browser, live_server, make_user, test_output, language):
    """The register page's "Patient"/"Doctor" radio buttons were 18x18 px with 25 px labels;
    "Forgot your password?" 135x25, the password change's "Cancel" 41x25, the profile's
    "Change password" 130x25 and "API keys" 74x25."""
    from webapp.tests.support.browser_helpers import signed_in_context_in

    page = open_page(reverse("register"), language)
    assert_big(page, ".form fieldset label:has(input[type=radio])", 2)
    page.locator("fieldset:has(input[type=radio])").screenshot(path=test_output / f"touch-register-role-{language}-360.png")
    page = open_page(reverse("login"), language)
    assert_big(page, f".actions a[href='{reverse('password_reset')}']", 1)
    page.locator(".actions").screenshot(path=test_output / f"touch-login-actions-{language}-360.png")
    user = make_user(email="akun@example.org")
    with signed_in_context_in(chromium_browser, live_server.url, user, language, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(live_server.url + reverse("password_change"))
        assert_big(page, f".actions a[href='{reverse('profile')}']", 1)
        page.goto(live_server.url + reverse("profile"))
        assert_big(page, ".actions > a:not(.btn)", 2)
        page.locator(".actions").first.screenshot(path=test_output / f"touch-profile-actions-{language}-360.png")
