"""The screening flow in a real browser against a live server, the real model and database:
log in, screen a real X-ray, look at the heat map, get a photo refused, open the history and
the report, delete the reading.

Screenshots land in test-output/screening-*.png for a person to look at.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import log_in_on_redirect, record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "lantern-river-orbit-58"


@pytest.fixture
def user():
    from webapp.accounts.models import User

    return User.objects.create_user(email="sari@example.org", password=PASSWORD, full_name="Sari Wulandari")


@pytest.fixture
def watched_page(page):
    """The browser page, recording console errors (a CSP violation shows up as one)."""
    page.console_errors = record_page_errors(page)
    return page


# Drops a file (name, base64 bytes) on the drop zone as a person dragging it from a folder would.
DROP_FILE = """([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  const zone = document.querySelector("[data-dropzone]");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
  }
}"""


def image_loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_screen_view_history_report_delete(watched_page, live_server, test_output, model_dir, media_root,
                                           user, xray_paths, tmp_path, settings):
    from webapp.screening.models import Reading

    page = watched_page
    base = live_server.url

    # Not logged in: the login page, then back here.
    log_in_on_redirect(page, base, "/screening/upload/", user.email, PASSWORD)
    expect(page.get_by_test_id("upload-limits")).to_contain_text("up to 64 MB")
    page.screenshot(path=test_output / "screening-upload.png", full_page=True)

    # A file over the limit is refused by the page itself, before anything is sent.
    settings.MAX_UPLOAD_BYTES = 1000
    page.reload()
    requests_sent = []
    page.on("request", lambda request: requests_sent.append(request) if request.method == "POST" else None)
    page.set_input_files("#id_image", str(xray_paths["normal"][0]))
    expect(page.get_by_test_id("upload-error")).to_contain_text("This file is too large: the limit is 1 KB.")
    page.get_by_role("button", name="Screen this X-ray").click()
    expect(page.get_by_test_id("upload-error")).to_contain_text("the limit is 1 KB")
    assert requests_sent == []
    page.screenshot(path=test_output / "screening-too-large.png", full_page=True)
    settings.MAX_UPLOAD_BYTES = 64 * 1024 * 1024
    page.reload()

    # A photo of a person is refused on the page, and nothing is stored.
    photo = tmp_path / "astronaut.jpg"
    from skimage import data

    Image.fromarray(data.astronaut()).save(photo, quality=90)
    page.set_input_files("#id_image", str(photo))
    expect(page.locator("[data-file-name]")).to_contain_text("astronaut.jpg")
    page.get_by_role("button", name="Screen this X-ray").click()
    expect(page.get_by_test_id("upload-error")).to_contain_text("This does not look like a chest X-ray")
    expect(page.get_by_test_id("upload-error")).to_contain_text("Nothing was stored.")
    assert page.url == f"{base}/screening/upload/"
    assert Reading.objects.count() == 0
    page.screenshot(path=test_output / "screening-refused.png", full_page=True)

    # A real X-ray, dropped on the drop zone: progress, then the reading page.
    xray = xray_paths["covid"][0]
    page.evaluate(DROP_FILE, [xray.name, base64.b64encode(xray.read_bytes()).decode()])
    expect(page.locator("[data-file-name]")).to_contain_text(xray.name)
    expect(page.get_by_test_id("upload-error")).to_have_count(0)  # choosing a file clears the refusal
    page.get_by_role("button", name="Screen this X-ray").click()
    page.wait_for_url(f"{base}/screening/readings/*/")
    reading = Reading.objects.get()
    expect(page.get_by_test_id("outcome")).to_have_attribute("data-outcome", reading.outcome)
    expect(page.get_by_test_id("probabilities").locator("li")).to_have_count(3)
    expect(page.get_by_test_id("disclaimer")).to_contain_text("A clinician and an RT-PCR test decide")
    expect(page.get_by_test_id("next-steps-link")).to_have_attribute(
        "href", f"/next-steps/{reading.outcome}/")
    page.wait_for_load_state("networkidle")
    assert image_loaded(page, "img.xray-original") and image_loaded(page, "img.xray-heatmap")
    page.screenshot(path=test_output / "screening-reading.png", full_page=True)

    # The heat map: opacity slider, then hide it.
    heatmap = page.locator("img.xray-heatmap")
    page.locator("[data-heatmap-opacity]").fill("30")
    assert heatmap.evaluate("img => getComputedStyle(img).opacity") == "0.3"
    page.get_by_label("Show heat map").uncheck()
    expect(heatmap).to_be_hidden()
    page.locator(".xray-viewer").screenshot(path=test_output / "screening-heatmap-off.png")
    page.get_by_label("Show heat map").check()
    expect(heatmap).to_be_visible()

    # The history lists it with its thumbnail.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My readings").click()
    items = page.get_by_test_id("reading-list").locator("li")
    expect(items).to_have_count(1)
    expect(page.get_by_test_id("results-caveat")).to_contain_text("AI screening estimates, not diagnoses")
    page.wait_for_load_state("networkidle")
    assert image_loaded(page, ".reading-item img")
    page.screenshot(path=test_output / "screening-history.png", full_page=True)

    # The printable report, with both images.
    items.first.locator("a").click()
    page.get_by_test_id("report-link").click()
    expect(page.get_by_role("heading", name="Chest X-ray screening report")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert image_loaded(page, ".report-images figure:nth-child(1) img")
    assert image_loaded(page, ".report-images figure:nth-child(2) img")
    page.screenshot(path=test_output / "screening-report.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".report-toolbar")).to_be_hidden()
    page.screenshot(path=test_output / "screening-report-print.png", full_page=True)
    page.emulate_media(media="screen")
    pdf = page.request.get(f"{base}/screening/readings/{reading.pk}/report.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    with Image.open(io.BytesIO(page.request.get(f"{base}/screening/readings/{reading.pk}/heatmap.png").body())) as img:
        assert img.mode == "RGBA"

    # Delete, with a confirmation step; the files go too.
    page.get_by_role("link", name="Back to the reading").click()
    page.get_by_test_id("delete-link").click()
    page.screenshot(path=test_output / "screening-delete-confirm.png", full_page=True)
    page.get_by_test_id("confirm-delete").click()
    page.wait_for_url(f"{base}/screening/readings/")
    expect(page.get_by_text("The reading and its images were deleted.")).to_be_visible()
    expect(page.get_by_text("You have not screened any X-ray yet.")).to_be_visible()
    assert Reading.objects.count() == 0
    assert not any(p.is_file() for p in Path(media_root).rglob("*"))

    # The only console errors allowed are the browser's note on the refused upload's 422.
    unexpected = [e for e in page.console_errors
                  if "status of 422" not in e and not e.startswith("HTTP 422 ")]
    assert unexpected == []


def test_upload_works_without_javascript(chromium_browser, live_server, test_output, model_dir, media_root,
                                         user, xray_paths):
    from webapp.screening.models import Reading

    context = chromium_browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        base = live_server.url
        log_in_on_redirect(page, base, "/screening/upload/", user.email, PASSWORD)

        page.set_input_files("#id_image", str(xray_paths["normal"][0]))
        page.get_by_role("button", name="Screen this X-ray").click()  # a plain form POST
        page.wait_for_url(f"{base}/screening/readings/*/")
        reading = Reading.objects.get()
        expect(page.get_by_test_id("outcome")).to_have_attribute("data-outcome", reading.outcome)
        expect(page.locator("img.xray-heatmap")).to_be_visible()  # shown at its default opacity
        expect(page.locator("[data-viewer-controls]")).to_be_hidden()  # they need JavaScript
        page.screenshot(path=test_output / "screening-reading-no-js.png", full_page=True)
    finally:
        context.close()


def test_an_upload_whose_security_token_expired_says_so(watched_page, live_server, test_output, model_dir,
                                                        media_root, user, xray_paths):
    """The CSRF cookie gone (cookies cleared, another tab signed out and in): the row says what
    happened and what to do, not "the server could not read this file"."""
    from webapp.screening.models import Reading

    page = watched_page
    log_in_on_redirect(page, live_server.url, "/screening/upload/", user.email, PASSWORD)
    page.context.clear_cookies(name="csrftoken")
    page.set_input_files("#id_image", str(xray_paths["normal"][0]))
    page.get_by_role("button", name="Screen this X-ray").click()
    error = page.get_by_test_id("upload-error")
    expect(error).to_contain_text("security check failed, so nothing was sent or saved")
    expect(error).to_contain_text("Reload the page and try again.")
    assert Reading.objects.count() == 0
    page.screenshot(path=test_output / "screening-csrf-refused.png", full_page=True)
    watched_page.console_errors.clear()  # the browser logs the 403 itself
