"""GET /api/v1/readings/{id}/fhir: a FHIR R4 DiagnosticReport with an Observation per class
probability, validated with fhir.resources (its R4B models: DiagnosticReport and Observation
are unchanged from R4), private to the reading's owner."""
from __future__ import annotations

import datetime
import json

import pytest

from webapp.pacs.models import PacsStudy
from webapp.screening.models import ApiToken

pytestmark = pytest.mark.django_db


def get_fhir(client, key: str, reading_id: int):
    return client.get(f"/api/v1/readings/{reading_id}/fhir", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_reading_is_a_valid_fhir_diagnostic_report(client, alice, bob, make_reading, xray_paths):
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport
    from fhir.resources.R4B.observation import Observation

    reading = make_reading(alice, xray_paths["covid"][0])
    _, key = ApiToken.issue(alice)
    response = get_fhir(client, key, reading.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    assert response["Cache-Control"] == "private, no-store"
    body = json.loads(response.content)

    report = DiagnosticReport.model_validate(body)  # raises on anything R4 does not allow
    assert report.status == "preliminary" and report.id == str(reading.pk)
    assert report.category[0].coding[0].code == "RAD"
    assert "not a diagnosis" in report.conclusion
    assert report.conclusionCode[0].coding[0].code == reading.outcome
    assert report.issued is not None and not getattr(report, "imagingStudy", None)

    observations = {o["id"]: Observation.model_validate(o) for o in body["contained"]}
    assert sorted(observations) == sorted(f"p-{name}" for name in reading.probabilities)
    assert [r.reference for r in report.result] == [f"#{o['id']}" for o in body["contained"]]
    for name, probability in reading.probabilities.items():
        observation = observations[f"p-{name}"]
        assert observation.status == "preliminary"
        assert float(observation.valueQuantity.value) == pytest.approx(probability, abs=1e-6)
        assert observation.valueQuantity.system == "http://unitsofmeasure.org"
        assert reading.model_version in observation.method.text
    from webapp.screening.presentation import warning_texts
    for text in warning_texts(reading):
        assert text in report.conclusion

    # Another account's key sees no such reading; no key is refused.
    _, bob_key = ApiToken.issue(bob)
    missing = get_fhir(client, bob_key, reading.pk)
    assert missing.status_code == 404 and json.loads(missing.content)["code"] == "not_found"
    assert client.get(f"/api/v1/readings/{reading.pk}/fhir").status_code == 401


def test_a_pacs_reading_names_its_dicom_study(client, alice, make_reading, xray_paths):
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    reading = make_reading(alice, xray_paths["normal"][0])
    PacsStudy.objects.create(study_instance_uid="1.2.826.0.1.3680043.8.498.1", reading=reading,
                             state=PacsStudy.State.WRITTEN, patient_id="RM-0042",
                             accession_number="ACC-77")
    _, key = ApiToken.issue(alice)
    report = DiagnosticReport.model_validate(json.loads(get_fhir(client, key, reading.pk).content))
    identifier = report.imagingStudy[0].identifier
    assert (identifier.system, identifier.value) == ("urn:dicom:uid",
                                                     "urn:oid:1.2.826.0.1.3680043.8.498.1")
    # Filed with its patient and examination in the receiving system.
    assert report.subject.type == "Patient" and report.subject.identifier.value == "RM-0042"
    accession = [i for i in report.identifier if i.type is not None]
    assert accession[0].value == "ACC-77" and accession[0].type.coding[0].code == "ACSN"
    # An accession number is unique only within its issuer (FHIR R4 Identifier: a value
    # without a system cannot be matched): the documented default system, the site's own
    # where settings give it.
    assert accession[0].system == "urn:x-cxr-screening:accession-number"


def test_the_accession_number_carries_the_sites_system(client, alice, make_reading, xray_paths,
                                                       settings):
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    settings.FHIR_ACCESSION_SYSTEM = "http://sys-ids.kemkes.go.id/acsn/100000001"
    reading = make_reading(alice, xray_paths["normal"][0])
    PacsStudy.objects.create(study_instance_uid="1.2.826.0.1.3680043.8.498.2", reading=reading,
                             state=PacsStudy.State.WRITTEN, accession_number="ACC-78")
    _, key = ApiToken.issue(alice)
    report = DiagnosticReport.model_validate(json.loads(get_fhir(client, key, reading.pk).content))
    accession = [i for i in report.identifier if i.type is not None]
    assert [(i.system, i.value) for i in accession] == [
        ("http://sys-ids.kemkes.go.id/acsn/100000001", "ACC-78")]


def test_the_clinically_relevant_time_is_the_day_the_xray_was_taken(client, alice, make_reading,
                                                                      xray_paths):
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    reading = make_reading(alice, xray_paths["normal"][0])
    _, key = ApiToken.issue(alice)
    body = json.loads(get_fhir(client, key, reading.pk).content)
    assert body["effectiveDateTime"] == body["issued"]  # no date in the file: when it was read
    reading.taken_on = datetime.date(2019, 5, 15)
    reading.save(update_fields=["taken_on"])
    body = json.loads(get_fhir(client, key, reading.pk).content)
    DiagnosticReport.model_validate(body)
    assert body["effectiveDateTime"] == "2019-05-15" and body["issued"] != "2019-05-15"
    assert {o["effectiveDateTime"] for o in body["contained"]} == {"2019-05-15"}


def test_the_operation_is_in_the_openapi_document(client):
    document = json.loads(client.get("/api/v1/openapi.json").content)
    operation = document["paths"]["/readings/{id}/fhir"]["get"]
    assert operation["operationId"] == "getReadingFhir"
    assert "application/fhir+json" in operation["responses"]["200"]["content"]
    assert {"401", "404", "429", "500"} <= set(operation["responses"])


def test_the_prediction_set_is_given_with_its_target_not_as_a_ruling_out(client, alice,
                                                                         make_reading, xray_paths):
    reading = make_reading(alice, xray_paths["normal"][0])
    reading.prediction_set, reading.set_confidence = ["normal", "pneumonia"], 0.9
    reading.save()
    _, key = ApiToken.issue(alice)
    conclusion = json.loads(get_fhir(client, key, reading.pk).content)["conclusion"]
    assert "Prediction set: Normal (neither), Pneumonia (non-COVID)." in conclusion
    assert "The set aimed to contain the right answer 90% of the time." in conclusion
    assert "A class left out of the set is not ruled out." in conclusion
    assert "Classes not ruled out" not in conclusion and "confidence" not in conclusion


CAVEAT = {
    "code": "label_unverified_unseen_class",
    "params": {"label": "covid", "source_percent": 61.0, "source_low_percent": 55.0,
               "source_high_percent": 67.0, "patient_percent": 97.0, "right": 122, "said": 200},
    "text": "Unverified: on X-rays from collections it never saw, a model trained this way was "
            "right 61% of the times it gave the label covid (122 of 200; 95% CI 55-67%), against "
            "97% on new patients of the collections it learnt from.",
}


def fhir_in(client, key: str, reading_id: int, language: str) -> dict:
    return json.loads(client.get(f"/api/v1/readings/{reading_id}/fhir",
                                 HTTP_AUTHORIZATION=f"Token {key}",
                                 HTTP_ACCEPT_LANGUAGE=language).content)


def test_the_warnings_are_rebuilt_from_their_codes_in_english(client, alice, make_reading,
                                                              xray_paths):
    """The conclusion rebuilds each warning from its code, with the class's name, rather than
    quoting the stored English text ("the label covid"): in English, as all of the record is."""
    from django.utils import translation

    from webapp.screening import presentation

    reading = make_reading(alice, xray_paths["covid"][0])
    reading.warnings = [CAVEAT]
    reading.save()
    _, key = ApiToken.issue(alice)
    conclusion = fhir_in(client, key, reading.pk, "en")["conclusion"]
    assert "the label covid" not in conclusion
    assert ("said “COVID-19” on X-rays from hospitals it did not learn from, it was right 122 of "
            "200 times (61%; 95% CI 55-67%)") in conclusion
    with translation.override("en"):
        message = presentation.warning_items(reading)[0]["message"]
    assert f"Warning: {message}" in conclusion


def test_the_report_is_in_english_whoever_fetches_it(client, alice, make_reading, xray_paths):
    """A machine-read record, filed in another system: one language throughout, the same for
    every reader. An Indonesian session got English headings around Indonesian warnings."""
    reading = make_reading(alice, xray_paths["covid"][0])
    reading.warnings = [CAVEAT]
    reading.save()
    _, key = ApiToken.issue(alice)
    english = fhir_in(client, key, reading.pk, "en")
    client.cookies["django_language"] = "id"  # an Indonesian session, as the audit's
    indonesian = fhir_in(client, key, reading.pk, "id")
    assert indonesian == english
    assert "Treat with caution" in indonesian["conclusion"]
    assert "Perlu hati-hati" not in indonesian["conclusion"]


def test_an_uncertain_reading_says_uncertain_once(client, alice, make_reading, xray_paths):
    """The conclusion said "Uncertain: no label given; ... No label: Uncertain: the highest
    probability ...": the outcome, then the reason without repeating it."""
    from cxr.inference.notices import Notice

    reason = Notice("uncertain", percent=45.9, label="normal", threshold_percent=60)
    reading = make_reading(alice, xray_paths["normal"][0])
    reading.label, reading.low_confidence = None, True
    reading.reason, reading.reason_code, reading.reason_params = (str(reason), reason.code,
                                                                 reason.params)
    reading.save()
    _, key = ApiToken.issue(alice)
    for language in ("en", "id"):
        conclusion = fhir_in(client, key, reading.pk, language)["conclusion"]
        assert conclusion.startswith(
            "Uncertain: no label given; a radiologist should read the image. The highest "
            "probability (45.9%, Normal) is below 60%, so no label is given."), conclusion
        assert conclusion.count("Uncertain") == 1 and "No label:" not in conclusion


def pacs_reading(alice, make_reading, xray_paths, **study):
    reading = make_reading(alice, xray_paths["normal"][0])
    PacsStudy.objects.create(study_instance_uid="1.2.826.0.1.3680043.8.498.2", reading=reading,
                             state=PacsStudy.State.WRITTEN, patient_id="RSUD-ACC01", **study)
    return reading


@pytest.mark.parametrize("issuer, universal_id, system", [
    ("RSUD BANDUNG", "urn:oid:2.16.360.1.2.3", "urn:oid:2.16.360.1.2.3"),  # from the sequence
    ("https://rsud.example/pasien", "https://rsud.example/pasien", "https://rsud.example/pasien"),
    ("RSUD BANDUNG", "", None),  # a name is no system: only shown
])
def test_the_patient_identifier_names_its_issuer(client, alice, make_reading, xray_paths, issuer,
                                                 universal_id, system):
    """A PatientID is unique only within the hospital that issued it: the subject carried the
    bare value, so the receiving system could file it with another hospital's patient."""
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    reading = pacs_reading(alice, make_reading, xray_paths, issuer_of_patient_id=issuer,
                           issuer_universal_id=universal_id)
    _, key = ApiToken.issue(alice)
    body = json.loads(get_fhir(client, key, reading.pk).content)
    DiagnosticReport.model_validate(body)
    identifier = body["subject"]["identifier"]
    assert identifier["value"] == "RSUD-ACC01"
    assert identifier["assigner"] == {"display": issuer}
    assert identifier.get("system") == system


def test_a_patient_id_without_an_issuer_is_given_alone(client, alice, make_reading, xray_paths):
    reading = pacs_reading(alice, make_reading, xray_paths)
    _, key = ApiToken.issue(alice)
    body = json.loads(get_fhir(client, key, reading.pk).content)
    assert body["subject"]["identifier"] == {"value": "RSUD-ACC01"}


def test_the_issuer_is_read_from_the_dicom_header():
    from pydicom.dataset import Dataset

    from webapp.pacs.models import patient_issuer

    ds = Dataset()
    assert patient_issuer(ds) == ("", "")
    ds.IssuerOfPatientID = "RSUD BANDUNG"
    assert patient_issuer(ds) == ("RSUD BANDUNG", "")  # a name is no URI
    ds.IssuerOfPatientID = "2.16.360.1.2.3"
    assert patient_issuer(ds) == ("2.16.360.1.2.3", "urn:oid:2.16.360.1.2.3")
    ds.IssuerOfPatientID = "RSUD BANDUNG"
    qualifiers = Dataset()
    qualifiers.UniversalEntityID, qualifiers.UniversalEntityIDType = "2.16.360.1.2.3", "ISO"
    ds.IssuerOfPatientIDQualifiersSequence = [qualifiers]
    assert patient_issuer(ds) == ("RSUD BANDUNG", "urn:oid:2.16.360.1.2.3")
    qualifiers.UniversalEntityID, qualifiers.UniversalEntityIDType = "rsud.example", "DNS"
    assert patient_issuer(ds) == ("RSUD BANDUNG", "")  # a host name is no URI
    qualifiers.UniversalEntityIDType = "URI"
    qualifiers.UniversalEntityID = "https://rsud.example/pasien"
    assert patient_issuer(ds) == ("RSUD BANDUNG", "https://rsud.example/pasien")


def test_the_media_type_declares_the_fhir_version_the_resource_is(client, alice, make_reading,
                                                                   xray_paths):
    """Without a fhirVersion a receiver assumes its own: the resource is R4 (valid with the R4B
    models, which are R4's for these resources) and not R5 (imagingStudy became study)."""
    from fhir.resources.diagnosticreport import DiagnosticReport as R5DiagnosticReport
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport
    from pydantic import ValidationError

    from webapp.pacs.fhir import FHIR_VERSION, MEDIA_TYPE

    assert (FHIR_VERSION, MEDIA_TYPE) == ("4.0", "application/fhir+json; fhirVersion=4.0")
    reading = pacs_reading(alice, make_reading, xray_paths, issuer_of_patient_id="RSUD BANDUNG")
    _, key = ApiToken.issue(alice)
    body = json.loads(get_fhir(client, key, reading.pk).content)
    DiagnosticReport.model_validate(body)
    with pytest.raises(ValidationError, match="imagingStudy"):
        R5DiagnosticReport.model_validate(body)
