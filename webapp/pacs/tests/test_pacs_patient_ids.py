"""A PACS study's PatientID is kept as an upload's is (webapp/screening/patient_ids.py): a value
with a backslash whole, not as "['A', 'B']", and without control characters. Against the real
Orthanc of scripts/with-orthanc.sh (skipped with a message without it)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

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


def test_one_patient_id_from_two_issuers_is_two_patients(site, xray_paths, client):
    """Two hospitals gave the same PatientID to different people: RSUD-JKT's and RS-BANDUNG's
    RSUD-ACC01 were one patient on the compare page. The issuer now qualifies the reference;
    without an issuer the PatientID alone is kept, as before."""
    jakarta = xray_instance(xray_paths["normal"][0], patient_id="RSUD-ACC01", accession="JKT01",
                            study_time="080000")
    jakarta.IssuerOfPatientID = "RSUD-JKT"
    bandung = xray_instance(xray_paths["normal"][1], patient_id="RSUD-ACC01", accession="BDG01",
                            study_time="090000")
    bandung.IssuerOfPatientID = "RS-BANDUNG"
    plain = xray_instance(xray_paths["normal"][2], patient_id="RSUD-ACC01", accession="X01",
                          study_time="100000")
    for ds in (jakarta, bandung, plain):
        support.push(ds)

    assert set(support.ingest_all().values()) == {"written"}

    def reference(ds):
        return PacsStudy.objects.get(study_instance_uid=ds.StudyInstanceUID).reading.patient_reference

    assert reference(jakarta) == "RSUD-ACC01 (RSUD-JKT)"
    assert reference(bandung) == "RSUD-ACC01 (RS-BANDUNG)"
    assert reference(plain) == "RSUD-ACC01"
    # The hospital's own PatientID stays as its header says, and its issuer beside it (the
    # FHIR report's identifier and assigner).
    study = PacsStudy.objects.get(study_instance_uid=bandung.StudyInstanceUID)
    assert (study.patient_id, study.issuer_of_patient_id) == ("RSUD-ACC01", "RS-BANDUNG")
    plain_study = PacsStudy.objects.get(study_instance_uid=plain.StudyInstanceUID)
    assert (plain_study.patient_id, plain_study.issuer_of_patient_id) == ("RSUD-ACC01", "")

    client.force_login(site)
    page = client.get(reverse("screening:compare"), {"patient": "RSUD-ACC01 (RS-BANDUNG)"})
    assert page.status_code == 200
    assert [r.pk for r in page.context["readings"]] == [
        PacsStudy.objects.get(study_instance_uid=bandung.StudyInstanceUID).reading.pk]
