"""The X-ray viewer took every wheel turn over the X-ray for zooming, and once zoomed every
finger on it for moving the picture: on a desktop the page would not scroll while the pointer
was over the X-ray (most of the reading's column), and on a phone a zoomed X-ray (most of the
screen's width) held the page still. Now a plain wheel scrolls the page, zoomed or not, and Ctrl
with the wheel (a trackpad's pinch sends it too) zooms the X-ray, as does the wheel while the
picture is being dragged; one finger still moves a zoomed picture, and once the picture's edge
is reached the rest of the swipe scrolls the page.

In a real Chromium; screenshots in test-output/viewer-scrolls-*.png for a person to look at."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS, touch_gesture, viewer_transform
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _settled_scroll(page) -> float:
    """window.scrollY once it has stopped changing (a smooth scroll or a fling has ended)."""
    last = page.evaluate("window.scrollY")
    for _ in range(50):
        page.wait_for_timeout(150)
        now = page.evaluate("window.scrollY")
        if now == last:
            return now
        last = now
    return last


def test_the_wheel_over_a_zoomed_xray_scrolls_the_page_and_ctrl_wheel_zooms(
        open_signed_in_page, patient, model_dir, media_root, xray_paths, test_output):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["desktop"])
    page.wait_for_load_state("networkidle")
    page.locator("[data-zoom-in]").click()
    page.locator("[data-zoom-in]").click()
    zoomed = viewer_transform(page)
    assert zoomed[0] > 1.5
    frame = page.locator("[data-viewer-frame]").bounding_box()
    page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 3)
    before = page.evaluate("window.scrollY")
    page.mouse.wheel(0, 300)
    assert _settled_scroll(page) > before + 100, "the page scrolled under the pointer"
    assert viewer_transform(page) == zoomed, "and the X-ray was left as it was"
    page.screenshot(path=test_output / "viewer-scrolls-desktop.png")

    # Ctrl with the wheel zooms the X-ray (and not the page).
    frame = page.locator("[data-viewer-frame]").bounding_box()
    page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    scrolled = page.evaluate("window.scrollY")
    page.keyboard.down("Control")
    page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    page.wait_for_function(f"() => document.querySelector('[data-zoom-level]').textContent !== "
                           f"'{round(zoomed[0] * 100)}%'")
    assert viewer_transform(page)[0] > zoomed[0]
    assert _settled_scroll(page) == scrolled
    assert page.evaluate("visualViewport.scale") == 1

    # While the picture is being dragged the wheel zooms it too: the hand is on the X-ray.
    scale = viewer_transform(page)[0]
    page.mouse.down()
    page.mouse.move(frame["x"] + frame["width"] / 2 + 20, frame["y"] + frame["height"] / 2 + 10, steps=3)
    page.mouse.wheel(0, 100)
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('[data-zoom-level]').textContent !== "
                           f"'{round(scale * 100)}%'")
    assert viewer_transform(page)[0] < scale
    assert _settled_scroll(page) == scrolled
    assert page.errors == [], page.errors


def test_a_swipe_over_a_zoomed_xray_moves_it_then_scrolls_the_page(open_signed_in_page, patient, model_dir,
                                                                    media_root, xray_paths, test_output):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["phone"],
                               has_touch=True, is_mobile=True)
    page.wait_for_load_state("networkidle")
    frame = page.locator("[data-viewer-frame]")
    frame.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.locator("[data-zoom-in]").tap()
    expect(page.locator("[data-zoom-level]")).to_have_text("125%")
    frame.evaluate("el => el.scrollIntoView({block: 'center'})")
    _settled_scroll(page)
    box = frame.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _scale, _x, y = viewer_transform(page)
    lowest = box["height"] - box["height"] * 1.25  # the picture's bottom edge at the frame's
    before = page.evaluate("window.scrollY")
    touch_gesture(page, [(cx, cy)], [(cx, cy - 250)], steps=25)
    _scale, _x, moved = viewer_transform(page)
    assert moved < y and abs(moved - lowest) < 1, "the finger first moved the picture to its edge"
    scrolled = _settled_scroll(page)
    assert scrolled > before + 100, "then the rest of the swipe scrolled the page"
    page.screenshot(path=test_output / "viewer-scrolls-phone.png")
    # Swiping back down moves the picture back first, from its edge.
    box = frame.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    touch_gesture(page, [(cx, cy)], [(cx, cy + 30)], steps=5)
    assert viewer_transform(page)[2] > moved
    assert page.errors == [], page.errors
