"""After several files are read on the upload page, its file field still held them and the button
still offered "Screen these 3 X-rays": pressing it sent the refused ones a second time (a phone
audit). The field and the button now start again once every file has had its answer; the rows
of the results stay.

Screenshot: test-output/upload-after-several-files.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_form_starts_again_after_several_files(open_signed_in_page, test_output, model_dir, media_root,
                                                   patient, xray_paths, tmp_path):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 20)
    page = open_signed_in_page(patient, "/screening/upload/", VIEWPORTS["phone"], "en")
    submit = page.locator("[data-submit]")
    default_label = submit.inner_text()
    page.set_input_files("#id_image", [str(xray_paths["covid"][0]), str(xray_paths["normal"][0]),
                                       str(not_an_image)])
    expect(submit).to_have_text("Screen these 3 X-rays")
    submit.click()
    expect(page.get_by_test_id("upload-summary")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("upload-summary")).to_contain_text("2 of 3 files were read.")

    assert page.eval_on_selector("#id_image", "input => input.files.length") == 0
    expect(submit).to_have_text(default_label)
    expect(page.get_by_test_id("upload-item")).to_have_count(3)  # the answers stay on the page
    page.screenshot(path=test_output / "upload-after-several-files.png", full_page=True)

    requests = []
    page.on("request", lambda request: requests.append(request.url) if request.method == "POST" else None)
    submit.click()
    page.wait_for_timeout(500)
    assert requests == []  # nothing is sent again
    assert Reading.objects.count() == 2
    # The one error is the refusal of the file that is not a picture, sent once.
    # (the response and the console's line about it).
    assert all("422" in error for error in page.errors), page.errors
