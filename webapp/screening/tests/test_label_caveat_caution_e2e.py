"""A "normal" reading's label caveat in a real browser, English and Indonesian, phone and
desktop: a caution box of its own under the result box (never inside it), in plain words with
every number of the measurement. The result box itself is a neutral colour, not the site's
"done, all well" green: a screening tool cannot clear anyone, and on hospitals it never saw its
"normal" was right about a third of the time.
Screenshots land in test-output/label-caveat-caution-*.png for a person to look at."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    record_page_errors,
    signed_in_context,
)
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAVEAT = {
    "code": "label_unverified_unseen_class",
    "params": {"label": "normal", "source_percent": 32.3, "source_low_percent": 27.7,
               "source_high_percent": 37.0, "patient_percent": 95.6, "right": 130, "said": 402},
    "text": "(the engine's English text)",
}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
WORDS = {"en": ("Caution: “Normal” was right 130 of 402 times (32%) on hospitals it did not learn from.",
                "Treat with caution:"),
         "id": ("Perhatian: “Normal” benar 130 dari 402 kali (32%) di rumah sakit yang tidak dipelajarinya.",
                "Perlu hati-hati:")}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_a_normal_readings_caveat_is_a_caution_under_a_neutral_box(chromium_browser, live_server, test_output,
                                                                 model_dir, media_root, patient, xray_paths,
                                                                 language, size):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], label="normal", warnings=[CAVEAT])
    with signed_in_context(chromium_browser, live_server.url, patient,
                           viewport=SIZES[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/readings/{reading.pk}/")
        short_words, whole_start = WORDS[language]
        outcome = page.get_by_test_id("outcome")
        expect(outcome).to_have_attribute("data-outcome", "normal")
        short = page.get_by_test_id("label-caveat-short")
        expect(short).to_have_text(short_words)
        assert outcome.locator("[data-testid=label-caveat-short]").count() == 0
        box, caution = outcome.bounding_box(), short.bounding_box()
        assert caution["y"] >= box["y"] + box["height"]  # below the result box, not in it
        # Styled as a caution: the warning colours, not the result's.
        colours = page.evaluate("""([a, b]) => [a, b].map(e => getComputedStyle(e).backgroundColor)""",
                                [short.element_handle(), outcome.element_handle()])
        warning = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--warning-soft')")
        assert colours[0] != colours[1] and warning.strip()
        # The result box does not wear the success green of "saved" and "consistent with the card".
        success = page.evaluate("""() => { const probe = document.createElement('div');
            probe.style.color = 'var(--success)'; probe.style.backgroundColor = 'var(--success-soft)';
            document.body.append(probe); const s = getComputedStyle(probe);
            const colours = [s.color, s.backgroundColor]; probe.remove(); return colours; }""")
        box_style = page.evaluate("e => [getComputedStyle(e).borderLeftColor, getComputedStyle(e).backgroundColor]",
                                  outcome.element_handle())
        assert box_style[0] != success[0] and box_style[1] != success[1], box_style
        whole = page.get_by_test_id("label-caveat")
        expect(whole).to_contain_text(whole_start)
        for number in ("130", "402", "32%", "28-37%", "96%"):
            expect(whole).to_contain_text(number)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=test_output / f"label-caveat-caution-{size}-{language}.png", full_page=size == "phone")
        assert page.errors == []
