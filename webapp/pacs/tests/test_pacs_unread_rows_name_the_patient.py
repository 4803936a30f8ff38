"""A skipped or failed study's row says whose study it is: the patient ID, accession number and
study date came only from the image that was read, so staff looking at a skipped hand X-ray or a
refused image had only a 64-digit UID to find it by in the PACS."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from webapp.pacs.models import PacsStudy
from webapp.pacs.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_skipped_rows_keep_the_patient_and_accession_of_their_study(site, xray_paths, admin_client):
    hand = support.push_study(xray_paths["normal"][0], body_part="HAND", patient_id="RSUD-0042",
                              accession="ACC-77", study_date="20261204")
    lateral = support.push_study(xray_paths["normal"][1], view_position="LL",
                                 patient_id="RSUD-0043", accession="ACC-78")
    call_command("pacs_ingest", "--inline", stdout=io.StringIO())

    skipped = PacsStudy.objects.get(study_instance_uid=hand)
    assert (skipped.state, skipped.reason_code) == ("skipped", "not_chest")
    assert (skipped.patient_id, skipped.accession_number, skipped.study_date) == (
        "RSUD-0042", "ACC-77", "20261204")
    assert PacsStudy.objects.get(study_instance_uid=lateral).patient_id == "RSUD-0043"
    assert not skipped.sop_instance_uid  # no image was read

    # found in the admin's list by the patient ID staff have in hand
    listed = admin_client.get("/admin/pacs/pacsstudy/", {"q": "RSUD-0042"}).content.decode()
    assert hand in listed and lateral not in listed
    shown = admin_client.get(f"/admin/pacs/pacsstudy/{skipped.pk}/change/").content.decode()
    assert "RSUD-0042" in shown and "ACC-77" in shown
