"""In the browser (upload.js's refusal box): a doctor who uploads a phone photo of an X-ray is told
to export the X-ray from the imaging system, a patient to ask the clinic that took it, in English
and Indonesian.

Screenshots land in test-output/refusal-advice-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.screening.tests.test_camera_photo_refusal import phone_photo
from webapp.screening.tests.test_refusal_advice_by_role import (
    DOCTOR_WORDS,
    IMAGING_SYSTEM,
    PATIENT_WORDS,
)
from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    VIEWPORTS,
    record_page_errors,
    signed_in_context,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The advice under the reason (screen.not_a_cxr_advice), its second sentence.
ADVICE = {("doctor", "en"): "export it again from the imaging system as DICOM or PNG",
          ("doctor", "id"): "ekspor ulang dari sistem pencitraan sebagai DICOM atau PNG",
          ("patient", "en"): "ask the clinic or hospital that took it for the image file",
          ("patient", "id"): "mintalah berkas gambarnya atau salinan digitalnya"}


@pytest.mark.parametrize(("role", "size", "language"), [
    ("doctor", "desktop", "en"), ("doctor", "phone", "id"),
    ("patient", "desktop", "en"), ("patient", "phone", "id"),
])
def test_a_phone_photo_is_refused_with_advice_for_its_uploader(
        chromium_browser, live_server, test_output, tmp_path, model_dir, media_root, xray_paths,
        doctor, patient, role, size, language):
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(phone_photo(xray_paths["normal"][0]))
    with signed_in_context(chromium_browser, live_server.url, doctor if role == "doctor" else patient,
                           viewport=VIEWPORTS[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors = record_page_errors(page, ignored_statuses=frozenset({422}))
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", str(photo))
        page.locator("[data-submit]").click()
        box = page.get_by_test_id("upload-error").first
        expect(box).to_be_visible(timeout=60_000)
        expect(box).to_have_attribute("data-code", "not_a_chest_xray")
        text = " ".join(box.inner_text().split())
        words = DOCTOR_WORDS if role == "doctor" else PATIENT_WORDS
        assert words[language] in text, text
        assert ADVICE[(role, language)] in text, text
        if role == "patient":
            assert IMAGING_SYSTEM[language] not in text
        else:
            assert ("the clinic" if language == "en" else "ke klinik") not in text
        box.scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
        page.screenshot(path=test_output / f"refusal-advice-{role}-{size}-{language}.png", full_page=True)
        # The refusal's own 422 is expected (the browser logs it to the console too).
        assert [e for e in errors if "status of 422" not in e] == []
        assert not Reading.objects.exists()
