"""The upload page's rows gave a file's size as "9 KB" where the batch and history pages, with
Django's filesizeformat, said "8.9 KB" ("8,9 KB" in Indonesian) for the same file: upload.js
now writes sizes as filesizeformat does, in the page's language.

Screenshots land in test-output/upload-file-sizes-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import override
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import record_page_errors, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = (0, 1, 500, 9113, 15300, 2048, 1536000)


@pytest.mark.parametrize("language", ["en", "id"])
def test_upload_rows_give_sizes_as_the_other_pages_do(chromium_browser, live_server, test_output,
                                                      model_dir, alice, tmp_path, language):
    files = []
    for i, size in enumerate(SIZES):
        path = tmp_path / f"xray-{i}.png"
        path.write_bytes(bytes(size))
        files.append(str(path))
    with override(language):
        expected = [str(filesizeformat(size)) for size in SIZES]
    assert "8,9\xa0KB" in expected or language == "en"
    with signed_in_context_in(chromium_browser, live_server.url, alice, language) as context:
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", files)
        expect(page.locator("[data-queue] .queue-size")).to_have_text(expected)
        page.screenshot(path=test_output / f"upload-file-sizes-{language}.png", full_page=True)

        # One file: its name and size under the drop zone, as filesizeformat writes the size.
        page.set_input_files("#id_image", files[3])
        expect(page.locator("[data-file-name]")).to_have_text(f"xray-3.png · {expected[3]}")
    assert errors == []
