"""Several X-rays sent from the upload page: each row read gives its label's caveat under its
headline, as the reading's own page does, in English and Indonesian, at desktop and phone width.
Screenshots land in test-output/upload-rows-label-caveat-*.png for a person to look at."""
from __future__ import annotations

import pytest
from django.utils.translation import override
from playwright.sync_api import expect

from webapp.screening import presentation
from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import (
    record_page_errors,
    signed_in_context_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_each_row_read_gives_its_labels_caveat(chromium_browser, live_server, test_output, model_dir,
                                               media_root, patient, xray_paths, language, size):
    with signed_in_context_in(chromium_browser, live_server.url, patient, language,
                              viewport=SIZES[size]) as context:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", [str(xray_paths["normal"][0]), str(xray_paths["covid"][0])])
        page.locator("[data-submit]").click()
        expect(page.get_by_test_id("upload-summary")).to_be_visible(timeout=60_000)
        rows = page.get_by_test_id("upload-item")
        expect(rows).to_have_count(2)
        with override(language):
            caveats = [presentation.label_caveat_short(reading) for reading in Reading.objects.order_by("id")]
        assert all(caveats)  # the served model's labels were measured where it did not learn
        for row, caveat in zip(rows.all(), caveats, strict=True):
            shown = row.get_by_test_id("upload-label-caveat")
            expect(shown).to_have_text(caveat)
            headline, words = row.locator(".queue-status a").bounding_box(), shown.bounding_box()
            assert words["y"] >= headline["y"] + headline["height"]  # under the headline
            assert words["x"] + words["width"] <= SIZES[size]["width"]  # no overflow
        page.screenshot(path=str(test_output / f"upload-rows-label-caveat-{size}-{language}.png"),
                        full_page=True)
        assert page.errors == []
