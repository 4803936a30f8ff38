"""The admin's PACS studies (PACS link > PACS studies): a record of what the link did, viewed not
edited; findable by patient ID and accession number; labelled in the operator's language; and a
row whose results are in the PACS cannot be deleted, since the app would then read the study
again and write a second SR and capture into the PACS (an audit of the admin against Orthanc)."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from webapp.pacs.models import PacsStudy

pytestmark = pytest.mark.django_db

LIST = "/admin/pacs/pacsstudy/"
REASON = ("image 1.2.826.0.1.3680043.2.1143.5142451701963203049212697367249231248: This DICOM "
          "file is compressed as JPEG Extended (Process 2 and 4), 12-bit, which this server "
          "cannot decode; please export it uncompressed or as PNG.")


def written(uid="1.2.826.0.1.3680043.8.498.54479858775864513118781219605154040611"):
    return PacsStudy.objects.create(
        study_instance_uid=uid, state=PacsStudy.State.WRITTEN, patient_id="RSUD-ACC01",
        accession_number="ACC01", study_date="20261205", series_instance_uid="1.2.3.1",
        sop_instance_uid="1.2.3.1.1", view_position="PA", sr_instance_uid="2.25.1",
        sc_instance_uid="2.25.2", read_at=timezone.now(), written_at=timezone.now())


def failed(uid="1.2.826.0.1.3680043.8.498.10318763992974049297350609943167325530"):
    return PacsStudy.objects.create(study_instance_uid=uid, state=PacsStudy.State.FAILED,
                                    reason_code="unsupported_format", reason=REASON,
                                    instances_listed=1)


def page(client, url, language="en", **extra):
    client.cookies["django_language"] = language
    response = client.get(url, **extra)
    return response, response.content.decode()


def test_studies_are_found_by_patient_id_and_accession_number(admin_client):
    study = written()
    failed()
    for query in ("RSUD-ACC01", "ACC01"):
        _, html = page(admin_client, f"{LIST}?q={query}")
        assert study.study_instance_uid in html and "1 PACS study" in html, query


def test_the_list_shows_a_shortened_reason(admin_client):
    failed()
    _, html = page(admin_client, LIST)
    assert "cannot decode" not in re.sub(r'title="[^"]*"', "", html)  # shortened...
    assert f'title="{REASON}"' in html  # ...with the whole reason on hover
    assert "This DICOM file is compressed" in html


@pytest.mark.parametrize("language, words", [
    ("en", ["View PACS study", "Found in the PACS", "SOP instance UID", "Study date",
            "Images listed", "Reason code", "Reason"]),
    ("id", ["Lihat studi PACS", "Ditemukan di PACS", "UID instans SOP", "Tanggal studi",
            "Jumlah gambar terdaftar", "Kode alasan", "Alasan", "Studi PACS 1.2.826"]),
])
def test_a_study_is_viewed_not_edited_in_the_operators_language(admin_client, language, words):
    html = ""
    for study in (written(), failed()):  # a failed one has a reason, not an image read
        response, text = page(admin_client, f"{LIST}{study.pk}/change/", language)
        assert response.status_code == 200
        assert 'name="_save"' not in text and 'name="_continue"' not in text
        html += text
    for word in words:
        assert word in html, word
    if language == "id":
        for english in ("Found at", "Updated at", "Series instance uid", "Sop instance uid",
                        "View position", "Study date", "Instances listed", "Reason code",
                        "Sr instance uid", "Read at", "Written at", "PACS study 1.2"):
            assert english not in html, english
        _, listing = page(admin_client, LIST, language)
        assert "Berdasarkan kode alasan" in listing and "reason code" not in listing


def test_a_study_written_back_cannot_be_deleted(admin_client):
    study = written()
    _, html = page(admin_client, f"{LIST}{study.pk}/change/")
    assert f"{study.pk}/delete/" not in html
    assert admin_client.get(f"{LIST}{study.pk}/delete/").status_code == 403
    assert admin_client.post(f"{LIST}{study.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(LIST, {"action": "delete_selected", "_selected_action": [study.pk],
                             "post": "yes"})
    assert PacsStudy.objects.filter(pk=study.pk).exists()


@pytest.mark.parametrize("language, warning", [
    ("en", "will find it again, read it again and write its results into the PACS. To read a "
           "failed study again, run pacs_ingest --retry-failed instead"),
    ("id", "akan menemukannya lagi, membacanya lagi, dan menulis hasilnya ke PACS. Untuk membaca "
           "lagi studi yang gagal, jalankan pacs_ingest --retry-failed"),
])
def test_deleting_a_failed_study_warns_that_it_is_read_again(admin_client, language, warning):
    study = failed()
    response, html = page(admin_client, f"{LIST}{study.pk}/delete/", language)
    assert response.status_code == 200 and warning in html
    admin_client.post(f"{LIST}{study.pk}/delete/", {"post": "yes"})
    assert not PacsStudy.objects.filter(pk=study.pk).exists()
