"""A reading as a FHIR R4 DiagnosticReport, with one contained Observation per class probability
(GET /api/v1/readings/{id}/fhir), served as MEDIA_TYPE (fhirVersion=4.0). Validated in tests with
`fhir.resources` (its R4B models: R4B changed nothing in DiagnosticReport or Observation).

The report is `preliminary` (an AI estimate no clinician has verified), names the model as its
method, and says in its conclusion that it is not a diagnosis. A reading of a PACS study refers
to the DICOM study by its Study Instance UID (imagingStudy), to its patient by the hospital's
patient ID and its issuer (subject) and to its accession number (identifier), as the image's
header gave them.
An uploaded reading carries no patient data: the app keeps none beyond the owner's own reference.

The resource is in English throughout, whoever fetches it and in whatever language: it is a
record that another system files and programs read, so it says the same for every requester (as
the SR written to the PACS does). The reason and the warnings are rebuilt from their codes in
English, not quoted from the stored text, so class names read "COVID-19" as elsewhere.
"""
from __future__ import annotations

from django.conf import settings
from django.utils import translation

from webapp.screening import presentation

from .writeback import (
    CLASS_MEANINGS,
    OUTCOME_MEANINGS,
    STATEMENT,
    model_name,
    set_level_sentences,
)

# The FHIR version the resource is, for the media type's fhirVersion parameter (FHIR http.html
# "FHIR Version parameter"): R4, "4.0". It uses only R4 elements, all unchanged in R4B (4.3) and
# some renamed in R5 (DiagnosticReport.imagingStudy is R5's `study`), so a receiver that assumed
# its own version could reject it. R4 rather than R4B: what most FHIR servers run (SATUSEHAT, the
# Indonesian national platform, is R4). The API's response must carry MEDIA_TYPE.
FHIR_VERSION = "4.0"
MEDIA_TYPE = f"application/fhir+json; fhirVersion={FHIR_VERSION}"
CODE_SYSTEM = "urn:x-cxr-screening:ai-estimate"  # this application's own codes
UCUM = "http://unitsofmeasure.org"


def _instant(value) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _effective(reading) -> str:
    """The clinically relevant time (FHIR effective[x]): the day the X-ray was taken where its
    DICOM header says it (a FHIR dateTime may be a date), else when it was read."""
    return reading.taken_on.isoformat() if reading.taken_on else _instant(reading.created_at)


def _coding(code: str, display: str, system: str = CODE_SYSTEM) -> dict:
    return {"system": system, "code": code, "display": display}


def observation(reading, name: str, probability: float, method: str) -> dict:
    meaning = CLASS_MEANINGS.get(name, name)
    return {
        "resourceType": "Observation",
        "id": f"p-{name}",
        "status": "preliminary",
        "category": [{"coding": [_coding(
            "imaging", "Imaging", "http://terminology.hl7.org/CodeSystem/observation-category")]}],
        "code": {"coding": [_coding(f"p-{name}", f"Probability: {meaning}")],
                 "text": f"AI-estimated probability of findings: {meaning}"},
        "effectiveDateTime": _effective(reading),
        "issued": _instant(reading.created_at),
        "valueQuantity": {"value": round(float(probability), 6), "unit": "probability",
                          "system": UCUM, "code": "1"},
        "method": {"text": method},
        "note": [{"text": "Calibrated probability from an AI model: a screening estimate, not "
                          "a diagnosis."}],
    }


def diagnostic_report(reading) -> dict:
    """The FHIR R4 DiagnosticReport (JSON as a dict) of one stored reading, in English."""
    with translation.override("en"):
        return _diagnostic_report(reading)


def _diagnostic_report(reading) -> dict:
    method = f"{model_name(reading)} {reading.model_version or ''}".strip() + " (AI model)"
    observations = [observation(reading, name, p, method)
                    for name, p in reading.sorted_probabilities()]
    outcome = reading.outcome
    conclusion = [f"{OUTCOME_MEANINGS.get(outcome, outcome)}."]
    if reading.prediction_set is not None:
        names = ", ".join(CLASS_MEANINGS.get(c, c) for c in reading.prediction_set) or "none"
        conclusion.append(f"Prediction set: {names}.")
        if reading.set_confidence is not None:
            conclusion.append(set_level_sentences(reading))
    # The reason and the warnings as the pages and the PDF give them: rebuilt from their codes,
    # class names as "COVID-19" (the stored English text says "gave the label covid"). The reason
    # follows the outcome "Uncertain: ..." as it follows the page's headline: without the word again.
    if reading.uncertain and reading.reason:
        conclusion.append(presentation.reason_detail(reading))
    for item in presentation.warning_items(reading):
        if item["message"]:
            conclusion.append(f"Warning: {item['message']}")
    conclusion.append(STATEMENT)
    report = {
        "resourceType": "DiagnosticReport",
        "id": str(reading.pk),
        "contained": observations,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{reading.storage_key}"}],
        "status": "preliminary",
        "category": [{"coding": [_coding(
            "RAD", "Radiology", "http://terminology.hl7.org/CodeSystem/v2-0074")]}],
        "code": {"coding": [_coding("18748-4", "Diagnostic imaging study", "http://loinc.org")],
                 "text": "AI chest X-ray screening estimate (not a diagnosis)"},
        "effectiveDateTime": _effective(reading),
        "issued": _instant(reading.created_at),
        "performer": [{"display": f"{method}: not a clinician"}],
        "result": [{"reference": f"#{o['id']}", "display": o["code"]["coding"][0]["display"]}
                   for o in observations],
        "conclusion": " ".join(conclusion),
        "conclusionCode": [{"coding": [_coding(outcome, OUTCOME_MEANINGS.get(outcome, outcome))]}],
    }
    if _has_pacs_study(reading):
        study = reading.pacs_study
        report["imagingStudy"] = [{"type": "ImagingStudy", "identifier": {
            "system": "urn:dicom:uid", "value": f"urn:oid:{study.study_instance_uid}"}}]
        if study.patient_id:
            # The hospital's own patient ID from the image's DICOM header, so the receiving
            # system files the report with its patient; the app has no Patient resource.
            report["subject"] = {"type": "Patient", "identifier": _patient_identifier(study)}
        if study.accession_number:
            report["identifier"].append({
                "system": settings.FHIR_ACCESSION_SYSTEM,
                "type": {"coding": [_coding("ACSN", "Accession ID",
                                            "http://terminology.hl7.org/CodeSystem/v2-0203")]},
                "value": study.accession_number})
    return report


def _patient_identifier(study) -> dict:
    """The patient ID with its issuer (IssuerOfPatientID) as the assigner, and the issuer as the
    identifier's system where the header gave it as a URI or OID: a PatientID is unique only
    within the hospital that issued it. A name is no system, so it is only shown."""
    identifier = {"value": study.patient_id}
    issuer = study.issuer_of_patient_id or study.issuer_universal_id
    if study.issuer_universal_id:
        identifier["system"] = study.issuer_universal_id
    if issuer:
        identifier["assigner"] = {"display": issuer}
    return identifier


def _has_pacs_study(reading) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return reading.pacs_study is not None
    except ObjectDoesNotExist:
        return False
