"""Back from a reading, Chromium puts the file chosen before into the upload page's file field
again, without a change event: "Screen this X-ray" answered "Choose an image file first." for a
file the page showed as chosen. upload.js now takes such files as chosen.

Screenshots land in test-output/upload-back-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import record_page_errors, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_file_put_back_after_back_is_sent(chromium_browser, live_server, test_output, model_dir,
                                            media_root, alice, xray_paths, language):
    with signed_in_context_in(chromium_browser, live_server.url, alice, language) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", str(xray_paths["normal"][0]))
        page.locator("[data-submit]").click()
        page.wait_for_url("**/screening/readings/*/")
        page.go_back()
        page.wait_for_load_state()
        restored = page.evaluate("document.querySelector('#id_image').files.length")
        if restored == 0:
            pytest.skip("this Chromium did not put the file back")
        # The page says which file is chosen, as when it was chosen by hand.
        expect(page.locator("[data-file-name]")).to_contain_text(xray_paths["normal"][0].name)
        page.screenshot(path=test_output / f"upload-back-{language}.png", full_page=True)
        page.locator("[data-submit]").click()
        page.wait_for_url("**/screening/readings/*/")  # not "Choose an image file first."
    assert Reading.objects.count() == 2
    assert errors == []
