"""The compare page says a label's caveat once, above the cards, not again on every card with that
label: "Caution: “Normal” was right 130 of 402 times ..." on each of four "Normal" cards said the
same thing four times. A caveat that is not true of every reading it speaks of (two model
versions' numbers for one label, a model-wide line some labelled readings lack) stays on its own
cards, and each image's warnings stay in its card. In English and Indonesian.

Screenshots land in test-output/compare-caveats-once-*.png for a person to look at.
"""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening import presentation
from webapp.tests.support.browser_helpers import BROWSER_LOCALES, VIEWPORTS, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def class_caveat(label: str, right: int, said: int) -> dict:
    return {"code": "label_unverified_unseen_class",
            "params": {"label": label, "source_percent": 100 * right / said, "source_low_percent": 20.0,
                       "source_high_percent": 80.0, "patient_percent": 96.0, "right": right, "said": said},
            "text": "(the engine's English text)"}


NORMAL = class_caveat("normal", 130, 402)
COVID = class_caveat("covid", 122, 200)
EVERY_LABEL = {"code": "label_unverified_unseen_sources",
               "params": {"source_percent": 49.0, "source_low_percent": 45.0, "source_high_percent": 53.0,
                          "patient_percent": 96.0},
               "text": "(the engine's English text)"}
OFF_LUNGS = {"code": "heatmap_off_lungs", "params": {"on_lungs_percent": 31},
             "text": "Most of the heat map lies outside the lungs (only 31% on them)."}


def reading(owner, model_dir, path, label: str | None, warnings: list, reference: str = "RM-1"):
    return store_reading(owner, model_dir, path, patient_reference=reference, label=label,
                         low_confidence=label is None, warnings=warnings)


def three_readings(doctor, model_dir, xray_paths):
    """Two "Normal" readings (the second with an image warning) and a "COVID-19" one."""
    return [reading(doctor, model_dir, xray_paths["normal"][0], "normal", [NORMAL]),
            reading(doctor, model_dir, xray_paths["normal"][1], "normal", [NORMAL, OFF_LUNGS]),
            reading(doctor, model_dir, xray_paths["covid"][0], "covid", [COVID])]


def compare_page(doctor, language: str, reference: str = "RM-1") -> str:
    client = Client()
    client.force_login(doctor)
    if language == "id":
        client.cookies.load({"django_language": "id"})
    return client.get(f"/screening/compare/?patient={reference}").content.decode()


def said_above_the_cards(html: str) -> str:
    """The page's caveat box, which must come before the cards."""
    before_cards = html.split('data-testid="compare-grid"')[0]
    found = re.search(r'data-testid="compare-caveats">(.*?)</div>', before_cards, re.S)
    return found.group(1) if found else ""


def cards(html: str) -> list[str]:
    return re.findall(r'data-testid="compare-item">(.*?)</li>\s*(?=<li class="compare-item|</ol>)',
                      html, re.S)


@pytest.mark.parametrize("language", ["en", "id"])
def test_each_labels_caveat_is_said_once_above_the_cards(doctor, model_dir, media_root, xray_paths,
                                                         language):
    first, second, covid = three_readings(doctor, model_dir, xray_paths)
    html = compare_page(doctor, language)
    with translation.override(language):
        normal_line = presentation.label_caveat_short(first)
        covid_line = presentation.label_caveat_short(covid)
        off_lungs = presentation.image_warning_items(second)[0]["message"]
    for line in (normal_line, covid_line):
        assert html.count(line) == 1, line  # once on the page
    box = said_above_the_cards(html)
    assert normal_line in box and covid_line in box
    assert 'data-testid="compare-label-caveat"' not in html
    shown = cards(html)
    assert len(shown) == 3
    # The image's own warning stays on its card, and only there.
    assert [off_lungs in card for card in shown] == [False, True, False]


def test_a_caveat_not_true_of_every_reading_it_speaks_of_stays_on_its_cards(doctor, model_dir, media_root,
                                                                            xray_paths):
    # One label, two model versions' numbers: each card keeps its own.
    older = reading(doctor, model_dir, xray_paths["normal"][0], "normal", [class_caveat("normal", 100, 400)])
    newer = reading(doctor, model_dir, xray_paths["normal"][1], "normal", [NORMAL])
    html = compare_page(doctor, "en")
    assert said_above_the_cards(html) == ""
    for card, one in zip(cards(html), (older, newer), strict=True):
        with translation.override("en"):
            line = presentation.label_caveat_short(one)
        assert 'data-testid="compare-label-caveat"' in card and line in card

    # A line about every label, which one labelled reading lacks: said on its card only.
    everyone = reading(doctor, model_dir, xray_paths["normal"][0], "normal", [EVERY_LABEL], "RM-2")
    reading(doctor, model_dir, xray_paths["covid"][0], "covid", [], "RM-2")
    html = compare_page(doctor, "en", "RM-2")
    assert said_above_the_cards(html) == ""
    with translation.override("en"):
        line = presentation.label_caveat_short(everyone)
    assert [line in card for card in cards(html)] == [True, False]

    # A reading without a label ("Uncertain") has no caveat to lack: the label's line moves up.
    reading(doctor, model_dir, xray_paths["normal"][0], "normal", [NORMAL], "RM-3")
    reading(doctor, model_dir, xray_paths["pneumonia"][0], None, [], "RM-3")
    html = compare_page(doctor, "en", "RM-3")
    assert "130 of 402" in said_above_the_cards(html)
    assert "130 of 402" not in "".join(cards(html))


@pytest.mark.parametrize(("size", "language"), [("phone", "id"), ("phone", "en"), ("desktop", "en"),
                                                ("desktop", "id")])
def test_the_caveats_stand_once_above_the_cards_in_the_browser(chromium_browser, live_server, test_output,
                                                               doctor, model_dir, media_root, xray_paths,
                                                               size, language):
    first, second, covid = three_readings(doctor, model_dir, xray_paths)
    with translation.override(language):
        lines = [presentation.label_caveat_short(first), presentation.label_caveat_short(covid)]
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=VIEWPORTS[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/compare/?patient=RM-1")
        items = page.get_by_test_id("compare-item")
        expect(items).to_have_count(3)
        box = page.get_by_test_id("compare-caveats")
        expect(box).to_be_visible()
        expect(box.locator("p")).to_have_text(lines)
        for line in lines:
            expect(page.get_by_text(line, exact=True)).to_have_count(1)
        expect(page.get_by_test_id("compare-label-caveat")).to_have_count(0)
        # Outside the cards: above the first one, and no card holds it.
        above = box.bounding_box()
        assert above["y"] + above["height"] <= items.nth(0).bounding_box()["y"]
        for i in range(3):
            expect(items.nth(i).get_by_test_id("compare-caveats")).to_have_count(0)
        expect(items.nth(1).get_by_test_id("compare-warnings")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
        page.screenshot(path=test_output / f"compare-caveats-once-{size}-{language}.png", full_page=True)
