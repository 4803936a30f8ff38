"""An upload of several files lists their results on the upload page, with bare headlines: the
box the batch, history and compare pages put above their results ("The results below are AI
screening estimates, not diagnoses...") was missing. upload.js shows it above the results once
one of the files is read. (Without JavaScript several files go to the batch page, which has it.)

Screenshots land in test-output/upload-results-caveat-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import record_page_errors, signed_in_context_in

CAVEAT = "The results below are AI screening estimates, not diagnoses: a clinician and an RT-PCR test decide."


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_several_files_read_with_javascript_show_the_caveat(chromium_browser, live_server, test_output,
                                                            model_dir, media_root, alice, xray_paths,
                                                            language):
    with override(language):
        caveat = gettext(CAVEAT)
    with signed_in_context_in(chromium_browser, live_server.url, alice, language) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/upload/")
        box = page.get_by_test_id("results-caveat")
        expect(box).to_be_hidden()  # no results yet
        page.set_input_files("#id_image", [str(xray_paths["covid"][0]), str(xray_paths["normal"][0])])
        page.locator("[data-submit]").click()
        expect(page.get_by_test_id("upload-summary")).to_be_visible(timeout=60_000)
        expect(box).to_be_visible()
        expect(box).to_have_text(caveat)
        page.screenshot(path=test_output / f"upload-results-caveat-{language}.png", full_page=True)
        # Files chosen next have no results yet.
        page.set_input_files("#id_image", [str(xray_paths["pneumonia"][0]), str(xray_paths["normal"][0])])
        expect(box).to_be_hidden()
    assert errors == []

