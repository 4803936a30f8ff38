"""A PACS study's PatientID is kept as an upload's is (webapp/screening/patient_ids.py): a value
with a backslash whole, not as "['A', 'B']", and without control characters. Against the real
Orthanc of scripts/with-orthanc.sh (skipped with a message without it)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from webapp.pacs.models import PacsStudy
from webapp.pacs.studies import xray_instance
from webapp.pacs.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_a_pacs_patient_id_is_kept_as_an_uploads_is(site, xray_paths):
    ds = xray_instance(xray_paths["normal"][0], patient_id="RM\\0042\x07  B", accession="A-9")
    support.push(ds)

    assert support.ingest_all() == {str(ds.StudyInstanceUID): "written"}

    study = PacsStudy.objects.get(study_instance_uid=ds.StudyInstanceUID)
    assert study.patient_id == "RM\\0042 B"
    assert study.reading.patient_reference == "RM\\0042 B"


def test_a_pacs_reading_is_dated_by_its_header_as_an_upload_is(site, xray_paths):
    # Within the look-back window (yesterday), and not the day it was read.
    day = date.today() - timedelta(days=1)
    ds = xray_instance(xray_paths["normal"][0], accession="A-10", study_date=f"{day:%Y%m%d}")
    support.push(ds)

    assert support.ingest_all() == {str(ds.StudyInstanceUID): "written"}
    assert PacsStudy.objects.get(study_instance_uid=ds.StudyInstanceUID).reading.taken_on == day
