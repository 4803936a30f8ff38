"""The history ("My readings"), its CSV and the compare page date a reading by the day its X-ray
was taken (forms.xray_day: the DICOM date, Reading.taken_on, else the upload day in the reader's
time zone): the history's `from`/`to` filters and its newest/oldest order used the upload time,
so that an old film uploaded today was listed, filtered and exported as today's X-ray while the
compare page placed it years back. History rows now say "X-ray taken <date>" where the date is
known, as the compare cards do, and the filters say which date they filter on.

Real database, real X-rays from ../shared, the stub model; the browser side is in
test_history_xray_day_e2e.py.
"""
from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db

HISTORY = reverse("screening:history")
CSV = reverse("screening:history_csv")
COMPARE = reverse("screening:compare")
UTC = datetime.UTC


def listed(html: str) -> list[int]:
    """The ids of the readings a page lists (history or compare), in its order."""
    pattern = re.escape(reverse("screening:detail", args=[999999])).replace("999999", r"(\d+)")
    ids = [int(pk) for pk in re.findall(f'href="{pattern}"', html)]
    return list(dict.fromkeys(ids))  # a compare card links its reading twice


def exported(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    text = response.content.decode("utf-8").removeprefix("\ufeff")
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text))]


@pytest.fixture
def films(make_user, make_reading, xray_paths):
    """One patient's three X-rays: a 2019 film uploaded on 12 March 2024, a PNG (no X-ray date)
    uploaded on the 10th, and a DICOM taken on the 11th uploaded on the 13th."""
    doctor = make_user(role="doctor")
    made = {}
    for name, image, taken, uploaded in (
            ("old_film", xray_paths["covid"][0], datetime.date(2019, 5, 1), datetime.datetime(2024, 3, 12, 9, tzinfo=UTC)),
            ("png", xray_paths["normal"][0], None, datetime.datetime(2024, 3, 10, 9, tzinfo=UTC)),
            ("recent", xray_paths["pneumonia"][0], datetime.date(2024, 3, 11), datetime.datetime(2024, 3, 13, 9, tzinfo=UTC))):
        reading = make_reading(doctor, image)
        Reading.objects.filter(pk=reading.pk).update(taken_on=taken, created_at=uploaded, patient_reference="RM-5")
        made[name] = reading.pk
    client = Client()
    client.force_login(doctor)
    return client, made


def test_history_and_csv_are_ordered_by_the_xray_day(films):
    client, ids = films
    newest = [ids["recent"], ids["png"], ids["old_film"]]  # by upload time it was recent, old_film, png
    assert listed(client.get(HISTORY).content.decode()) == newest
    assert listed(client.get(HISTORY, {"order": "newest"}).content.decode()) == newest
    assert listed(client.get(HISTORY, {"order": "oldest"}).content.decode()) == newest[::-1]
    assert exported(client.get(CSV)) == newest
    assert exported(client.get(CSV, {"order": "oldest"})) == newest[::-1]


def test_history_filters_days_by_the_xray_day(films):
    client, ids = films
    cases = {
        ("2019-01-01", "2019-12-31"): [ids["old_film"]],      # was: nothing (uploaded in 2024)
        ("2024-03-12", "2024-03-13"): [],                     # was: recent and old_film (their upload days)
        ("2024-03-10", "2024-03-11"): [ids["recent"], ids["png"]],  # the PNG by its upload day
    }
    for (first, last), expected in cases.items():
        query = {"from": first, "to": last}
        assert listed(client.get(HISTORY, query).content.decode()) == expected, query
        assert exported(client.get(CSV, query)) == expected, query


def test_history_and_compare_give_one_patients_xrays_in_one_order(films):
    client, ids = films
    oldest = listed(client.get(HISTORY, {"patient": "RM-5", "order": "oldest"}).content.decode())
    assert oldest == [ids["old_film"], ids["png"], ids["recent"]]
    assert listed(client.get(COMPARE, {"patient": "RM-5"}).content.decode()) == oldest


def test_history_rows_say_when_the_xray_was_taken(films):
    client, ids = films
    html = client.get(HISTORY).content.decode()
    rows = {int(pk): row for row, pk in
            ((row, re.search(r'href="/[^"]*?/(\d+)/"', row).group(1))
             for row in html.split('<li class="reading-item')[1:])}
    assert 'data-testid="history-taken-on">X-ray taken May 1, 2019</span>' in rows[ids["old_film"]]
    assert 'data-testid="history-taken-on">X-ray taken March 11, 2024</span>' in rows[ids["recent"]]
    assert "X-ray taken" not in rows[ids["png"]]  # a PNG has no such date: only its upload time
    assert "Uploaded March 10, 2024, 9 a.m." in rows[ids["png"]]
    assert "Uploaded March 12, 2024, 9 a.m." in rows[ids["old_film"]]


def test_the_day_filters_say_which_date_they_filter_on(films):
    client, _ids = films
    html = client.get(HISTORY).content.decode()
    assert '<label for="id_from">X-ray taken from:</label>' in html
    assert '<label for="id_to">X-ray taken until:</label>' in html
    assert re.search(r'<input type="date" name="from"[^>]*aria-describedby="id_from_helptext"', html)
    assert re.search(r'<p class="muted small" id="id_from_helptext"[^>]*>X-ray dates come from the DICOM '
                     r"file; an image without one is dated by the day it was uploaded.</p>", html)
