"""Studies stored in a real Orthanc are found (QIDO-RS), their frontal chest X-ray read (WADO-RS)
with the bundled model, and the results written back into the same study (STOW-RS): a
Comprehensive SR, read back with highdicom and pydicom, and a secondary capture of the heat map.
Needs scripts/with-orthanc.sh (make test runs these tests under it)."""
from __future__ import annotations

import io
import logging

import numpy as np
import pydicom
import pytest
from PIL import Image

from webapp.pacs import dicomweb, tasks, writeback
from webapp.pacs.models import PacsStudy
from webapp.pacs.tests import support
from webapp.screening.models import Reading

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def items_by_meaning(sr) -> dict[str, list]:
    items: dict[str, list] = {}
    assert sr.ConceptNameCodeSequence[0].CodeMeaning == writeback.ROOT.meaning
    for item in sr.ContentSequence:
        items.setdefault(item.ConceptNameCodeSequence[0].CodeMeaning, []).append(item)
    return items


def test_frontal_views_are_read_and_written_back_into_the_same_study(site, xray_paths, caplog,
                                                                     test_output):
    caplog.set_level(logging.INFO, logger="webapp.pacs")
    covid, normal = xray_paths["covid"][0], xray_paths["normal"][0]
    pa = support.push_study(covid, view_position="PA", patient_id="P-PA")
    ap = support.push_study(normal, view_position="AP", patient_id="P-AP")
    lateral = support.push_study(normal, view_position="LL")
    hand = support.push_study(normal, view_position="PA", body_part="HAND")
    # A lateral (series 1) and a PA (series 2) in one study: the PA is read.
    mixed = support.push_study(covid, view_position="LL", series_number=1)
    support.push(ingest_study_instance(normal, mixed, "PA", series_number=2))

    states = support.ingest_all()

    assert states == {pa: "written", ap: "written", mixed: "written", lateral: "skipped",
                      hand: "skipped"}
    assert PacsStudy.objects.get(study_instance_uid=lateral).reason_code == "not_frontal"
    assert "ViewPosition LL (lateral)" in PacsStudy.objects.get(study_instance_uid=lateral).reason
    assert PacsStudy.objects.get(study_instance_uid=hand).reason_code == "not_chest"
    logged = caplog.text
    assert "ViewPosition LL (lateral)" in logged and "body part HAND" in logged
    assert Reading.objects.filter(owner=site).count() == 3
    assert PacsStudy.objects.get(study_instance_uid=mixed).view_position == "PA"
    for uid in (lateral, hand):  # nothing written into skipped studies
        assert [s["Modality"] for s in support.series_of(uid)] == ["DX"]

    study = PacsStudy.objects.select_related("reading").get(study_instance_uid=pa)
    reading = study.reading
    assert reading.owner == site and study.view_position == "PA"
    series = support.series_of(pa)
    assert [(s["Modality"], s["Instances"]) for s in series] == [("DX", 1), ("OT", 1), ("SR", 1)]

    web = dicomweb.client()
    sr_series = next(s["SeriesInstanceUID"] for s in series if s["Modality"] == "SR")
    sr = web.retrieve_instance(pa, sr_series, study.sr_instance_uid)
    buffer = io.BytesIO()
    sr.save_as(buffer, enforce_file_format=True)
    check_structured_report(buffer.getvalue(), study, reading)

    sc_series = next(s["SeriesInstanceUID"] for s in series if s["Modality"] == "OT")
    sc = web.retrieve_instance(pa, sc_series, study.sc_instance_uid)
    check_secondary_capture(sc, study, reading)
    Image.fromarray(sc.pixel_array).save(test_output / "pacs-secondary-capture.png")


def ingest_study_instance(image, study_uid, view, series_number):
    from webapp.pacs.studies import xray_instance

    return xray_instance(image, study_uid=study_uid, view_position=view,
                         series_number=series_number)


