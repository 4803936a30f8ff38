"""Issue 17, item 12: an upload's file name is never kept (names often hold the patient's name);
a verified doctor may type a reference, or take a DICOM file's PatientID when they opt in (no
one else keeps a reference: test_upload_reference_for_doctors.py); DICOMs whose header says text
is burned into the picture get a warning; a data migration forgets the names readings stored
before.

Real X-rays from ../shared, the served model and the real database.
"""
from __future__ import annotations

import importlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation

from webapp.screening import engine_text
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import dicom_with_patient, pdf_all_text

pytestmark = pytest.mark.django_db

NAMED_FILE = "Budi Santoso 1961-04-02 thorax.png"


def post(client, files, **fields):
    data = {"image": [SimpleUploadedFile(name, content, content_type="application/octet-stream")
                      for name, content in files], **fields}
    return client.post(reverse("screening:upload"), data)


def dicom_burned_in(image_path, value: str = "YES") -> bytes:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(dicom_with_patient(image_path)))
    ds.BurnedInAnnotation = value
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def everything_shown(client, reading) -> str:
    """The reading's row and every page, report and PDF that shows it, as one text."""
    pages = [client.get(reverse(name, args=[reading.pk])).content.decode()
             for name in ("screening:detail", "screening:report", "screening:delete")]
    pages.append(client.get(reverse("screening:history")).content.decode())
    pages.append(client.get(reverse("screening:history_csv")).content.decode("utf-8-sig"))
    pages.append(pdf_all_text(client.get(reverse("screening:report_pdf", args=[reading.pk])).content))
    row = Reading.objects.filter(pk=reading.pk).values().get()
    return "\n".join(pages) + str(row)


def test_the_file_name_is_kept_nowhere(patient_client, model_dir, media_root, xray_paths):
    path = xray_paths["normal"][0]
    response = post(patient_client, [(NAMED_FILE, path.read_bytes())])
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert "original_filename" not in {f.name for f in Reading._meta.get_fields()}
    shown = everything_shown(patient_client, reading)
    for part in ("Budi", "Santoso", "1961-04-02", "thorax"):
        assert part not in shown
    assert reading.patient_reference == ""


def test_a_typed_reference_is_kept_and_shown(doctor_client, model_dir, media_root, xray_paths):
    path = xray_paths["covid"][0]
    response = post(doctor_client, [(NAMED_FILE, path.read_bytes())],
                    patient_reference="  RM-2024   0042 ")
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert reading.patient_reference == "RM-2024 0042"  # spaces tidied
    detail = doctor_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert 'data-testid="reading-reference">RM-2024 0042<' in detail
    assert "RM-2024 0042" in doctor_client.get(reverse("screening:history")).content.decode()
    assert "Santoso" not in detail and "thorax" not in detail  # (the doctor's own name is Budi)


def test_a_reference_longer_than_the_column_is_refused_before_any_reading(doctor_client, model_dir,
                                                                          media_root, xray_paths):
    path = xray_paths["covid"][0]
    response = post(doctor_client, [("x.png", path.read_bytes())], patient_reference="R" * 65)
    assert response.status_code == 400
    assert "Check the reference" in response.content.decode()
    assert Reading.objects.count() == 0


@pytest.mark.parametrize(("opt_in", "typed", "kept"), [
    (False, "", ""),                          # the PatientID is never taken unasked
    (True, "", "SECRET-ID-4711"),             # asked: the header's PatientID
    (True, "Ward 3 bed 2", "Ward 3 bed 2"),  # a typed reference wins
])
def test_dicom_patient_id_only_when_the_person_opts_in(doctor_client, model_dir, media_root, xray_paths,
                                                      opt_in, typed, kept):
    data = dicom_with_patient(xray_paths["covid"][1])
    fields = {"patient_reference": typed}
    if opt_in:
        fields["reference_from_dicom"] = "on"
    response = post(doctor_client, [("study.dcm", data)], **fields)
    assert response.status_code == 302, response.content[:400]
    reading = Reading.objects.get()
    assert reading.patient_reference == kept
    if not kept:
        assert "SECRET-ID-4711" not in everything_shown(doctor_client, reading)


