"""Every patient reference a person types is cleaned one way, patient_ids.patient_reference, as a
DICOM PatientID is: on upload (web form and API), on a reading's page (AnnotationForm), in the
history's patient filter and on the compare page; and the data migration 0010 cleans the rows
stored before. A reference pasted from a hospital system with a zero-width space (U+200B), a
no-break space (U+00A0), a byte-order mark (U+FEFF) or doubled spaces in it used to be kept as
sent, so that it looked like, but was not, the same reference typed by hand: the history's
filter and the compare page did not find it. Real database, real X-rays from ../shared, the
stub model."""
from __future__ import annotations

import importlib
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening.batch_models import BatchItem, UploadBatch
from webapp.screening.models import ApiToken, Reading
from webapp.screening.patient_ids import patient_reference

pytestmark = pytest.mark.django_db

ZWSP, NBSP, BOM, SHY = "\u200b", "\u00a0", "\ufeff", "\u00ad"
# As pasted: a byte-order mark before, a no-break space and doubled spaces inside, a zero-width
# space after. Kept as "RM 001234".
PASTED = f"{BOM}RM{NBSP}{NBSP} 001234{ZWSP}  "
CLEAN = "RM 001234"

migration = importlib.import_module("webapp.screening.migrations.0010_clean_patient_references")


@pytest.mark.parametrize(("value", "kept"), [
    (f"RM{ZWSP}001234", "RM001234"),              # zero-width space: nothing to see, dropped
    (f"RM{NBSP}001234", "RM 001234"),             # no-break space: a space (it was dropped: "RM001234")
    (f"{BOM}RM-001234", "RM-001234"),             # byte-order mark (Cf) dropped
    (f"RM-00{SHY}1234", "RM-001234"),             # soft hyphen (Cf) dropped
    ("RM\u2009001234", "RM 001234"),              # thin space
    ("RM\t001234\n", "RM 001234"),                # tab and new line: a space (they were dropped)
    ("RM\u2028001234", "RM 001234"),              # line separator
    ("RM  \u3000 001234", "RM 001234"),           # a run of white space: one space
    (PASTED, CLEAN),
    ("RM\x07-0042\x00", "RM-0042"),               # control characters dropped, as before
    ("Siti Aminah", "Siti Aminah"),
    ("Nguyễn Văn An", "Nguyễn Văn An"),           # letters of any script kept
])
def test_invisible_characters_are_dropped_and_every_space_is_one_space(value, kept):
    assert patient_reference(value) == kept
    assert migration.clean(value) == kept  # the migration's frozen copy agrees