def check_structured_report(data: bytes, study, reading) -> None:
    import highdicom as hd

    # pydicom: the SR is a valid DICOM file in the same study and patient as the X-ray.
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.SOPClassUID == pydicom.uid.ComprehensiveSRStorage
    assert ds.StudyInstanceUID == study.study_instance_uid
    assert ds.PatientID == "P-PA" and ds.Modality == "SR"
    assert ds.SOPInstanceUID == study.sr_instance_uid
    assert ds.VerificationFlag == "UNVERIFIED" and ds.CompletionFlag == "COMPLETE"
    evidence = ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert evidence.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == study.sop_instance_uid

    # highdicom: it parses as a Comprehensive SR, and its content says what the reading says.
    sr = hd.sr.srread(io.BytesIO(data))
    assert isinstance(sr, hd.sr.ComprehensiveSR)
    items = items_by_meaning(sr)
    assert "not a diagnosis" in items["Comment"][0].TextValue
    assert items["Finding"][0].ConceptCodeSequence[0].CodeValue == reading.outcome
    for name, probability in reading.probabilities.items():
        meaning = writeback.probability_code(name).meaning
        value = items[meaning][0].MeasuredValueSequence[0].NumericValue
        assert float(value) == pytest.approx(probability, abs=1e-6)
    assert items["Algorithm Version"][0].TextValue == reading.model_version
    assert items["Algorithm Name"][0].TextValue
    if reading.prediction_set is not None:
        text = items[writeback.PREDICTION_SET.meaning][0].TextValue
        assert all(writeback.CLASS_MEANINGS[c] in text for c in reading.prediction_set)
    # The warnings as the page, the PDF and the FHIR report word them (classes as "COVID-19"),
    # not the engine's stored English ("said “covid”").
    _reason, warnings = writeback.reason_and_warnings(reading)
    assert [i.TextValue for i in items.get("Warning", [])] == warnings
    assert not any("“covid”" in text or "“normal”" in text or "“pneumonia”" in text for text in warnings)


def check_secondary_capture(sc, study, reading) -> None:
    from webapp.screening import presentation

    assert sc.SOPClassUID == pydicom.uid.SecondaryCaptureImageStorage
    assert sc.StudyInstanceUID == study.study_instance_uid and sc.PatientID == "P-PA"
    assert sc.BurnedInAnnotation == "YES" and "not a diagnosis" in sc.ImageComments
    pixels = sc.pixel_array
    overlay = np.asarray(Image.open(io.BytesIO(presentation.overlay_png(reading))).convert("RGB"))
    assert pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.shape[1] == overlay.shape[1]
    band = pixels.shape[0] - overlay.shape[0]  # the burned-in line above the image
    assert 0 < band < pixels.shape[0] // 10
    assert np.array_equal(pixels[band:], overlay)
    assert pixels[:band].max() == 255  # the words are there


def test_a_study_is_read_once_and_written_back_once(site, xray_paths):
    uid = support.push_study(xray_paths["normal"][1], view_position="PA")
    assert support.ingest_all() == {uid: "written"}
    assert support.ingest_all() == {}  # the next look finds nothing new
    study = PacsStudy.objects.get(study_instance_uid=uid)
    assert tasks.run_inline(study.pk) == "written"  # a second delivery of its job: nothing
    assert tasks.read_study(study.pk) == "written"
    assert Reading.objects.filter(owner=site).count() == 1

    # The write-back's record is lost after the PACS stored the results (a worker killed in
    # between): doing it again stores the same instances, which the PACS keeps once.
    first = (study.sr_instance_uid, study.sc_instance_uid)
    PacsStudy.objects.filter(pk=study.pk).update(state="read", sr_instance_uid="",
                                                 sc_instance_uid="")
    assert tasks.write_back(study.pk) == "written"
    study.refresh_from_db()
    assert (study.sr_instance_uid, study.sc_instance_uid) == first
    assert [(s["Modality"], s["Instances"]) for s in support.series_of(uid)] == [
        ("DX", 1), ("OT", 1), ("SR", 1)]

    # A new image added to a study already read does not make it read again.
    support.push(ingest_study_instance(xray_paths["normal"][2], uid, "PA", series_number=3))
    assert support.ingest_all() == {}
    assert Reading.objects.filter(owner=site).count() == 1


