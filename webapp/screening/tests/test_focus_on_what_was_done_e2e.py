"""After "Yes, delete it" the history page came back with "The reading and its images were
deleted." at its top and the focus on <body> (a phone audit): a screen reader said the page's
title and nothing of what had happened, and the next Tab started over from the header. A page
that opens with a message the server left after an action (a reading deleted, a profile saved, a
key revoked) now puts the focus on that message, unless the page has a field to focus.

Screenshot: test-output/focus-on-what-was-done-*.png."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DELETED = "The reading and its images were deleted."


@pytest.mark.parametrize("size, language", [("phone", "en"), ("desktop", "id")])
def test_after_deleting_a_reading_the_focus_is_on_the_message_saying_so(open_signed_in_page, test_output, patient,
                                                                        model_dir, media_root, xray_paths, size,
                                                                        language):
    kept = store_reading(patient, model_dir, xray_paths["normal"][0])
    gone = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:delete", args=[gone.pk]), VIEWPORTS[size], language)
    page.get_by_test_id("confirm-delete").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith(reverse("screening:history"))
    focused = page.evaluate("""() => { const e = document.activeElement;
        return {inMessages: !!e.closest('.messages-region'), text: e.textContent.trim()}; }""")
    assert focused["inMessages"], focused
    message = page.locator(".messages-region").inner_text().strip()
    assert focused["text"] == message and message
    if language == "en":
        assert message == DELETED
    # The next Tab goes on from the message into the page, not back to the header's first link.
    page.keyboard.press("Tab")
    after = page.evaluate("() => !!document.activeElement.closest('header')")
    assert not after
    assert page.locator(f"[href='{reverse('screening:detail', args=[kept.pk])}']").count() >= 1
    page.screenshot(path=test_output / f"focus-on-what-was-done-{size}-{language}.png")
    assert page.errors == []


def test_a_field_with_an_error_keeps_the_focus_over_a_message(open_signed_in_page, patient):
    """A form that comes back invalid still puts the focus on the field with the error (site.js
    checks it before the message)."""
    page = open_signed_in_page(patient, reverse("profile"), VIEWPORTS["desktop"], "en")
    page.locator("input[name=email]").fill("not an address")
    with page.expect_navigation():
        page.locator(f"form[action='{reverse('profile')}'] button[type=submit]").click()
    focused = page.evaluate("() => [document.activeElement.name, document.activeElement.getAttribute('aria-invalid')]")
    assert focused[1] == "true", focused
