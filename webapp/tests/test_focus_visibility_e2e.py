"""Keyboard focus and form fields can be seen: the focus ring and a field's border have at least
3:1 contrast with what surrounds them (WCAG 1.4.11), measured on computed styles in Chromium.
The amber ring had 2.0:1 on white, a focused field's ring 1.5:1 and field borders 1.8:1."""
from __future__ import annotations

import pytest

from webapp.tests.support.browser_helpers import contrast_ratio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STYLE = """(el) => {
  const style = getComputedStyle(el);
  let around = el.parentElement;
  while (around && getComputedStyle(around).backgroundColor === "rgba(0, 0, 0, 0)") around = around.parentElement;
  return {outline: style.outlineColor, outlineStyle: style.outlineStyle, border: style.borderTopColor,
          background: around ? getComputedStyle(around).backgroundColor : "rgb(255, 255, 255)"};
}"""


def test_focus_rings_and_field_borders_stand_out(page, live_server, test_output):
    page.goto(f"{live_server.url}/accounts/login/")
    email = page.locator("input[name=username]")
    unfocused = email.evaluate(STYLE)
    assert contrast_ratio(unfocused["border"], unfocused["background"]) >= 3, unfocused
    language = page.locator("#language-select").evaluate(STYLE)
    assert contrast_ratio(language["border"], language["background"]) >= 3, language

    email.focus()
    focused = email.evaluate(STYLE)
    assert focused["outlineStyle"] == "solid"
    assert contrast_ratio(focused["outline"], focused["background"]) >= 3, focused

    # A link reached with the keyboard (:focus-visible) on the start page (the login page puts
    # the focus in its first field): the skip link first, then the brand.
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    link = page.evaluate_handle("document.activeElement")
    assert link.evaluate("(el) => el.classList.contains('brand')")
    ring = link.evaluate(STYLE)
    assert ring["outlineStyle"] == "solid"
    assert contrast_ratio(ring["outline"], ring["background"]) >= 3, ring
    page.screenshot(path=test_output / "focus-ring-start-page.png", clip={"x": 0, "y": 0, "width": 1280, "height": 400})
