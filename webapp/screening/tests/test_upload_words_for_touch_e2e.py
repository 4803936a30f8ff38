"""The upload box said "Drop X-rays here, or choose files" on phones too, where nothing can be
dropped (a phone audit). A touch-only screen is now told to choose the X-rays; a screen with a
mouse keeps the drop wording.

Screenshot: test-output/upload-words-touch-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORDS = {"en": ("Drop X-rays here, or choose files", "Choose X-rays to upload"),
         "id": ("Letakkan foto rontgen di sini, atau pilih berkas", "Pilih foto rontgen untuk diunggah")}


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_phone_is_told_to_choose_and_a_mouse_to_drop(open_signed_in_page, test_output, patient, language):
    drop, choose = WORDS[language]
    phone = open_signed_in_page(patient, "/screening/upload/", VIEWPORTS["phone"], language,
                                has_touch=True, is_mobile=True)
    title = phone.locator(".dropzone-title")
    expect(title).to_have_text(choose, use_inner_text=True)
    phone.screenshot(path=test_output / f"upload-words-touch-{language}.png")

    desktop = open_signed_in_page(patient, "/screening/upload/", VIEWPORTS["desktop"], language)
    expect(desktop.locator(".dropzone-title")).to_have_text(drop, use_inner_text=True)
    assert phone.errors == [] and desktop.errors == []