@pytest.mark.parametrize("outcome", ["covid", "pneumonia", "normal", "uncertain"])
def test_every_outcome_makes_a_valid_report(outcome, alice, make_reading, xray_paths):
    """Each outcome's SR is valid DICOM (code meanings of at most 64 characters, ...), with or
    without a prediction set and warnings. (The PACS benchmark once found a meaning too long.)"""
    import highdicom as hd

    from webapp.pacs.studies import xray_instance

    reading = make_reading(alice, xray_paths["normal"][0])
    if outcome == "uncertain":
        reading.label, reading.low_confidence = None, True
        reading.reason = "The model is not confident enough to give a label."
    else:
        reading.label, reading.low_confidence = outcome, False
    reading.prediction_set, reading.set_confidence = ["covid", "pneumonia"], 0.9
    reading.warnings = [{"code": "unfamiliar_image", "params": {}, "text": "Unlike the X-rays "
                         "the model learned from."}]
    assert reading.outcome == outcome
    source = xray_instance(xray_paths["normal"][0])
    sr = writeback.structured_report(reading, source)
    buffer = io.BytesIO()
    sr.save_as(buffer, enforce_file_format=True)
    parsed = hd.sr.srread(io.BytesIO(buffer.getvalue()))
    items = items_by_meaning(parsed)
    assert items["Finding"][0].ConceptCodeSequence[0].CodeValue == outcome
    assert items["Warning"][0].TextValue.startswith("This X-ray is unlike the images the model was trained on")
    assert ("Why no label is given" in items) == (outcome == "uncertain")
    # The set's level is the target it was fitted for, never a ruling-out (the reading page's
    # words): a class outside the set is not ruled out.
    level = items[writeback.SET_LEVEL.meaning][0].TextValue
    assert level.startswith("The set aimed to contain the right answer 90% of the time.")
    assert level.endswith("A class left out of the set is not ruled out.")
    assert "ruled out" not in " ".join(items) and "confidence" not in " ".join(items).lower()
    assert parsed.StudyInstanceUID == source.StudyInstanceUID
    # The secondary capture's header is valid too (its pixels: the Orthanc test above).
    assert writeback.secondary_capture(reading, source).StudyInstanceUID == source.StudyInstanceUID


def test_the_commands_read_inline_and_report_progress(site, xray_paths):
    """`pacs_ingest --inline` (no worker) and `pacs_status`, as docs/pacs.md shows them."""
    from django.core.management import call_command

    uid = support.push_study(xray_paths["covid"][1], view_position="AP")
    lateral = support.push_study(xray_paths["covid"][1], view_position="LL")
    out = io.StringIO()
    call_command("pacs_ingest", "--inline", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:2]] == ["[1/2]", "[2/2]"]
    assert sorted(line.split(" ", 1)[1] for line in lines[:2]) == sorted(
        [f"{uid}: written", f"{lateral}: skipped (not_frontal): no frontal chest X-ray: "
                            "ViewPosition LL (lateral); only PA or AP are read"])
    assert lines[-1] == "2 studies read here"
    status = io.StringIO()
    call_command("pacs_status", stdout=status)
    text = status.getvalue()
    assert text.startswith("queued: 0, read: 0, written: 1, skipped: 1, failed: 0")
    assert f"skipped {lateral}: no frontal chest X-ray: ViewPosition LL (lateral)" in text
    out = io.StringIO()
    call_command("pacs_ingest", "--inline", stdout=out)
    assert out.getvalue().strip() == "0 studies read here"


def test_the_command_refuses_to_run_unconfigured(settings, db, make_user):
    from django.core.management import CommandError, call_command

    settings.PACS_DICOMWEB_URL = ""
    with pytest.raises(CommandError, match="PACS_DICOMWEB_URL"):
        call_command("pacs_ingest")
    settings.PACS_DICOMWEB_URL = "http://127.0.0.1:1/dicom-web"
    settings.PACS_SITE_ACCOUNT = "nobody@hospital.example"
    with pytest.raises(CommandError, match="has no account"):
        call_command("pacs_ingest")
    # The readings carry patient IDs, shown to verified doctors only: a superuser of the
    # patient role (what createsuperuser makes) or a doctor nobody verified will not do.
    for extra in ({"role": "patient", "is_superuser": True, "is_staff": True},
                  {"role": "doctor", "doctor_verified_at": None}):
        settings.PACS_SITE_ACCOUNT = make_user(**extra).email
        with pytest.raises(CommandError, match="is not a verified doctor's account"):
            call_command("pacs_ingest")
