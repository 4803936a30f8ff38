"""Switching to Bahasa Indonesia with the header's language menu translates every main page.

For each page the English heading is read first; after the switch the heading must be the
catalogue's Indonesian translation of it (or, for headings with a name in them, differ from the
English one). Screenshots land in test-output/i18n-id-*.png.
"""
import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "meadow-copper-kettle-29"


def main_pages() -> dict[str, str]:
    return {
        "home": reverse("home"),
        "upload": reverse("screening:upload"),
        "history": reverse("screening:history"),
        "hospitals": reverse("hospitals:nearest"),
        "next-steps": reverse("guide:next_steps"),
        "next-steps-covid": reverse("guide:next_steps", args=["covid"]),
        "how-it-works": reverse("guide:how_it_works"),
    }


def heading(page) -> str:
    return re.sub(r"\s+", " ", page.locator("main h1").first.inner_text()).strip()


def indonesian(text: str) -> str:
    with translation.override("id"):
        return translation.gettext(text)


def test_every_main_page_in_indonesian(page, live_server, test_output):
    from webapp.accounts.models import User

    base = live_server.url
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())

    # The public landing page, switched before logging in.
    page.goto(base + "/")
    english_landing = heading(page)
    with page.expect_navigation():
        page.locator("#language-select").select_option("id")
    assert page.locator("html").get_attribute("lang") == "id"
    assert heading(page) == indonesian(english_landing) != english_landing
    page.screenshot(path=test_output / "i18n-id-landing.png", full_page=True)

    # Log in (the form is in Indonesian now), then read the English headings for comparison.
    User.objects.create_user(email="bahasa@example.org", password=PASSWORD, full_name="Budi Santoso")
    page.goto(base + "/accounts/login/")
    page.locator("input[name=username]").fill("bahasa@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    with page.expect_navigation():
        page.locator("#language-select").select_option("en")
    english = {}
    for name, path in main_pages().items():
        page.goto(base + path)
        english[name] = heading(page)

    page.goto(base + reverse("home"))
    with page.expect_navigation():
        page.locator("#language-select").select_option("id")
    disclaimer = indonesian("A screening aid, not a diagnosis: a clinician and an RT-PCR test decide.")
    for name, path in main_pages().items():
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == "id", name
        # Headings put together from several messages or with a value in them.
        composed = {
            "home": "Halo, Budi",
            "next-steps-covid": f"{indonesian('Next steps')}: {indonesian('Findings consistent with COVID-19 are likely')}",
        }
        expected = composed.get(name) or indonesian(english[name])
        assert heading(page) == expected != english[name], name
        assert disclaimer in page.locator("footer").inner_text(), name
        nav = page.locator("nav.main-nav").inner_text()
        assert "Rumah sakit" in nav and "Langkah selanjutnya" in nav and "Cara kerja" in nav, name
        page.screenshot(path=test_output / f"i18n-id-{name}.png", full_page=True)


def test_the_engines_refusal_reason_is_shown_in_indonesian(page, live_server, test_output, model_dir,
                                                           media_root, tmp_path):
    """The sentence that says *why* a picture was refused comes from the inference engine: it must
    follow the page's language too, not stay in English under an Indonesian title."""
    from PIL import Image
    from skimage import data

    from webapp.accounts.models import User
    from webapp.screening.models import Reading

    User.objects.create_user(email="wulan@example.org", password=PASSWORD, full_name="Wulan Sari")
    base = live_server.url
    page.goto(base + "/accounts/login/")
    with page.expect_navigation():
        page.locator("#language-select").select_option("id")
    page.locator("input[name=username]").fill("wulan@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo, quality=90)
    page.goto(base + reverse("screening:upload"))
    page.set_input_files("#id_image", str(photo))
    page.locator("main form button[type=submit]").click()
    error = page.get_by_test_id("upload-error")
    error.wait_for()
    text = error.inner_text()
    assert indonesian("This does not look like a chest X-ray") in text
    assert "gambar berwarna kuat (foto rontgen berwarna abu-abu)" in text
    assert "strongly coloured" not in text
    assert Reading.objects.count() == 0
    page.screenshot(path=test_output / "i18n-id-refusal.png", full_page=True)


def test_the_signed_in_header_keeps_one_row_on_a_laptop_in_both_languages(page, live_server, test_output):
    """Five links, the language's whole name and the account menu: in Indonesian they wrapped the
    language menu and account menu to a second row at 1280 px. The brand shows its mark alone
    there and keeps its name for screen readers."""
    from webapp.accounts.models import User

    User.objects.create_user(email="lebar@example.org", password=PASSWORD, full_name="Budi Santoso")
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=username]").fill("lebar@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    for language in ("en", "id"):
        if page.locator("html").get_attribute("lang") != language:
            with page.expect_navigation():
                page.locator("#language-select").select_option(language)
        for width in (1280, 1100):
            page.set_viewport_size({"width": width, "height": 900})
            links = page.locator("nav.main-nav ul").bounding_box()
            tools = page.locator(".header-tools").bounding_box()
            # One row: the menus sit beside the links, not below them.
            assert tools["y"] < links["y"] + links["height"], (language, width)
            assert page.locator("nav.main-nav li").count() == 5
            brand = indonesian("CXR Screening") if language == "id" else "CXR Screening"
            assert page.get_by_role("link", name=brand).is_visible(), (language, width)
            page.screenshot(path=test_output / f"header-signed-in-{language}-{width}.png",
                            clip={"x": 0, "y": 0, "width": width, "height": 120})
    page.set_viewport_size({"width": 1600, "height": 900})  # wide enough for the brand's name too
    assert page.locator(".brand-name").is_visible()


def test_the_language_menu_waits_for_a_keyboard_choice(page, live_server, test_output):
    """Arrow keys step through a closed select's options, each step a "change": the menu once
    switched language (and reloaded the page) on the first arrow press. From the keyboard the
    choice now waits for Enter, and the Change button appears for it."""
    base = live_server.url
    page.goto(base + "/")
    select = page.locator("#language-select")
    change = page.locator(".lang-form button[type=submit]")
    expect(change).to_be_hidden()  # pointer users do not need it
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)  # a submit would have started navigating by now
    assert page.locator("html").get_attribute("lang") == "en"
    assert select.input_value() == "id"
    expect(change).to_be_visible()
    page.screenshot(path=test_output / "i18n-language-menu-by-keys.png")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "id"
