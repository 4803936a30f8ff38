"""A pan button of the X-ray viewer had the focus and the zoom went back to 100% by the mouse
wheel or a pinch: the button was disabled under the focus, which fell to <body>, and the next
Tab started over from the page's top (a screen-reader audit). The focus now goes to the viewer
itself, which the wheel or the pinch acted on."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_focused_pan_button_hands_the_focus_to_the_viewer_at_100_percent(open_signed_in_page, patient, model_dir,
                                                                           media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["desktop"])
    page.locator("[data-zoom-in]").click()
    left = page.locator("[data-pan=left]")
    left.focus()
    assert page.evaluate("document.activeElement.dataset.pan") == "left"
    frame = page.locator("[data-viewer-frame]").bounding_box()
    page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.keyboard.down("Control")  # Ctrl and the wheel zoom; the wheel alone scrolls the page
    for _ in range(6):
        page.mouse.wheel(0, 400)  # zoom out, down to 100%
    page.keyboard.up("Control")
    page.wait_for_function("() => document.querySelector('[data-pan=left]').disabled")
    assert page.evaluate("document.activeElement.hasAttribute('data-viewer-frame')")
    assert page.errors == []


def test_reset_view_puts_every_setting_back_and_says_so(open_signed_in_page, patient, model_dir, media_root,
                                                        xray_paths):
    """"Reset view" put back the zoom and, silently, brightness and contrast, but not the heat map's
    opacity or its switch; at 100% already, a screen reader heard nothing at all (a screen-reader
    audit). Every setting goes back to how the viewer opened, and a status says so."""
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["desktop"])
    page.locator("[data-heatmap-opacity]").fill("20")
    page.locator("[data-heatmap-toggle]").uncheck()
    page.locator("[data-level]").fill("30")
    page.locator("[data-view-reset]").click()
    assert page.locator("[data-heatmap-opacity]").input_value() == "60"
    assert page.locator("[data-heatmap-toggle]").is_checked()
    assert page.locator("[data-level]").input_value() == "0"
    said = page.locator("[data-view-said]")
    assert said.get_attribute("role") == "status"
    expect(said).to_have_text("View reset.")
    assert page.errors == []
