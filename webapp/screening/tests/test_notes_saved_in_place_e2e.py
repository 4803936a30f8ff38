"""Saving a reading's patient reference and note sent a doctor back to the top of the reading
page, scrollY 0 and the focus on <body>, while the form sat far down the page (a phone audit): on
a phone, the saved note was out of sight. The page now comes back at the notes, with "saved" said
beside them rather than at the top and focused (a screen reader says it).

Screenshot: test-output/notes-saved-*.png."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAVED = {"en": "Patient reference and note saved.", "id": "Kode pasien dan catatan telah disimpan."}


@pytest.mark.parametrize("language", ["id", "en"])
def test_saving_notes_comes_back_to_them(open_signed_in_page, test_output, doctor, model_dir, media_root,
                                         xray_paths, language):
    reading = store_reading(doctor, model_dir, xray_paths["pneumonia"][0])
    page = open_signed_in_page(doctor, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["phone"], language)
    page.locator("#id_patient_reference").fill("RM-42")
    page.locator("#id_note").fill("Follow up in two weeks.")
    page.locator(".annotation-form [type=submit]").click()
    page.wait_for_url(f"**/screening/readings/{reading.pk}/#your-notes")

    saved = page.get_by_test_id("notes-saved")
    expect(saved).to_have_text(SAVED[language])
    expect(saved).to_be_focused()
    height = page.viewport_size["height"]
    box = saved.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, (box, height)
    # Said once, beside the notes: the top of the page has no second copy and no empty box.
    expect(page.get_by_text(SAVED[language])).to_have_count(1)
    expect(page.locator(".messages-region")).to_be_hidden()
    expect(page.locator("#id_patient_reference")).to_have_value("RM-42")
    page.screenshot(path=test_output / f"notes-saved-{language}.png")
    reading.refresh_from_db()
    assert (reading.patient_reference, reading.note) == ("RM-42", "Follow up in two weeks.")
    assert page.errors == []

    page.reload()  # said once: not again on the next view
    expect(page.get_by_test_id("notes-saved")).to_have_count(0)
