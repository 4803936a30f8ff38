"""The X-ray viewer is one image to a screen reader, named with what it shows and how to use it
(reading.js). Chromium still exposed the X-ray and the heat map inside it as images of their own,
so browse mode read both descriptions twice (a screen-reader audit). Its pictures are now hidden
from the accessibility tree where the frame speaks for them; without the script they stay
plain images with their own text alternatives."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def images(tree: str) -> int:
    """How many images an aria snapshot holds (a name with a colon in it is quoted whole)."""
    return len(re.findall(r"^\s*- '?img\b", tree, re.M))


def test_the_viewer_is_one_image_with_both_descriptions(open_signed_in_page, patient, model_dir, media_root,
                                                        xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["desktop"])
    frame = page.locator("[data-viewer-frame]")
    tree = frame.aria_snapshot()
    xray_alt = page.locator("[data-xray]").get_attribute("alt")
    heat_alt = page.locator("[data-heatmap]").get_attribute("alt")
    assert images(tree) == 1, tree
    assert tree.count(xray_alt) == 1 and tree.count(heat_alt) == 1, tree


def test_without_the_script_the_pictures_keep_their_own_names(chromium_browser, live_server, patient, model_dir,
                                                              media_root, xray_paths):
    from webapp.tests.support.browser_helpers import signed_in_context

    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    with signed_in_context(chromium_browser, live_server.url, patient, java_script_enabled=False,
                           viewport=VIEWPORTS["desktop"]) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}{reverse('screening:detail', args=[reading.pk])}")
        tree = page.locator("[data-viewer-frame]").aria_snapshot()
        assert images(tree) == 2, tree
