"""On a 360 x 740 phone, the caution under a labelled reading ("Normal" was right 130 of 402 times
(32%) on hospitals it did not learn from) began at y = 721 and was cut off by the screen's edge,
under a "no findings" headline: the one number that says how far to trust the label needed
a scroll (a phone audit). With the phone header in two rows it is whole in the first screen, for
every label and in both languages; this keeps it there.

Screenshots: test-output/label-caveat-first-screen-*.png."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {"width": 360, "height": 740}


def _labelled_reading(patient, model_dir, paths, label):
    """A reading the model labels `label`, from the first few X-rays of that class."""
    for path in paths[:8]:
        reading = store_reading(patient, model_dir, path)
        if reading.outcome == label:
            return reading
    pytest.skip(f"the model labelled none of the first 8 {label} X-rays {label}")


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("label", ["normal", "covid", "pneumonia"])
def test_the_labels_caution_is_whole_in_the_first_screen(open_signed_in_page, test_output, patient, model_dir,
                                                         media_root, xray_paths, label, language):
    reading = _labelled_reading(patient, model_dir, xray_paths[label], label)
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), SMALL_PHONE, language)
    caution = page.get_by_test_id("label-caveat-short")
    expect(caution).to_be_visible()
    box = caution.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"], box
    page.screenshot(path=test_output / f"label-caveat-first-screen-{label}-{language}.png")
    assert page.errors == []
