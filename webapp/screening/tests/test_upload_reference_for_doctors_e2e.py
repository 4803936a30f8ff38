"""In a real browser: the upload page shows the patient reference fields to verified doctors only,
and a reference typed on a page loaded while the account was a verified doctor's, sent after it
lost that (a revoked verification), is refused in words on the page, nothing stored.

Screenshots land in test-output/upload-reference-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRIVACY = {"en": "File names are not kept either, as they often name the patient.",
           "id": "Nama berkas juga tidak disimpan, karena sering memuat nama pasien."}
REFUSAL = {"en": "Only a verified doctor's account keeps a reference",
           "id": "Hanya akun dokter terverifikasi yang dapat menyimpan kode pasien"}


@pytest.fixture
def open_upload(open_signed_in_page):
    """open_upload(user, size, language, ignored_statuses) -> the upload page, signed in (the
    conftest's open_signed_in_page) at one of VIEWPORTS."""

    def open_(user, size="desktop", language="en", ignored_statuses=frozenset()):
        return open_signed_in_page(user, "/screening/upload/", VIEWPORTS[size], language, ignored_statuses)

    return open_


@pytest.mark.parametrize(("role", "size", "language"), [
    ("patient", "desktop", "en"), ("patient", "phone", "id"), ("pending", "desktop", "id")])
def test_no_reference_fields_for_anyone_but_a_verified_doctor(open_upload, test_output, make_user, model_dir,
                                                              role, size, language):
    user = (make_user(role="patient") if role == "patient"
            else make_user(role="doctor", doctor_verified_at=None))
    page = open_upload(user, size, language)
    expect(page.locator("#id_image")).to_be_attached()
    expect(page.locator("input[name=patient_reference]")).to_have_count(0)
    expect(page.locator("input[name=reference_from_dicom]")).to_have_count(0)
    expect(page.locator(".upload-help")).to_contain_text(PRIVACY[language])
    page.screenshot(path=test_output / f"upload-reference-{role}-{size}-{language}.png", full_page=True)
    assert page.errors == []


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_verified_doctor_has_them(open_upload, test_output, make_user, model_dir, language):
    page = open_upload(make_user(role="doctor"), "desktop", language)
    expect(page.locator("#id_patient_reference")).to_be_visible()
    expect(page.locator("#id_reference_from_dicom")).to_be_visible()
    expect(page.locator(".upload-help")).not_to_contain_text(PRIVACY[language])
    page.screenshot(path=test_output / f"upload-reference-doctor-desktop-{language}.png", full_page=True)
    assert page.errors == []


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_reference_typed_before_the_verification_was_revoked_is_refused_in_words(
        open_upload, test_output, make_user, model_dir, media_root, xray_paths, language):
    doctor = make_user(role="doctor")
    page = open_upload(doctor, "desktop", language, ignored_statuses=frozenset({403}))
    page.locator("#id_patient_reference").fill("RM-0042")
    type(doctor).objects.filter(pk=doctor.pk).update(doctor_verified_at=None)  # revoked meanwhile
    page.set_input_files("#id_image", str(xray_paths["covid"][0]))
    page.locator("[data-submit]").click()
    refusal = page.locator('[data-testid=upload-error][data-code="reference_for_doctors"]')
    expect(refusal).to_be_visible(timeout=60_000)
    expect(refusal).to_contain_text(REFUSAL[language])
    page.screenshot(path=test_output / f"upload-reference-refused-{language}.png", full_page=True)
    assert not Reading.objects.exists()
    # The refusal's own 403 is expected (the browser logs it to the console too).
    assert [e for e in page.errors if "status of 403" not in e] == []
