"""The account menu's spoken name ended in the drawn arrow: "Account menu for Pat ▾" (a
screen-reader audit), the CSS triangle read out as "down-pointing small triangle" by some
screen readers. The arrow is drawn with empty alternative text."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_account_menu_is_named_without_its_arrow(open_signed_in_page, patient):
    page = open_signed_in_page(patient, reverse("screening:history"), VIEWPORTS["desktop"])
    summary = page.locator("details.account-menu summary")
    tree = summary.aria_snapshot()
    assert "Account menu for" in tree and "▾" not in tree, tree
    # Still drawn for the eye.
    assert "▾" in page.evaluate("e => getComputedStyle(e, '::after').content", summary.element_handle())
