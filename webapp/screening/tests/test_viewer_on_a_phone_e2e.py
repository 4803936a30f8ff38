"""The X-ray viewer on a phone (a phone audit at 360 px, English and Indonesian): a two-finger
pinch did nothing (neither the X-ray nor the page zoomed), and its sliders and heat-map switch
were 16-25 px tall and started at different x positions. Here a pinch, sent as real touch input
through the DevTools protocol, zooms the X-ray; a swipe on the unzoomed X-ray still scrolls the
page; the sliders, the switch and the zoom and pan buttons are 44 px finger targets and the
three sliders line up.

Screenshots: test-output/viewer-phone-*.png and viewer-desktop-en.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS, touch_gesture, viewer_transform
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOUCH = {"has_touch": True, "is_mobile": True}
TARGET = 44  # px, a finger's target (WCAG 2.5.5, Apple's and Android's guidelines)


def pinch(page, cx: float, cy: float, start: float, end: float, steps: int = 10) -> None:
    """Two fingers on (cx, cy), `start` px apart side by side, moving to `end` px apart."""
    touch_gesture(page, [(cx - start / 2, cy), (cx + start / 2, cy)], [(cx - end / 2, cy), (cx + end / 2, cy)], steps)


def swipe_up(page, x: float, y: float, distance: float, steps: int = 10) -> None:
    """One finger at (x, y) moving `distance` px up, as to scroll the page down."""
    touch_gesture(page, [(x, y)], [(x, y - distance)], steps)


def scrolled_to_rest(page) -> float:
    """window.scrollY once a swipe's fling has stopped (unchanged for 200 ms): fingers put down
    while the page still glides would land beside the X-ray."""
    last = page.evaluate("window.scrollY")
    for _ in range(50):
        page.wait_for_timeout(200)
        now = page.evaluate("window.scrollY")
        if now == last:
            return now
        last = now
    return last


def centre_of(frame) -> tuple[float, float]:
    """The X-ray frame's middle on the screen, scrolled there first: fingers off the screen or
    beside the frame would zoom the page instead."""
    frame.evaluate("el => el.scrollIntoView({block: 'center'})")
    scrolled_to_rest(frame.page)
    box = frame.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def zoom_percent(page) -> int:
    return int(page.locator("[data-zoom-level]").inner_text().strip().rstrip("%").strip())


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_pinch_zooms_the_xray_and_a_swipe_scrolls_the_page(open_signed_in_page, patient, model_dir, media_root,
                                                            xray_paths, test_output, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, f"/screening/readings/{reading.pk}/", VIEWPORTS["phone"], language, **TOUCH)
    page.wait_for_load_state("networkidle")
    frame = page.locator("[data-viewer-frame]")
    cx, cy = centre_of(frame)

    # Unzoomed, a finger swiping up over the X-ray scrolls the page (most of a phone's screen
    # width is the X-ray: the page must not stick there).
    before = page.evaluate("window.scrollY")
    swipe_up(page, cx, cy, 200)
    assert scrolled_to_rest(page) > before + 50
    assert viewer_transform(page) == (1.0, 0.0, 0.0)

    cx, cy = centre_of(frame)
    pinch(page, cx, cy, 60, 240)
    scale, x, y = viewer_transform(page)
    assert scale > 2, scale  # fingers 4x farther apart
    assert zoom_percent(page) == round(scale * 100)
    assert x < 0 and y < 0  # about the fingers' midpoint, not the top left corner
    assert page.evaluate("visualViewport.scale") == 1  # the X-ray zoomed, not the page
    for button in page.locator("[data-pan]").all():
        expect(button).to_be_enabled()  # in step, as after the + button

    # Zoomed, one finger moves the picture.
    touch_gesture(page, [(cx, cy)], [(cx + 40, cy + 30)], steps=5)
    _scale, x2, y2 = viewer_transform(page)
    assert x2 > x and y2 > y

    # Pinching in far enough ends at 100%, the viewer's least zoom, and the pan buttons go off.
    pinch(page, cx, cy, 260, 20)
    assert viewer_transform(page) == (1.0, 0.0, 0.0)
    expect(page.locator("[data-zoom-level]")).to_have_text("100%")
    for button in page.locator("[data-pan]").all():
        expect(button).to_be_disabled()
    before = page.evaluate("window.scrollY")
    swipe_up(page, cx, cy, 100)  # and a swipe scrolls the page again
    assert scrolled_to_rest(page) > before + 25
    cx, cy = centre_of(frame)
    # Far out the other way, no more than the buttons' 800%.
    pinch(page, cx, cy, 20, 320, steps=20)
    assert viewer_transform(page)[0] <= 8
    assert page.evaluate("visualViewport.scale") == 1
    page.locator("[data-view-reset]").click()
    assert viewer_transform(page) == (1.0, 0.0, 0.0)
    # A double tap still zooms to 200%.
    page.touchscreen.tap(cx, cy)
    page.touchscreen.tap(cx, cy)
    expect(page.locator("[data-zoom-level]")).to_have_text("200%")
    assert page.errors == [], page.errors


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_viewer_controls_are_finger_sized_and_aligned_on_a_phone(open_signed_in_page, patient, model_dir,
                                                                     media_root, xray_paths, test_output,
                                                                     language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, f"/screening/readings/{reading.pk}/", VIEWPORTS["phone"], language, **TOUCH)
    page.wait_for_load_state("networkidle")
    sliders = [page.locator(selector) for selector in ("[data-heatmap-opacity]", "[data-level]", "[data-window]")]
    boxes = [slider.bounding_box() for slider in sliders]
    for slider_box in boxes:
        assert slider_box["height"] >= TARGET, boxes
        assert slider_box["x"] >= 0 and slider_box["x"] + slider_box["width"] <= VIEWPORTS["phone"]["width"]
    assert len({round(b["x"]) for b in boxes}) == 1, boxes  # one left edge
    assert len({round(b["width"]) for b in boxes}) == 1, boxes  # one width
    assert boxes[0]["width"] > VIEWPORTS["phone"]["width"] / 2, boxes  # the width of the viewer, not 9rem
    toggle = page.locator("label.toggle").bounding_box()
    assert toggle["height"] >= TARGET, toggle
    for button in page.locator("[data-zoom-out], [data-zoom-in], [data-view-reset], [data-pan]").all():
        button_box = button.bounding_box()
        assert button_box["width"] >= TARGET and button_box["height"] >= TARGET, button_box
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.locator(".xray-viewer").screenshot(path=test_output / f"viewer-phone-{language}.png")
    page.screenshot(path=test_output / f"viewer-phone-full-{language}.png", full_page=True)
    assert page.errors == [], page.errors


def test_the_viewer_controls_stay_tidy_on_a_desktop(open_signed_in_page, patient, model_dir, media_root,
                                                    xray_paths, test_output):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, f"/screening/readings/{reading.pk}/", VIEWPORTS["desktop"])
    page.wait_for_load_state("networkidle")
    viewer = page.locator(".xray-viewer").bounding_box()
    boxes = [page.locator(s).bounding_box() for s in ("[data-heatmap-opacity]", "[data-level]", "[data-window]")]
    for slider_box in boxes:
        assert viewer["x"] <= slider_box["x"] and slider_box["x"] + slider_box["width"] <= viewer["x"] + viewer["width"]
    # The mouse still drags a zoomed X-ray (Ctrl and the wheel zoom it:
    # test_viewer_lets_the_page_scroll_e2e.py).
    page.locator("[data-zoom-in]").click()
    _scale, x, y = viewer_transform(page)
    frame = page.locator("[data-viewer-frame]").bounding_box()
    page.mouse.move(frame["x"] + 100, frame["y"] + 100)
    page.mouse.down()
    page.mouse.move(frame["x"] + 150, frame["y"] + 130, steps=5)
    page.mouse.up()
    _scale, x2, y2 = viewer_transform(page)
    assert x2 > x and y2 > y
    page.locator(".xray-viewer").screenshot(path=test_output / "viewer-desktop-en.png")
    assert page.errors == [], page.errors
