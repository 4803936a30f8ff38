"""A form that came back with an error in a field opened at the page's top, the focus on <body>:
on a phone, the account deletion's "The password is not correct." sat at y = 776 of 740, and
the user saw the same page again with no visible reason (a phone audit). The first field in error
now takes the focus, in view, with its error read out.

Screenshot: test-output/form-error-in-view-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WRONG = {"en": "The password is not correct.", "id": "Kata sandi tidak benar."}


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_wrong_password_on_account_deletion_is_in_view_and_focused(open_signed_in_page, test_output,
                                                                    patient, language):
    page = open_signed_in_page(patient, "/accounts/profile/delete/", VIEWPORTS["phone"], language)
    page.locator("#id_password").fill("not the password")
    page.get_by_test_id("confirm-delete-account").click()
    page.wait_for_load_state()

    error = page.get_by_text(WRONG[language])
    expect(error).to_be_visible()
    expect(page.locator("#id_password")).to_be_focused()
    height = page.viewport_size["height"]
    for element in (error, page.locator("#id_password")):
        box = element.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= height, (box, height)
    page.screenshot(path=test_output / f"form-error-in-view-{language}.png")
    patient.refresh_from_db()
    assert patient.is_active  # nothing was deleted


def test_a_page_without_errors_keeps_its_focus_where_it_was(open_signed_in_page, patient):
    page = open_signed_in_page(patient, "/accounts/profile/delete/", VIEWPORTS["phone"], "en")
    assert page.evaluate("document.activeElement === document.body")
