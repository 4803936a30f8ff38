"""After a multi-file upload the upload page stays, with the patient reference (and the "Use the
DICOM file's Patient ID" box) still filled in: files chosen next were filed, unseen, under the
previous patient. Files chosen after an upload now start without them, and a note says so.

Screenshots land in test-output/upload-next-patient-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import VIEWPORTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTES = {"en": "The previous patient’s reference was cleared: give this patient’s, if you need one.",
         "id": "Kode pasien sebelumnya sudah dikosongkan: isi kode pasien ini bila perlu."}


@pytest.fixture
def open_upload(open_signed_in_page):
    """open_upload(user, size, language) -> the upload page, signed in (the conftest's
    open_signed_in_page) at one of VIEWPORTS."""

    def open_(user, size="desktop", language="en"):
        return open_signed_in_page(user, "/screening/upload/", VIEWPORTS[size], language)

    return open_


def upload_two(page, xray_paths, reference):
    page.set_input_files("#id_image", [str(xray_paths["covid"][0]), str(xray_paths["normal"][0])])
    page.locator("#id_patient_reference").fill(reference)
    page.locator("#id_reference_from_dicom").check()
    page.locator("[data-submit]").click()
    expect(page.get_by_test_id("upload-summary")).to_be_visible(timeout=60_000)
    assert set(Reading.objects.values_list("patient_reference", flat=True)) == {reference}


@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_files_chosen_after_an_upload_start_without_the_last_patients_reference(
        open_upload, test_output, model_dir, media_root, doctor, xray_paths, size, language):
    page = open_upload(doctor, size, language)
    note = page.get_by_test_id("reference-cleared")
    expect(note).to_have_attribute("role", "status")  # a live region, empty until needed
    expect(note).to_have_text("")
    upload_two(page, xray_paths, "RM-1")

    # The next patient's X-ray: the reference and the box are cleared, and the page says so.
    page.set_input_files("#id_image", str(xray_paths["pneumonia"][0]))
    expect(page.locator("#id_patient_reference")).to_have_value("")
    expect(page.locator("#id_reference_from_dicom")).not_to_be_checked()
    expect(note).to_have_text(NOTES[language])
    page.screenshot(path=test_output / f"upload-next-patient-{size}-{language}.png", full_page=True)
    page.locator("[data-submit]").click()
    page.wait_for_url("**/screening/readings/*/")
    newest = Reading.objects.order_by("-id").first()
    assert newest.patient_reference == ""  # not filed under RM-1
    assert Reading.objects.filter(patient_reference="RM-1").count() == 2
    assert page.errors == []


def test_a_reference_typed_after_the_upload_is_kept(open_upload, model_dir, media_root, doctor,
                                                    xray_paths):
    page = open_upload(doctor)
    upload_two(page, xray_paths, "RM-1")
    page.locator("#id_patient_reference").fill("RM-2")  # the next patient's, typed first
    page.set_input_files("#id_image", str(xray_paths["pneumonia"][0]))
    expect(page.locator("#id_patient_reference")).to_have_value("RM-2")
    expect(page.get_by_test_id("reference-cleared")).to_have_text("")
    page.locator("[data-submit]").click()
    page.wait_for_url("**/screening/readings/*/")
    assert Reading.objects.order_by("-id").first().patient_reference == "RM-2"


def test_choosing_other_files_before_sending_keeps_the_reference(open_upload, model_dir, media_root,
                                                                 doctor, xray_paths):
    page = open_upload(doctor)
    page.locator("#id_patient_reference").fill("RM-3")
    page.set_input_files("#id_image", str(xray_paths["covid"][0]))
    page.set_input_files("#id_image", str(xray_paths["normal"][0]))  # a change of mind: same patient
    expect(page.locator("#id_patient_reference")).to_have_value("RM-3")
    expect(page.get_by_test_id("reference-cleared")).to_have_text("")