def test_opting_in_with_a_png_keeps_no_reference(doctor_client, model_dir, media_root, xray_paths):
    response = post(doctor_client, [("scan.png", xray_paths["normal"][0].read_bytes())],
                    reference_from_dicom="on")
    assert response.status_code == 302
    assert Reading.objects.get().patient_reference == ""


@pytest.mark.parametrize("language", ["en", "id"])
def test_burned_in_annotation_gets_a_warning(patient_client, model_dir, media_root, xray_paths, language):
    response = post(patient_client, [("study.dcm", dicom_burned_in(xray_paths["covid"][1]))])
    assert response.status_code == 302, response.content[:400]
    reading = Reading.objects.get()
    assert "dicom_burned_in_text" in [w["code"] for w in reading.warnings]
    html = patient_client.get(reverse("screening:detail", args=[reading.pk]),
                              HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-code="dicom_burned_in_text"' in html
    with translation.override(language):
        sentence = engine_text.translate("dicom_burned_in_text", {}, "")
    assert sentence and sentence.replace("'", "&#x27;") in html
    if language == "id":
        assert "tercetak di dalam gambar" in html


def test_burned_in_annotation_no_gets_no_warning(patient_client, model_dir, media_root, xray_paths):
    response = post(patient_client, [("study.dcm", dicom_burned_in(xray_paths["covid"][1], "NO"))])
    assert response.status_code == 302
    assert "dicom_burned_in_text" not in [w.get("code") for w in Reading.objects.get().warnings]


def test_the_data_migration_forgets_stored_file_names(patient, transactional_db):
    """Run the migration's function on the schema before it (the column still there), then check
    the schema after it has no such column."""
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("webapp.screening.migrations.0006_reading_forget_file_names")
    before = [("screening", dict(migration.Migration.dependencies)["screening"])]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldReading = old_apps.get_model("screening", "Reading")
        common = dict(owner_id=patient.pk, original_path="a", thumbnail_path="b", heatmap_path="c")
        named = OldReading.objects.create(original_filename="Siti Aminah chest.dcm", **common)
        unnamed = OldReading.objects.create(original_filename="", **common)
        migration.blank_file_names(old_apps, None)
        assert set(OldReading.objects.values_list("original_filename", flat=True)) == {""}
        assert {named.pk, unnamed.pk} == set(OldReading.objects.values_list("pk", flat=True))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "screening_reading")]
    assert "original_filename" not in columns
    assert "patient_reference" in columns


def test_a_deflate_bomb_is_refused_without_unpacking_it_for_its_patient_id(doctor_client, model_dir,
                                                                            media_root):
    """Reading the PatientID opened the file with pydicom, which unpacks a deflated data set
    whole: ~80 KB here became 84 MB (1 MB would be 1 GiB). Both that and decoding now count the
    unpacked bytes first and refuse the file past the limit."""
    import tracemalloc

    import numpy as np

    from tests.support.hostile_corpus import deflated_dicom

    bomb = deflated_dicom(np.zeros((6000, 7000), np.uint16))
    tracemalloc.start()
    try:
        response = post(doctor_client, [("bomb.dcm", bomb)], reference_from_dicom="on")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert "unpacks to more than 64 MiB" in response.content.decode()
    assert Reading.objects.count() == 0
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB held while refusing an 80 KB file"


def test_a_patient_id_with_a_backslash_is_kept_as_written(doctor_client, model_dir, media_root, xray_paths):
    """pydicom reads a backslash as a value separator: the reference was stored as "['ÄÖ', 'multi']"."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(dicom_with_patient(xray_paths["covid"][1])))
    ds.PatientID = "ÄÖ\\multi"
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    response = post(doctor_client, [("study.dcm", buffer.getvalue())], reference_from_dicom="on")
    assert response.status_code == 302, response.content[:400]
    assert Reading.objects.get().patient_reference == "ÄÖ\\multi"
