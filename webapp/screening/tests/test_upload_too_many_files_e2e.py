"""Choosing more files than one upload takes (20): the page said "Choose at most 20 files at a
time." but the button still read "Screen these 21 X-rays", and pressing it replaced the message
with "Choose an image file first.". The button now counts only what will be sent, and pressing
it says again why nothing is sent.

Screenshots land in test-output/upload-too-many-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import record_page_errors, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_too_many_files_are_not_counted_on_the_button(chromium_browser, live_server, test_output,
                                                      model_dir, alice, tmp_path, language):
    files = []
    for i in range(21):
        path = tmp_path / f"xray-{i:02}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
        files.append(str(path))
    with override(language):
        too_many = gettext("Choose at most %(count)s files at a time.") % {"count": 20}
        one_label = gettext("Screen this X-ray")
        no_file = gettext("Choose an image file first.")
    with signed_in_context_in(chromium_browser, live_server.url, alice, language) as context:
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", files)
        error = page.get_by_test_id("upload-error")
        expect(error).to_have_text(too_many)
        button = page.locator("[data-submit]")
        expect(button).to_have_text(one_label)  # not "Screen these 21 X-rays"
        page.screenshot(path=test_output / f"upload-too-many-{language}.png", full_page=True)
        button.click()
        expect(error).to_have_text(too_many)
        expect(page.locator("#upload-result")).not_to_contain_text(no_file)
    assert errors == []
