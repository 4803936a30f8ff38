"""Findings of the WCAG 2.2 AA audit (commit 5bd44c2) that need a browser, against a live server
with the real model, at 360 px and desktop widths, in English and Indonesian:

- the upload keeps the keyboard focus somewhere meaningful: it fell to <body> when the busy
  button was disabled, and stayed there after the upload;
- a file the page refuses marks the file field invalid, described by the message;
- a zoomed X-ray moves with buttons, not only by dragging (WCAG 2.5.7);
- the PDF link says the printable report is the accessible version.

Screenshots land in test-output/a11y-*.png for a person to look at.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import language_cookie, viewer_transform
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
REFUSALS = frozenset({415, 422})  # the page's own answers to a file it refuses
PAN = {
    "en": {"left": "Move left", "up": "Move up", "right": "Move right", "down": "Move down"},
    "id": {"left": "Geser ke kiri", "up": "Geser ke atas", "right": "Geser ke kanan", "down": "Geser ke bawah"},
}


@pytest.fixture
def open_page(open_signed_in_page, live_server):
    """open_page(user, path, size, language) -> a signed-in page (the conftest's
    open_signed_in_page) at one of SIZES, the site's language cookie set too, the REFUSALS'
    statuses not counted as errors."""

    def open_(user, path, size="desktop", language="en"):
        return open_signed_in_page(user, path, SIZES[size], language, REFUSALS,
                                   extra_cookies=(language_cookie(live_server.url, language),))

    return open_


def focused(page) -> str:
    """What has the keyboard focus: "body", or the element's tag, id and test id."""
    return page.evaluate("""() => { const e = document.activeElement;
        if (!e || e === document.body) return "body";
        return [e.tagName.toLowerCase(), e.id, e.dataset.testid || "", e.closest('#upload-result') ? "in-result" : ""]
               .join(" "); }""")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


