"""The interactive API docs (Swagger UI, /api/v1/docs/) in Debian's Chromium: every control is a
touch target of at least 24 x 24 px (WCAG 2.2 AA, 2.5.8), and its icon buttons and plain buttons
44 x 44 px (2.5.5). An audit measured Swagger UI's own: an operation's arrow 32 x 26 px, its
copy button 32 x 30, the padlocks 30 x 24, the response tabs 14 px high, the checkboxes 13 px.
The app's stylesheet for the page (screening/api_docs.css) enlarges them; Swagger UI is not
forked. Measured on the page, with an operation opened for "Try it out", and in the Authorize
dialog, at a desktop's and a phone's width; and no control of an opened operation runs past
the right edge of the screen. Screenshots land in test-output/api-docs-targets-*.png.
"""
from __future__ import annotations

import pytest

from webapp.tests.support.browser_helpers import signed_in_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every visible control: [what, its words, width, height, whether it must be 44 x 44 px].
CONTROLS = """() => {
  const big = '.opblock-control-arrow, .expand-operation, .authorization__btn, .copy-to-clipboard, .close-modal, .btn';
  const found = [];
  for (const e of document.querySelectorAll('.api-docs-header a, #swagger-ui :is(button, a, input, select, textarea, summary, [role=button])')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
    const words = (e.textContent || e.getAttribute('aria-label') || e.name || '').trim().slice(0, 40);
    found.push([e.tagName.toLowerCase() + '.' + String(e.className.baseVal ?? e.className).split(' ')[0],
                words, r.width, r.height, e.matches(big)]);
  }
  return found;
}"""


# Every visible control whose box runs past the right edge of the viewport or of the operation
# it belongs to: [what, its words, its right edge, that edge].
PAST_RIGHT_EDGE = """() => {
  const found = [];
  for (const e of document.querySelectorAll('.api-docs-header a, #swagger-ui :is(button, a, input, select, textarea, summary, [role=button])')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
    const operation = e.closest('.opblock');
    const edge = Math.min(document.documentElement.clientWidth,
                          operation ? operation.getBoundingClientRect().right : Infinity);
    if (r.right > edge + 0.5) {
      found.push([e.tagName.toLowerCase() + '.' + String(e.className.baseVal ?? e.className).split(' ')[0],
                  (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40), r.right, edge]);
    }
  }
  return found;
}"""


def too_small(controls) -> list:
    return [c for c in controls if c[2] < 24 or c[3] < 24 or (c[4] and (c[2] < 44 or c[3] < 44))]


# The buttons of an opened operation's header that the active tab's underline (Swagger UI's
# `h4 span::after`, 4 px drawn 11-15 px below the tab's name) crosses.
UNDER_THE_TAB_LINE = """() => {
  const header = document.querySelector('#operations-default-createReading .opblock-section-header');
  const name = header.querySelector('.tab-header .tab-item.active h4 span');
  const r = name.getBoundingClientRect(), line = getComputedStyle(name, '::after');
  const bottom = r.bottom - parseFloat(line.bottom), top = bottom - parseFloat(line.height);
  const left = r.left + r.width / 2 - parseFloat(line.width) / 2, right = left + parseFloat(line.width);
  return [...header.querySelectorAll('button')].filter(b => !b.contains(name)).filter(b => {
    const q = b.getBoundingClientRect();
    return q.left < right && q.right > left && q.top < bottom && q.bottom > top;
  }).map(b => b.innerText.trim());
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_control_of_the_api_docs_is_big_enough_to_touch(chromium_browser, live_server, make_user,
                                                              test_output, width):
    user = make_user(role="doctor")
    with signed_in_context(chromium_browser, live_server.url, user,
                           viewport={"width": width, "height": 900}, locale="en-US") as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{live_server.url}/api/v1/docs/")
        page.wait_for_selector(".opblock")
        closed = page.evaluate(CONTROLS)
        block = page.locator("#operations-default-createReading")
        block.locator(".opblock-summary-control").click()
        block.locator("button.try-out__btn").click()
        block.locator("button.execute").wait_for()
        opened = page.evaluate(CONTROLS)
        opened_past_edge = page.evaluate(PAST_RIGHT_EDGE)
        under_the_tab_line = page.evaluate(UNDER_THE_TAB_LINE)
        page_width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        block.scroll_into_view_if_needed()
        page.screenshot(path=test_output / f"api-docs-targets-{width}.png", full_page=True)
        page.click("button.authorize")
        page.locator(".modal-ux").wait_for()
        dialog = page.evaluate(CONTROLS)
        page.screenshot(path=test_output / f"api-docs-targets-dialog-{width}.png")

    # What was measured covers the small ones the audit named, and the buttons of each state.
    kinds = {c[0] for c in closed + opened + dialog}
    assert {"button.opblock-control-arrow", "button.authorization__btn", "button.tablinks",
            "button.btn", "button.close-modal", "input."} <= kinds, kinds
    assert too_small(closed) == [] and too_small(opened) == [] and too_small(dialog) == []
    # An opened operation's buttons (Execute, Cancel, the request body's Reset) stay on screen:
    # at a phone's width the row once ran Reset past the right edge.
    assert "Reset" in [c[1] for c in opened], opened
    assert opened_past_edge == [], opened_past_edge
    # Wrapped below the "Parameters" tab on a phone, Cancel sat under its underline.
    assert under_the_tab_line == [], under_the_tab_line
    # Nor does anything else: the responses' Links column pushed the page sideways to 618 px.
    assert page_width[0] <= page_width[1], page_width
