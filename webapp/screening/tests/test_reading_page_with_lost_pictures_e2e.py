"""A reading whose heat map or X-ray file was lost from storage (disk trouble, a partial restore;
`cleanup_orphans` keeps one that lost only its heat map): its page showed a broken picture, a
"Show heat map" switch for a map that was not there, and the printable report a broken overlay
(an operator audit). The page and the report now say which picture is missing, in the reader's
language; the X-ray alone still zooms; nothing on the page asks for the lost file.

Screenshots: test-output/reading-lost-*.png."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from webapp.screening import storage
from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOST = {
    "heatmap_path": {"en": "The heat map of this reading is missing from the server's storage",
                     "id": "Peta panas pembacaan ini hilang dari penyimpanan server"},
    "original_path": {"en": "The X-ray and heat map of this reading are missing from the server's storage",
                      "id": "Foto rontgen dan peta panas pembacaan ini hilang dari penyimpanan server"},
}


@pytest.mark.parametrize("lost, language, size", [
    ("heatmap_path", "en", "desktop"), ("heatmap_path", "id", "phone"), ("original_path", "en", "phone"),
])
def test_the_page_says_which_picture_is_lost(open_signed_in_page, patient, model_dir, media_root, xray_paths,
                                             test_output, lost, language, size):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    storage.absolute_path(getattr(reading, lost)).unlink()
    page = open_signed_in_page(patient, reverse("screening:detail", args=[reading.pk]), VIEWPORTS[size], language)
    expect(page.get_by_test_id("picture-missing")).to_contain_text(LOST[lost][language])
    expect(page.locator("[data-heatmap]")).to_have_count(0)
    expect(page.locator("[data-heatmap-toggle]")).to_have_count(0)
    if lost == "heatmap_path":
        # The X-ray is there and its viewer still works without the map.
        expect(page.locator("[data-xray]")).to_be_visible()
        page.locator("[data-zoom-in]").click()
        expect(page.locator("[data-zoom-level]")).to_have_text("125%")
    else:
        expect(page.locator("[data-viewer]")).to_have_count(0)
    page.screenshot(path=str(test_output / f"reading-lost-{lost.split('_')[0]}-{language}-{size}.png"), full_page=True)
    assert page.errors == [], page.errors


@pytest.mark.parametrize("lost", ["heatmap_path", "original_path"])
def test_the_printable_report_says_which_picture_is_lost(patient, model_dir, media_root, xray_paths, lost):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    storage.absolute_path(getattr(reading, lost)).unlink()
    client = Client()
    client.force_login(patient)
    report = client.get(reverse("screening:report", args=[reading.pk])).content.decode().replace("&#x27;", "'")
    assert LOST[lost]["en"] in report
    assert reverse("screening:overlay", args=[reading.pk]) not in report


def test_the_compare_page_says_which_picture_is_lost(doctor_client, doctor, model_dir, media_root, xray_paths):
    readings = [store_reading(doctor, model_dir, path, patient_reference="RM-77")
                for path in (xray_paths["covid"][0], xray_paths["normal"][0], xray_paths["normal"][1])]
    storage.absolute_path(readings[0].heatmap_path).unlink()
    storage.absolute_path(readings[1].original_path).unlink()
    page = doctor_client.get(reverse("screening:compare") + "?patient=RM-77").content.decode().replace("&#x27;", "'")
    assert page.count('data-testid="picture-missing"') == 2
    assert reverse("screening:overlay", args=[readings[0].pk]) not in page
    assert reverse("screening:original", args=[readings[0].pk]) in page  # the X-ray alone
    assert reverse("screening:overlay", args=[readings[1].pk]) not in page
    assert "The X-ray of this reading is missing from the server's storage." in page
    assert reverse("screening:overlay", args=[readings[2].pk]) in page