def upload(client, path, **fields):
    return client.post(reverse("screening:upload"), {
        "image": SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/png"), **fields})


def test_the_upload_form_keeps_a_pasted_reference_clean(make_user, screening_settings, xray_paths):
    doctor = make_user(role="doctor")
    client = Client()
    client.force_login(doctor)
    response = upload(client, xray_paths["covid"][0], patient_reference=PASTED)
    assert response.status_code == 302, response.content[:300]
    assert Reading.objects.get(owner=doctor).patient_reference == CLEAN


def test_a_batch_upload_keeps_a_pasted_reference_clean(make_user, screening_settings, xray_paths):
    doctor = make_user(role="doctor")
    client = Client()
    client.force_login(doctor)
    files = [SimpleUploadedFile(p.name, p.read_bytes(), content_type="image/png")
             for p in (xray_paths["covid"][0], xray_paths["normal"][0])]
    response = client.post(reverse("screening:upload"), {"image": files, "patient_reference": PASTED})
    assert response.status_code == 302, response.content[:300]
    assert list(BatchItem.objects.values_list("patient_reference", flat=True)) == [CLEAN, CLEAN]


def test_the_api_keeps_a_pasted_reference_clean(make_user, screening_settings, xray_paths):
    doctor = make_user(role="doctor")
    _token, key = ApiToken.issue(doctor)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    path = xray_paths["normal"][0]
    response = api.post(reverse("api:readings"), {
        "image": SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/png"),
        "patient_reference": PASTED})
    assert response.status_code == 201, response.content[:300]
    assert response.json()["patient_reference"] == CLEAN
    assert Reading.objects.get(owner=doctor).patient_reference == CLEAN


def test_the_api_refuses_a_reference_over_64_characters_once_tidied(make_user, screening_settings, xray_paths):
    """The 64 characters are counted after cleaning (invisible ones are not the reader's), and a
    reference still longer is refused, never cut."""
    doctor = make_user(role="doctor")
    _token, key = ApiToken.issue(doctor)
    path = xray_paths["normal"][0]
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(reverse("api:readings"), {
        "image": SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/png"),
        "patient_reference": "R" * 65 + ZWSP})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_reference"
    assert not Reading.objects.filter(owner=doctor).exists()
    response = api.post(reverse("api:readings"), {
        "image": SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/png"),
        "patient_reference": "R" * 60 + ZWSP * 5})
    assert response.status_code == 201
    assert Reading.objects.get(owner=doctor).patient_reference == "R" * 60


def test_a_reference_edited_on_the_reading_page_is_kept_clean(make_user, make_reading, xray_paths):
    doctor = make_user(role="doctor")
    reading = make_reading(doctor, xray_paths["covid"][0])
    client = Client()
    client.force_login(doctor)
    response = client.post(reverse("screening:annotate", args=[reading.pk]),
                           {"patient_reference": PASTED, "note": "follow up"})
    assert response.status_code == 302, response.content[:300]
    reading.refresh_from_db()
    assert reading.patient_reference == CLEAN
    assert reading.note == "follow up"


def test_the_history_filter_and_compare_page_find_a_pasted_reference(make_user, make_reading, xray_paths):
    doctor = make_user(role="doctor")
    first = make_reading(doctor, xray_paths["covid"][0])
    second = make_reading(doctor, xray_paths["normal"][0])
    Reading.objects.filter(pk__in=[first.pk, second.pk]).update(patient_reference=CLEAN)
    other = make_reading(doctor, xray_paths["pneumonia"][0])
    Reading.objects.filter(pk=other.pk).update(patient_reference="RM 999")
    client = Client()
    client.force_login(doctor)

    html = client.get(reverse("screening:history"), {"patient": PASTED}).content.decode()
    assert "No reading matches these filters." not in html
    for reading in (first, second):
        assert reverse("screening:detail", args=[reading.pk]) in html
    assert reverse("screening:detail", args=[other.pk]) not in html
    # The compare link names the reference as stored, not as pasted.
    assert f'href="{reverse("screening:compare")}?patient={quote(CLEAN)}"' in html

    compare = client.get(reverse("screening:compare"), {"patient": PASTED}).content.decode()
    assert compare.count('data-testid="compare-item"') == 2


def test_the_migration_cleans_stored_references(make_user, make_reading, xray_paths):
    doctor = make_user(role="doctor")
    dirty = make_reading(doctor, xray_paths["covid"][0])
    clean = make_reading(doctor, xray_paths["normal"][0])
    blank = make_reading(doctor, xray_paths["normal"][1])
    Reading.objects.filter(pk=dirty.pk).update(patient_reference=PASTED)
    Reading.objects.filter(pk=clean.pk).update(patient_reference="RM-7")
    batch = UploadBatch.objects.create(owner=doctor)
    item = BatchItem.objects.create(batch=batch, index=0, size=1, upload_path="x",
                                    patient_reference=f"RM{ZWSP}-8  b")

    migration.clean_references(django_apps, None)

    references = dict(Reading.objects.values_list("pk", "patient_reference"))
    assert references == {dirty.pk: CLEAN, clean.pk: "RM-7", blank.pk: ""}
    item.refresh_from_db()
    assert item.patient_reference == "RM-8 b"
    # Reversible, as a step that changes nothing (the old spellings are not kept).
    operation = migration.Migration.operations[0]
    assert operation.reversible and operation.reverse_code is operation.noop