# --- the upload's focus -----------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_the_focus_stays_on_the_button_then_goes_to_the_summary(open_page, test_output, model_dir, media_root,
                                                                patient, xray_paths, size, language):
    page = open_page(patient, "/screening/upload/", size, language)
    files = [xray_paths["covid"][0], xray_paths["normal"][0], xray_paths["pneumonia"][0]]
    page.set_input_files("#id_image", [str(f) for f in files])
    button = page.locator("[data-submit]")
    expect(button).to_contain_text("3")
    button.focus()
    page.keyboard.press("Enter")
    # Busy: the button says so but keeps the focus (it was disabled, and the focus fell to <body>).
    assert focused(page).startswith("button"), focused(page)
    expect(button).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Enter")  # a second press sends nothing twice
    summary = page.get_by_test_id("upload-summary")
    expect(summary).to_be_visible(timeout=60_000)
    expect(summary).to_be_focused()
    # Said once, by the focus: no live region around the rows or the result (a screen-reader
    # audit heard each row's "Waiting", "Uploading", "Reading" and its result, then the summary
    # as a live region and again as it took the focus).
    assert page.evaluate("""() => document.querySelectorAll(
        '#upload-result[aria-live], #upload-result [role=status], #upload-result [role=alert],'
        + ' [data-queue] [role=status], [data-queue] [aria-live]').length""") == 0
    assert button.get_attribute("aria-disabled") is None
    assert Reading.objects.count() == 3
    page.screenshot(path=test_output / f"a11y-upload-summary-focused-{size}-{language}.png", full_page=True)
    assert page.errors == []


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_focus_goes_to_the_refusal_of_an_unreadable_file(open_page, test_output, model_dir, media_root,
                                                             patient, tmp_path, language):
    page = open_page(patient, "/screening/upload/", "phone", language)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all\n" * 200)  # passes the page's check, the server refuses it
    page.set_input_files("#id_image", str(broken))
    page.locator("[data-submit]").focus()
    page.keyboard.press("Enter")
    refusal = page.locator("#upload-result [data-testid=upload-error]").first
    expect(refusal).to_be_visible(timeout=30_000)
    page.wait_for_function("() => document.activeElement !== document.body")
    # The focus is on its first words (a heading or a paragraph a screen reader says), not on an
    # unnamed box; and it is said by the focus alone, not also as an alert in a live region.
    assert focused(page).endswith("in-result") and focused(page).split()[0] in ("h2", "p"), focused(page)
    assert page.evaluate("document.activeElement.textContent.trim()") != ""
    assert page.evaluate("""() => document.querySelectorAll(
        '#upload-result[aria-live], #upload-result [role=alert]').length""") == 0
    assert Reading.objects.count() == 0
    page.screenshot(path=test_output / f"a11y-upload-refusal-focused-{language}.png", full_page=True)


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_file_the_page_refuses_marks_the_field_invalid(open_page, test_output, model_dir, media_root, patient,
                                                         xray_paths, tmp_path, language):
    page = open_page(patient, "/screening/upload/", "desktop", language)
    field = page.locator("#id_image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    page.set_input_files("#id_image", str(empty))
    error = page.get_by_test_id("upload-error")
    expect(error).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby").split()
    assert page.locator(f"#{described_by[-1]}").inner_text() == error.inner_text()
    expect(field).to_have_accessible_description(error.inner_text())
    page.screenshot(path=test_output / f"a11y-upload-empty-file-{language}.png", full_page=True)
    page.set_input_files("#id_image", str(xray_paths["normal"][0]))  # a good file clears it
    expect(error).to_have_count(0)
    assert field.get_attribute("aria-invalid") == "false" and field.get_attribute("aria-describedby") is None
    page.locator("[data-submit]").click()
    page.wait_for_url(re.compile(r"/screening/readings/\d+/$"), timeout=30_000)


# --- the X-ray viewer's pan buttons -----------------------------------------------------------------

@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_a_zoomed_xray_moves_with_buttons(open_page, test_output, model_dir, media_root, patient, xray_paths,
                                          size, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_page(patient, f"/screening/readings/{reading.pk}/", size, language)
    page.wait_for_load_state("networkidle")
    buttons = {d: page.get_by_role("button", name=name, exact=True) for d, name in PAN[language].items()}
    for button in buttons.values():
        expect(button).to_be_visible()
        expect(button).to_be_disabled()  # nothing to move at 100%
    page.locator("[data-zoom-in]").click()
    page.locator("[data-zoom-in]").click()
    for button in buttons.values():
        expect(button).to_be_enabled()
    _scale, x, y = viewer_transform(page)
    buttons["left"].click()
    _scale, x2, y2 = viewer_transform(page)
    assert x2 > x and y2 == y  # shows more of the left
    buttons["up"].click()
    _scale, x3, y3 = viewer_transform(page)
    assert y3 > y2 and x3 == x2
    buttons["right"].click()
    buttons["down"].click()
    _scale, x4, y4 = viewer_transform(page)
    assert abs(x4 - x) < 0.5 and abs(y4 - y) < 0.5  # and back
    buttons["right"].focus()
    page.keyboard.press("Enter")  # by keyboard too
    assert viewer_transform(page)[1] < x4
    for button in buttons.values():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
        assert box["width"] >= 24 and box["height"] >= 24  # WCAG 2.5.8 target size
    assert no_sideways_scroll(page)
    page.locator(".xray-viewer").screenshot(path=test_output / f"a11y-viewer-pan-{size}-{language}.png")
    page.locator("[data-view-reset]").click()
    for button in buttons.values():
        expect(button).to_be_disabled()
    note = page.get_by_test_id("pdf-note")
    expect(note).to_be_visible()
    expect(page.get_by_test_id("pdf-link")).to_have_accessible_description(note.inner_text())
    page.get_by_test_id("pdf-link").scroll_into_view_if_needed()
    page.screenshot(path=test_output / f"a11y-reading-{size}-{language}.png", full_page=True)
    assert page.errors == []


def test_the_summary_of_a_mixed_upload_names_what_was_not_read(open_page, model_dir, media_root, patient,
                                                              xray_paths, tmp_path):
    """"1 of 2 files were read" did not say which was not (a screen-reader audit): the rows say
    it, but only to someone who goes looking."""
    page = open_page(patient, "/screening/upload/", "desktop", "en")
    broken = tmp_path / "notes.png"
    broken.write_bytes(b"not an image at all\n" * 200)
    page.set_input_files("#id_image", [str(xray_paths["normal"][0]), str(broken)])
    page.locator("[data-submit]").click()
    summary = page.get_by_test_id("upload-summary")
    expect(summary).to_be_visible(timeout=60_000)
    expect(summary).to_contain_text("1 of 2 files were read. Not read: notes.png.")
