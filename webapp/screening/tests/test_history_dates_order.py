"""The history ("My readings") and its CSV export narrowed to days (`from`, `to`, both included,
in the reader's time zone) and listed newest or oldest first, with paging that keeps both. Real
readings in the test database, their `created_at` set explicitly. The browser side is in
test_history_dates_order_e2e.py.
"""
from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from webapp.screening import views
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
HISTORY = reverse("screening:history")
CSV = reverse("screening:history_csv")


def at(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def listed(html: str) -> list[int]:
    """The ids of the readings the history page lists, in its order."""
    if 'data-testid="reading-list"' not in html:
        return []
    block = html.split('data-testid="reading-list"', 1)[1].split("</ul>", 1)[0]
    pattern = re.escape(reverse("screening:detail", args=[999999])).replace("999999", r"(\d+)")
    return [int(pk) for pk in re.findall(f'href="{pattern}"', block)]


def exported(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8").removeprefix("\ufeff")
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text))]


@pytest.fixture
def jakarta_doctor(doctor):
    doctor.time_zone = "Asia/Jakarta"  # UTC+7, no daylight saving
    doctor.save(update_fields=["time_zone"])
    return doctor


def test_days_are_whole_and_in_the_readers_time_zone(doctor_client, jakarta_doctor,
                                                     model_dir, media_root, xray_paths):
    """A doctor in Jakarta sees times in WIB: `from` and `to` are WIB days, both included to the
    last second, whatever the server's TIME_ZONE (UTC)."""
    image = xray_paths["normal"][0]
    before = store_reading(jakarta_doctor, model_dir, image, created_at=at(2024, 3, 9, 16, 59, 59))  # 9 Mar 23:59:59 WIB
    first = store_reading(jakarta_doctor, model_dir, image, created_at=at(2024, 3, 9, 17, 0, 0))     # 10 Mar 00:00 WIB
    last = store_reading(jakarta_doctor, model_dir, image, created_at=at(2024, 3, 11, 16, 59, 59))   # 11 Mar 23:59:59 WIB
    after = store_reading(jakarta_doctor, model_dir, image, created_at=at(2024, 3, 11, 17, 0, 0))    # 12 Mar 00:00 WIB
    query = "?from=2024-03-10&to=2024-03-11"
    html = doctor_client.get(HISTORY + query).content.decode()
    assert listed(html) == [last.pk, first.pk]
    assert exported(doctor_client.get(CSV + query)) == [last.pk, first.pk]
    # One day: from = to.
    assert listed(doctor_client.get(HISTORY + "?from=2024-03-10&to=2024-03-10").content.decode()) == [first.pk]
    assert listed(doctor_client.get(HISTORY + "?to=2024-03-09").content.decode()) == [before.pk]
    assert listed(doctor_client.get(HISTORY + "?from=2024-03-12").content.decode()) == [after.pk]
    # The page offers the CSV of exactly these filters.
    assert f'href="{CSV}?from=2024-03-10&amp;to=2024-03-11"' in html
    assert "No reading matches these filters." in doctor_client.get(HISTORY + "?from=2024-04-01").content.decode()


def test_a_patient_filters_by_day_in_the_servers_zone(patient_client, patient, model_dir,
                                                     media_root, xray_paths, settings):
    """Every account has the date filters. Without a zone of their own (profile or browser),
    days are the server's TIME_ZONE."""
    assert settings.USE_TZ and settings.TIME_ZONE == "UTC" and patient.time_zone == ""
    image = xray_paths["covid"][0]
    inside = store_reading(patient, model_dir, image, created_at=at(2024, 5, 1, 0, 0, 0))
    store_reading(patient, model_dir, image, created_at=at(2024, 4, 30, 23, 59, 59))
    html = patient_client.get(HISTORY + "?from=2024-05-01&to=2024-05-01").content.decode()
    assert listed(html) == [inside.pk]
    for name in ("from", "to", "order"):
        assert f'<label for="id_{name}">' in html
    assert re.search(r'<input type="date" name="from" value="2024-05-01"[^>]* min="2000-01-01" max="2099-12-31"', html)
    assert exported(patient_client.get(CSV + "?from=2024-05-01&to=2024-05-01")) == [inside.pk]


