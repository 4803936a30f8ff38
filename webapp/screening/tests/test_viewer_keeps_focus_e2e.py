"""A pan button of the X-ray viewer had the focus and the zoom went back to 100% by the mouse
wheel or a pinch: the button was disabled under the focus, which fell to <body>, and the next
Tab started over from the page's top (a screen-reader audit). The focus now goes to the viewer
itself, which the wheel or the pinch acted on."""
from __future__ import annotations

import pytest
from django.urls import reverse

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
    for _ in range(6):
        page.mouse.wheel(0, 400)  # zoom out, down to 100%
    page.wait_for_function("() => document.querySelector('[data-pan=left]').disabled")
    assert page.evaluate("document.activeElement.hasAttribute('data-viewer-frame')")
    assert page.errors == []
