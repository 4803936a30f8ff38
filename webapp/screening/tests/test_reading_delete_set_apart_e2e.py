"""On the reading page the red Delete sat between the report buttons and "Screen another X-ray",
10 px from each (a phone audit): the button used least, and the one that loses the reading, was
where a thumb reaches for the others. It is now the last action, at the far end of its row.

Screenshots: test-output/reading-delete-set-apart-*.png."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size, language", [("phone", "id"), ("phone", "en"), ("desktop", "en")])
def test_delete_is_the_last_action_at_the_end_of_its_row(open_signed_in_page, test_output, patient, model_dir,
                                                         media_root, xray_paths, size, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS[size], language)
    actions = page.locator(".reading-actions > a")
    assert actions.last.get_attribute("data-testid") == "delete-link"
    row = page.locator(".reading-actions").bounding_box()
    delete = page.get_by_test_id("delete-link").bounding_box()
    assert abs((delete["x"] + delete["width"]) - (row["x"] + row["width"])) <= 1, (delete, row)
    for other in ("report-link", "pdf-link", "next-xray-link"):  # nothing within a thumb's slip beside it
        box = page.get_by_test_id(other).bounding_box()
        same_row = abs(box["y"] - delete["y"]) < 1
        assert not same_row or delete["x"] - (box["x"] + box["width"]) >= 24, (other, box, delete)
    page.get_by_test_id("delete-link").scroll_into_view_if_needed()
    page.screenshot(path=test_output / f"reading-delete-set-apart-{size}-{language}.png")
    assert page.errors == []