INVALID = {
    "to-before-from": ("from=2024-03-11&to=2024-03-10", "to", "The end date is before the start date."),
    "year-one": ("from=0001-01-01", "from", "Enter a date between Jan. 1, 2000 and Dec. 31, 2099."),
    "year-9999": ("to=9999-12-31", "to", "Enter a date between Jan. 1, 2000 and Dec. 31, 2099."),
    "five-digit-year": ("to=99999-01-01", "to", "Enter a valid date."),
    "no-such-day": ("from=2024-02-30", "from", "Enter a valid date."),
    "words": ("from=last+week", "from", "Enter a valid date."),
    "unknown-order": ("order=sideways", "order", "Select a valid choice."),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_an_invalid_day_or_order_lists_and_exports_nothing(doctor_client, doctor, model_dir, media_root,
                                                           xray_paths, case):
    """A malformed, absurd or reversed day is a form error beside its field, and nothing is
    listed or exported (as for any invalid filter), never a server error. The doctor's zone is
    the farthest from UTC, where year 1 or 9999 would overflow once turned into an instant."""
    doctor.time_zone = "Pacific/Kiritimati"  # UTC+14
    doctor.save(update_fields=["time_zone"])
    query, field, message = INVALID[case]
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="PT-13",
                  created_at=at(2024, 3, 10, 12))
    response = doctor_client.get(f"{HISTORY}?patient=PT-13&{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="history-filter-error"' in html
    assert re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>{re.escape(message)}', html), html
    assert 'data-testid="reading-list"' not in html and 'data-testid="history-csv"' not in html
    assert "<title>Error:" in html
    # The compare link opens the list of references, not a patient found by an invalid form.
    assert f'href="{reverse("screening:compare")}" data-testid="compare-link"' in html
    response = doctor_client.get(f"{CSV}?patient=PT-13&{query}")
    assert response.status_code == 400
    assert "nothing was exported" in response.content.decode() and message in response.content.decode()


def test_the_day_errors_in_indonesian(patient_client, patient, model_dir, media_root, xray_paths):
    html = patient_client.get(HISTORY + "?from=0001-01-01", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Masukkan tanggal antara 1 Jan. 2000 dan 31 Des. 2099." in html
    assert '<label for="id_from">Rontgen diambil dari tanggal:</label>' in html
    assert '<label for="id_to">Rontgen diambil sampai tanggal:</label>' in html
    assert '<option value="oldest">Terlama di atas</option>' in html
    html = patient_client.get(HISTORY + "?from=2024-03-11&to=2024-03-10", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Tanggal akhir lebih awal daripada tanggal awal." in html
    # The date input's value stays ISO (what an HTML date input reads), not the page's format.
    assert 'value="2024-03-11"' in html


def test_oldest_first_pages_keep_the_filters_and_the_order(doctor_client, doctor, model_dir,
                                                            media_root, xray_paths, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE_SIZE", 2)
    image = xray_paths["pneumonia"][0]
    days = [store_reading(doctor, model_dir, image, patient_reference="PT-13",
                          created_at=at(2024, 6, day, 9)) for day in range(1, 7)]
    # Two at the same instant: the order is still fixed (by id).
    twin = store_reading(doctor, model_dir, image, patient_reference="PT-13", created_at=at(2024, 6, 3, 9))
    other = store_reading(doctor, model_dir, image, patient_reference="OTHER", created_at=at(2024, 6, 4, 9))
    wanted = [days[1], days[2], twin, days[3], days[4]]  # 2 to 5 June, PT-13

    query = "?patient=pt-13&from=2024-06-02&to=2024-06-05&order=oldest"
    first = doctor_client.get(HISTORY + query).content.decode()
    assert listed(first) == [wanted[0].pk, wanted[1].pk]
    assert "Every X-ray you have screened, the oldest X-ray first:" in first
    assert '<option value="oldest" selected>' in first
    assert "Page 1 of 3" in first
    # The next page of an oldest-first list holds newer readings, and its link keeps everything.
    link = re.search(r'<a class="btn btn-secondary btn-small" href="\?([^"]*)" rel="next">Newer</a>', first)
    assert link, first
    kept = link.group(1).replace("&amp;", "&")
    assert set(kept.split("&")) == {"patient=pt-13", "from=2024-06-02", "to=2024-06-05", "order=oldest", "page=2"}
    second = doctor_client.get(HISTORY + "?" + kept).content.decode()
    assert listed(second) == [wanted[2].pk, wanted[3].pk]
    assert re.search(r'href="\?[^"]*page=1[^"]*" rel="prev">Older</a>', second)
    third = doctor_client.get(HISTORY + query + "&page=3").content.decode()
    assert listed(third) == [wanted[4].pk]
    # The export: every page at once, in the same order.
    assert exported(doctor_client.get(CSV + query)) == [r.pk for r in wanted]
    # Newest first (the default, or asked for) is the reverse, with the usual words.
    newest = doctor_client.get(HISTORY + query.replace("oldest", "newest")).content.decode()
    assert listed(newest) == [wanted[4].pk, wanted[3].pk]
    assert re.search(r'rel="next">Older</a>', newest) and "the newest X-ray first:" in newest
    assert exported(doctor_client.get(CSV + "?patient=pt-13&from=2024-06-02&to=2024-06-05")) == [
        r.pk for r in reversed(wanted)]
    assert other.pk not in exported(doctor_client.get(CSV + query))
    # The patient filter still names a whole reference: the compare link opens that patient.
    assert f'href="{reverse("screening:compare")}?patient=pt-13" data-testid="compare-link"' in first


def test_the_order_alone_is_not_a_filter(patient_client, patient, model_dir, media_root, xray_paths):
    html = patient_client.get(HISTORY + "?order=oldest").content.decode()
    assert "You have not screened any X-ray yet." in html and "No reading matches" not in html
    store_reading(patient, model_dir, xray_paths["normal"][0], created_at=at(2024, 1, 2, 3))
    # Clearing the filters keeps the order chosen.
    html = patient_client.get(HISTORY + "?from=2024-01-01&order=oldest").content.decode()
    assert f'<a href="{HISTORY}?order=oldest">Clear</a>' in html
    assert "Clear</a>" not in patient_client.get(HISTORY + "?order=oldest").content.decode()


def test_an_invalid_day_keeps_the_order_and_offers_to_clear(patient_client, patient, model_dir, media_root,
                                                            xray_paths):
    html = patient_client.get(HISTORY + "?from=2024-03-11&to=2024-03-10&order=oldest").content.decode()
    assert 'data-testid="history-filter-error"' in html
    assert "Every X-ray you have screened, the oldest X-ray first:" in html
    assert f'<a href="{HISTORY}?order=oldest">Clear</a>' in html


@pytest.mark.parametrize("query, language, words", [
    ("from=2024-05-01&to=2024-05-31", "en", "Listed: 2 readings of X-rays taken from May 1, 2024 to May 31, 2024."),
    ("from=2024-05-01", "en", "Listed: 2 readings of X-rays taken on or after May 1, 2024."),
    ("to=2024-04-30", "en", "Listed: 1 reading of X-rays taken on or before April 30, 2024."),
    ("from=2024-05-01&to=2024-05-31", "id",
     "Ditampilkan: 2 hasil baca foto rontgen yang diambil dari 1 Mei 2024 sampai 31 Mei 2024."),
])
def test_the_days_looked_for_are_said_in_words(patient_client, patient, model_dir, media_root, xray_paths,
                                               query, language, words):
    """The date boxes show the browser's format (12/01/2026 on an Indonesian page in an English
    browser, an audit), so the list says in the page's words which days it holds."""
    image = xray_paths["covid"][0]
    store_reading(patient, model_dir, image, created_at=at(2024, 5, 1, 12, 0, 0))
    store_reading(patient, model_dir, image, created_at=at(2024, 5, 20, 12, 0, 0))
    store_reading(patient, model_dir, image, created_at=at(2024, 4, 20, 12, 0, 0))
    patient_client.cookies.load({"django_language": language})
    html = patient_client.get(f"{HISTORY}?{query}").content.decode()
    said = re.search(r'data-testid="history-days-said"[^>]*>(.*?)</p>', html, re.S)
    assert said and " ".join(said.group(1).split()) == words


def test_no_days_no_sentence(patient_client, patient, model_dir, media_root, xray_paths):
    store_reading(patient, model_dir, xray_paths["covid"][0])
    for query in ("", "?order=oldest", "?from=2024-05-02&to=2024-05-01"):
        assert 'data-testid="history-days-said"' not in patient_client.get(HISTORY + query).content.decode()
