"""Issue 17, item 13, on the server: several files in one plain form POST, the history as CSV
(same filters and ownership as the history page), and a doctor's side-by-side comparison of one
patient's readings. The browser side (progress bars, the viewer) is in test_screening_tools_e2e.py.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from webapp.screening import batches, outcomes, presentation, views
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import astronaut_jpeg, store_reading

pytestmark = pytest.mark.django_db


def post_files(client, files, **fields):
    data = {"image": [SimpleUploadedFile(name, content) for name, content in files], **fields}
    return client.post(reverse("screening:upload"), data)


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="cxr-readings-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read UTF-8
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


# --- several files without JavaScript ---------------------------------------------------------

def test_several_files_in_one_plain_post_get_one_row_each(doctor_client, doctor, model_dir, media_root,
                                                         xray_paths, settings, tmp_path):
    # Several files are queued (webapp/screening/batches.py, tested with a real worker in
    # test_batches_worker.py); here the queued jobs run in this process.
    settings.DATA_DIR = tmp_path
    files = [("first.png", xray_paths["covid"][0].read_bytes()),
             ("holiday.jpg", astronaut_jpeg()),
             ("empty.png", b""),
             ("second.png", xray_paths["normal"][0].read_bytes())]
    response = post_files(doctor_client, files, patient_reference="MRN-7")
    assert response.status_code == 302
    batches.run_queued()
    response = doctor_client.get(response["Location"])
    html = response.content.decode()
    assert response.status_code == 200
    readings = list(Reading.objects.order_by("id"))
    assert len(readings) == 2
    assert {r.patient_reference for r in readings} == {"MRN-7"}
    assert "2 of 4 files were read." in html
    rows = html.split('data-testid="batch-item"')[1:]
    assert len(rows) == 4
    assert reverse("screening:detail", args=[readings[0].pk]) in rows[0]
    assert "This does not look like a chest X-ray" in rows[1]
    assert "The file is empty" in rows[2]
    assert reverse("screening:detail", args=[readings[1].pk]) in rows[3]


def test_several_files_none_readable(patient_client, model_dir, media_root, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = post_files(patient_client, [("a.txt", b"hello"), ("b.txt", b"world")])
    batches.run_queued()
    assert "0 of 2 files were read." in patient_client.get(response["Location"]).content.decode()
    assert Reading.objects.count() == 0


def test_too_many_files_are_refused_before_reading_any(doctor_client, model_dir, media_root, monkeypatch,
                                                       xray_paths):
    monkeypatch.setattr(views, "MAX_FILES_PER_UPLOAD", 2)
    data = xray_paths["normal"][0].read_bytes()
    response = post_files(doctor_client, [("a.png", data), ("b.png", data), ("c.png", data)],
                          patient_reference="Ward 7 / bed 2", reference_from_dicom="on")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose at most 2 files at a time." in html
    assert Reading.objects.count() == 0
    # The form comes back as it was sent: the reference typed and the box ticked are kept.
    assert 'value="Ward 7 / bed 2"' in html
    assert re.search(r'<input[^>]*name="reference_from_dicom"[^>]*checked', html)


def test_an_oversized_body_keeps_the_reference_typed(doctor, model_dir, media_root, settings, xray_paths):
    """A browser's form POST: CsrfViewMiddleware reads request.POST for its token before the view
    refuses the body for its size, so the reference typed is there and comes back in the form."""
    from django.test import Client

    settings.MAX_UPLOAD_BYTES = 20_000  # the two X-rays together are far over it
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(doctor)
    page = browser.get(reverse("screening:upload")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    files = [SimpleUploadedFile(p.name, p.read_bytes()) for p in (xray_paths["covid"][0], xray_paths["normal"][0])]
    response = browser.post(reverse("screening:upload"), {
        "csrfmiddlewaretoken": token, "image": files,
        "patient_reference": "Ward 7 / bed 2", "reference_from_dicom": "on"})
    assert response.status_code == 413
    html = response.content.decode()
    assert "The files are too large together" in html and Reading.objects.count() == 0
    assert 'value="Ward 7 / bed 2"' in html
    assert re.search(r'<input[^>]*name="reference_from_dicom"[^>]*checked', html)
    assert 'data-testid="typed-not-kept"' not in html


def test_an_oversized_body_no_one_read_is_not_read_and_the_page_says_so(doctor_client, model_dir, media_root,
                                                                         settings, xray_paths, monkeypatch):
    """Without the CSRF check (the test client) nothing has read the body when the view refuses it;
    the view does not parse it only to find the reference, and says the reference was not kept."""
    from django.http.request import HttpRequest

    settings.MAX_UPLOAD_BYTES = 20_000
    parsed = []
    real = HttpRequest._load_post_and_files
    monkeypatch.setattr(HttpRequest, "_load_post_and_files", lambda self: parsed.append(1) or real(self))
    data = xray_paths["normal"][0].read_bytes()
    response = post_files(doctor_client, [("a.png", data), ("b.png", data)], patient_reference="Ward 7 / bed 2")
    assert response.status_code == 413
    assert parsed == []  # refused from its Content-Length alone
    doctor_client.post(reverse("screening:upload"), {"patient_reference": "x"})
    assert parsed == [1]  # (the spy sees a body that is read)
    html = response.content.decode()
    note = html[html.index('data-testid="typed-not-kept"'):]
    assert "the reference you typed could not be kept: type it again" in note[:note.index("</p>")]
    doctor_client.cookies["django_language"] = "id"
    html = post_files(doctor_client, [("a.png", data), ("b.png", data)], patient_reference="x").content.decode()
    assert "kode pasien yang Anda ketik tidak dapat disimpan: ketik lagi" in html


# --- CSV export -------------------------------------------------------------------------------

def test_csv_holds_the_owners_readings_only(patient_client, patient, make_user, model_dir, media_root,
                                            xray_paths):
    other = make_user()
    store_reading(other, model_dir, xray_paths["covid"][0], patient_reference="OTHER-1")
    first = store_reading(patient, model_dir, xray_paths["covid"][0], patient_reference="=HYPERLINK(1)")
    second = store_reading(patient, model_dir, xray_paths["normal"][0])
    rows = csv_rows(patient_client.get(reverse("screening:history_csv")))
    assert [int(r["id"]) for r in rows] == [second.pk, first.pk]  # newest first, as the page
    by_id = {int(r["id"]): r for r in rows}
    row = by_id[first.pk]
    assert row["outcome"] == first.outcome
    assert row["result"] == outcomes.headline(first.outcome)
    assert abs(float(row["p_covid"]) - first.probabilities["covid"]) < 1e-4
    assert row["patient_reference"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert row["model_version"] == first.model_version
    assert row["url"].endswith(reverse("screening:detail", args=[first.pk]))
    assert "OTHER-1" not in str(rows)
    # Each label's caveat and the image's warnings in words, not only as codes.
    assert row["warning_messages"] == " | ".join(presentation.warning_texts(first))
    assert row["warnings"] and row["warning_messages"]


def test_csv_words_the_warnings_in_the_readers_language(patient_client, patient, model_dir, media_root, xray_paths):
    from django.utils import translation

    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    [row] = csv_rows(patient_client.get(reverse("screening:history_csv"), HTTP_ACCEPT_LANGUAGE="id"))
    with translation.override("id"):
        assert row["warning_messages"] == " | ".join(presentation.warning_texts(reading)) != ""
        assert row["result"] == outcomes.headline(reading.outcome)


@pytest.mark.parametrize("language, words", [
    ("en", "This is a screening aid, not a diagnosis. A clinician and an RT-PCR test decide."),
    ("id", "Ini alat bantu skrining, bukan diagnosis. Dokter dan tes RT-PCR yang menentukan."),
])
def test_every_csv_row_says_it_is_not_a_diagnosis_in_the_readers_language(
        language, words, patient_client, patient, model_dir, media_root, xray_paths):
    """As every page and the PDF do, in a column: the header stays the first line (csv readers and
    spreadsheets take it as the column names) and the words stay with each row, last so that the
    other columns keep their positions."""
    store_reading(patient, model_dir, xray_paths["covid"][0])
    store_reading(patient, model_dir, xray_paths["normal"][0])
    response = patient_client.get(reverse("screening:history_csv"), HTTP_ACCEPT_LANGUAGE=language)
    rows = csv_rows(response)
    assert len(rows) == 2 and all(int(r["id"]) for r in rows)
    header = next(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    assert header[-1] == "disclaimer" and header[0] == "id"
    assert all(r["disclaimer"].startswith(words) for r in rows)


def test_csv_follows_the_history_filters(doctor_client, doctor, model_dir, media_root, xray_paths):
    tagged = store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="MRN-1", note="PCR")
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="MRN-2")
    rows = csv_rows(doctor_client.get(reverse("screening:history_csv") + "?patient=mrn-1"))
    assert [int(r["id"]) for r in rows] == [tagged.pk]
    assert rows[0]["note"] == "PCR"
    outcome_rows = csv_rows(doctor_client.get(reverse("screening:history_csv") + f"?outcome={tagged.outcome}"))
    assert tagged.pk in {int(r["id"]) for r in outcome_rows}
    assert all(r["outcome"] == tagged.outcome for r in outcome_rows)
    # The history page offers the CSV of what it shows.
    html = doctor_client.get(reverse("screening:history") + "?patient=mrn-1").content.decode()
    assert reverse("screening:history_csv") + "?patient=mrn-1" in html


def test_patients_csv_ignores_doctor_only_filters(patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    rows = csv_rows(patient_client.get(reverse("screening:history_csv") + "?patient=nobody"))
    assert [int(r["id"]) for r in rows] == [reading.pk]


def test_csv_needs_an_account(client):
    response = client.get(reverse("screening:history_csv"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- one patient's readings side by side --------------------------------------------------------

def test_doctor_compares_one_patients_readings_oldest_first(doctor_client, doctor, make_user, model_dir,
                                                           media_root, xray_paths):
    older = store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="MRN-9")
    newer = store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="mrn-9")
    elsewhere = store_reading(doctor, model_dir, xray_paths["pneumonia"][0], patient_reference="MRN-10")
    someone_elses = store_reading(make_user(role="doctor"), model_dir, xray_paths["covid"][1],
                                  patient_reference="MRN-9")
    html = doctor_client.get(reverse("screening:compare") + "?patient=MRN-9").content.decode()
    items = html.split('data-testid="compare-item"')[1:]
    assert len(items) == 2
    assert reverse("screening:detail", args=[older.pk]) in items[0]
    assert reverse("screening:detail", args=[newer.pk]) in items[1]
    assert outcomes.headline(older.outcome) in items[0]
    for pk in (elsewhere.pk, someone_elses.pk):
        assert reverse("screening:detail", args=[pk]) not in html

    # The reading page links to it; without a reference the doctor picks one.
    detail = doctor_client.get(reverse("screening:detail", args=[older.pk])).content.decode()
    assert 'data-testid="compare-link"' in detail and "?patient=MRN-9" in detail
    chooser = doctor_client.get(reverse("screening:compare")).content.decode()
    assert "?patient=MRN-9" in chooser and "?patient=MRN-10" in chooser


def test_patients_and_pending_doctors_cannot_compare(patient_client, make_user, model_dir, media_root):
    assert patient_client.get(reverse("screening:compare") + "?patient=X").status_code == 403
    from django.test import Client

    pending = Client()
    pending.force_login(make_user(role="doctor", doctor_verified_at=None))
    assert pending.get(reverse("screening:compare")).status_code == 403


def test_compare_shows_the_newest_readings_and_says_when_older_are_left_out(doctor_client, doctor, model_dir,
                                                                          media_root, xray_paths, monkeypatch):
    """It showed the oldest COMPARE_MAX and dropped the newest; and said "the first N are shown"
    when exactly N existed, nothing left out."""
    from datetime import timedelta

    monkeypatch.setattr(views, "COMPARE_MAX", 2)
    readings = [store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="PT-3")
                for _ in range(3)]
    for days, reading in enumerate(readings):
        Reading.objects.filter(pk=reading.pk).update(created_at=reading.created_at + timedelta(days=days))
    url = reverse("screening:compare") + "?patient=PT-3"
    html = doctor_client.get(url).content.decode()
    shown = re.findall(r'data-testid="compare-item".*?href="/screening/readings/(\d+)/"', html, re.S)
    assert shown == [str(readings[1].pk), str(readings[2].pk)]  # the newest two, oldest first
    assert 'data-testid="compare-more"' in html
    Reading.objects.filter(pk=readings[0].pk).delete()
    assert 'data-testid="compare-more"' not in doctor_client.get(url).content.decode()  # exactly 2


def test_compare_lists_a_reference_once_whatever_its_case(doctor_client, doctor, model_dir, media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="Case")
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="CASE")
    html = doctor_client.get(reverse("screening:compare")).content.decode()
    entries = re.findall(r'\?patient=(case)"[^>]*>[^<]*</a>\s*<span class="muted">([^<]*)<', html, re.I)
    assert len(entries) == 1 and entries[0][1].strip() == "2 readings"


def test_compare_names_every_spelling_it_takes_as_one_patient(doctor_client, doctor, model_dir, media_root,
                                                             xray_paths):
    """"ab-12" and "AB-12" are compared as one patient; the header named only the spelling typed,
    and nothing on the page showed that readings of another spelling were among the cards."""
    lower = store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="ab-12")
    upper = [store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="AB-12")
             for _ in range(2)]
    html = doctor_client.get(reverse("screening:compare") + "?patient=ab-12").content.decode()
    assert len(html.split('data-testid="compare-item"')[1:]) == 3
    box = html[html.index('data-testid="compare-spellings"'):]
    box = box[:box.index("</div>")]
    assert "compared here as one patient" in box
    assert re.search(r"<strong class=\"reference\">AB-12</strong>\s*<span class=\"muted\">2 readings</span>", box)
    assert re.search(r"<strong class=\"reference\">ab-12</strong>\s*<span class=\"muted\">1 reading</span>", box)
    # Each card says which spelling it was read under.
    for reading in [lower, *upper]:
        card = html[html.index(reverse("screening:detail", args=[reading.pk])):]
        card = card[:card.index("</li>")]
        assert f"Patient reference: <strong class=\"reference\">{reading.patient_reference}</strong>" in card
    # The list of references names the other spelling beside the one it links.
    chooser = doctor_client.get(reverse("screening:compare")).content.decode()
    assert re.search(r'\?patient=AB-12">AB-12</a>.*?3 readings.*?also written ab-12', chooser, re.S)
    # In Indonesian too.
    doctor_client.cookies["django_language"] = "id"
    html = doctor_client.get(reverse("screening:compare") + "?patient=AB-12").content.decode()
    assert "dibandingkan di sini sebagai satu pasien" in html and "Kode pasien: <strong class=\"reference\">ab-12</strong>" in html
    assert "juga ditulis ab-12" in doctor_client.get(reverse("screening:compare")).content.decode()


def test_compare_with_one_spelling_names_it_as_stored_and_says_nothing_more(doctor_client, doctor, model_dir,
                                                                             media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM-7")
    html = doctor_client.get(reverse("screening:compare") + "?patient=rm-7").content.decode()
    assert "<h1>Readings of RM-7</h1>" in html
    assert 'data-testid="compare-spellings"' not in html and 'data-testid="compare-item-reference"' not in html
    assert 'data-testid="compare-reference-spellings"' not in doctor_client.get(reverse("screening:compare")).content.decode()


def test_the_history_compare_link_opens_a_whole_reference_or_the_list(doctor_client, doctor, model_dir, media_root,
                                                                      xray_paths):
    """The history's patient filter matches parts of references, the compare page whole ones: a
    link carrying "PT" found nothing there."""
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="PT-13")
    link = re.compile(r'href="([^"]*)" data-testid="compare-link"')
    partial = doctor_client.get(reverse("screening:history") + "?patient=PT").content.decode()
    assert link.search(partial).group(1) == reverse("screening:compare")
    whole = doctor_client.get(reverse("screening:history") + "?patient=pt-13").content.decode()
    assert link.search(whole).group(1) == reverse("screening:compare") + "?patient=pt-13"


@pytest.mark.parametrize("query", ["outcome=bogus", "note=" + "x" * 101])
def test_an_invalid_filter_lists_and_exports_nothing(doctor_client, doctor, model_dir, media_root, xray_paths,
                                                    query):
    """An invalid filter was dropped silently: every reading was listed, and exported, under the
    patient filter still shown in its box."""
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="PT-13")
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="OTHER")
    html = doctor_client.get(reverse("screening:history") + f"?patient=PT-13&{query}").content.decode()
    assert 'data-testid="history-filter-error"' in html and 'class="errorlist' in html
    assert 'data-testid="reading-list"' not in html and 'data-testid="history-csv"' not in html
    exported = doctor_client.get(reverse("screening:history_csv") + f"?patient=PT-13&{query}")
    assert exported.status_code == 400 and "nothing was exported" in exported.content.decode()


# --- the caveat beside every list of results -----------------------------------------------------

def test_every_list_of_results_says_it_is_not_a_diagnosis(doctor_client, doctor, model_dir, media_root,
                                                          xray_paths, settings, tmp_path):
    """The history, a patient's comparison and a multi-file upload show outcomes (and
    probabilities) as the reading page does, so they carry its caveat with the results, before
    the list, not only in the page's footer; in either language."""
    settings.DATA_DIR = tmp_path
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="MRN-5")
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="MRN-5")
    response = post_files(doctor_client, [("a.png", xray_paths["pneumonia"][0].read_bytes()),
                                          ("b.png", xray_paths["normal"][1].read_bytes())])
    batches.run_queued()
    pages = {reverse("screening:history"): 'data-testid="reading-list"',
             reverse("screening:compare") + "?patient=MRN-5": 'data-testid="compare-grid"',
             response["Location"]: 'data-testid="batch"'}
    for language, caveat in (("en", "The results below are AI screening estimates, not diagnoses: a "
                                    "clinician and an RT-PCR test decide."),
                             ("id", "Hasil di bawah ini adalah perkiraan skrining AI, bukan diagnosis: "
                                    "dokter dan tes RT-PCR yang menentukan.")):
        doctor_client.cookies.load({"django_language": language})
        for url, results in pages.items():
            html = doctor_client.get(url).content.decode()
            main = html[html.index("<main"):html.index("</main>")]  # the footer says it on every page
            assert main.count('data-testid="results-caveat"') == 1, url
            box = main[main.index('data-testid="results-caveat"'):]
            assert box[:box.index("</p>")].endswith(f"<strong>{caveat}</strong>"), url
            assert main.index('data-testid="results-caveat"') < main.index(results), url
