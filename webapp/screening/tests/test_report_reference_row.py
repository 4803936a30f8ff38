"""A patient's printable report and PDF have no "Patient reference —" row (a patient's account
keeps no reference); a doctor's keep it, "—" saying none was given."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.screening import report_pdf
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def test_a_patients_report_has_no_empty_reference_row(client, patient, doctor, model_dir, media_root, xray_paths):
    mine = store_reading(patient, model_dir, xray_paths["normal"][0])
    client.force_login(patient)
    html = client.get(reverse("screening:report", args=[mine.pk])).content.decode()
    assert 'data-testid="patient-reference"' not in html
    assert not report_pdf.shows_reference(mine)
    theirs = store_reading(doctor, model_dir, xray_paths["normal"][0])
    assert report_pdf.shows_reference(theirs)  # a doctor's: "—" says none was given
    client.force_login(doctor)
    assert 'data-testid="patient-reference"' in client.get(reverse("screening:report", args=[theirs.pk])).content.decode()
