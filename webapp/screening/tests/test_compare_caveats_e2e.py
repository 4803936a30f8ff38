"""The compare page says what the reading page says with a label: the caveat's short line
("Caution: “COVID-19” was right 122 of 200 times (61%) on hospitals it did not learn from."),
once for the page above the cards (each label's line once, not repeated on every card:
test_compare_caveats_once_e2e.py), and each image's warnings in words rather than "1 warning" in
its card. A doctor compares on a phone too: at 360 px the two cards stay side by side with
nothing wider than the screen.

Screenshots land in test-output/compare-caveats-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening import presentation
from webapp.tests.support.browser_helpers import BROWSER_LOCALES, VIEWPORTS, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAVEAT = {
    "code": "label_unverified_unseen_class",
    "params": {"label": "covid", "source_percent": 61.0, "source_low_percent": 55.0,
               "source_high_percent": 67.0, "patient_percent": 97.0, "right": 122, "said": 200},
    "text": "Unverified: on X-rays from collections it never saw, a model trained this way was "
            "right 61% of the times it gave the label covid (122 of 200; 95% CI 55-67%), against "
            "97% on new patients of the collections it learnt from.",
}
OFF_LUNGS = {
    "code": "heatmap_off_lungs", "params": {"on_lungs_percent": 31},
    "text": "Most of the heat map lies outside the lungs (only 31% on them): the reading may rest "
            "on something other than the lungs, such as text, borders or devices. Look at where "
            "the heat map points before giving the result any weight.",
}


def test_the_compare_page_gives_each_cards_caveat_and_warnings(client, doctor, model_dir, media_root,
                                                               xray_paths):
    labelled = store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM-9",
                             warnings=[CAVEAT, OFF_LUNGS])
    other = store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM-9")
    client.force_login(doctor)
    html = client.get("/screening/compare/?patient=RM-9").content.decode()
    # The engine's own caveat of a real reading, and the one given to the first.
    assert presentation.label_caveat_short(other).startswith("Caution:")
    assert html.count('data-testid="compare-label-caveat"') == 0  # said above the cards
    caveats = html.split('data-testid="compare-caveats"')[1].split('data-testid="compare-grid"')[0]
    assert presentation.label_caveat_short(labelled) in caveats
    assert presentation.label_caveat_short(other) in caveats
    assert "Caution: “COVID-19” was right 122 of 200 times (61%) on hospitals it did not learn from." in html
    assert "Most of the heat map lies outside the lungs (only 31% on them)" in html
    assert "1 warning" not in html
    # The caveat is the short line, not also counted among the image's warnings.
    assert 'data-code="label_unverified_unseen_class"' not in html


@pytest.mark.parametrize(("size", "language"), [("phone", "id"), ("phone", "en"), ("desktop", "en")])
def test_the_caveat_and_warnings_fit_the_cards(chromium_browser, live_server, test_output, doctor,
                                               model_dir, media_root, xray_paths, size, language):
    first = store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM-9",
                          warnings=[CAVEAT, OFF_LUNGS])
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM-9",
                  warnings=[dict(CAVEAT, params=dict(CAVEAT["params"], label="normal"))])
    with signed_in_context(chromium_browser, live_server.url, doctor,
                           viewport=VIEWPORTS[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/compare/?patient=RM-9")
        items = page.get_by_test_id("compare-item")
        expect(items).to_have_count(2)
        with translation.override(language):
            caveat = presentation.label_caveat_short(first)
            off_lungs = presentation.image_warning_items(first)[0]["message"]
        # Said once above the cards, not in them.
        caveats = page.get_by_test_id("compare-caveats")
        expect(caveats.locator("p")).to_have_count(2)
        expect(caveats.locator("p").nth(0)).to_have_text(caveat)
        expect(page.get_by_test_id("compare-label-caveat")).to_have_count(0)
        assert caveats.bounding_box()["y"] + caveats.bounding_box()["height"] < items.nth(0).bounding_box()["y"]
        warnings = items.nth(0).get_by_test_id("compare-warnings")
        expect(warnings).to_be_visible()
        expect(warnings.locator("li")).to_have_count(1)
        expect(warnings.locator("li")).to_have_text(off_lungs)
        expect(items.nth(1).get_by_test_id("compare-warnings")).to_have_count(0)
        page.wait_for_load_state("networkidle")
        boxes = [items.nth(i).bounding_box() for i in range(2)]
        assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[1]["x"] > boxes[0]["x"]  # side by side
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
        # Nothing in a card spills out of it.
        spill = page.evaluate("""[...document.querySelectorAll('.compare-item')].flatMap(card => {
            const c = card.getBoundingClientRect();
            return [...card.querySelectorAll('*')].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width && (r.left < c.left - 0.5 || r.right > c.right + 0.5); })
              .map(e => e.tagName + '.' + e.className); })""")
        assert spill == []
        page.screenshot(path=test_output / f"compare-caveats-{size}-{language}.png", full_page=True)
