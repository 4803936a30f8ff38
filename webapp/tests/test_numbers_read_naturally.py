"""Counts and dates as each language writes them: English 1,234, Indonesian 1.234 (its decimal
comma, 0,5, was already used), and Indonesian month abbreviations, each with its full stop. Counts
of a site account's readings or of a site validation's X-rays pass a thousand; without grouping,
"1234" is harder to read and "1068" on an Indonesian page looks like a year."""
from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from webapp.screening.models import Reading, SiteValidation
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def said(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</p>', html, re.S)
    return " ".join(found.group(1).split()) if found else ""


def many_readings(owner, model_dir, image, count: int) -> None:
    """`count` readings of `owner`: one stored with its files, the others rows only (the count
    is what the pages show, not the files)."""
    first = store_reading(owner, model_dir, image)
    copies = []
    for _ in range(count - 1):
        first.pk, first.storage_key = None, uuid.uuid4()
        copies.append(Reading(**{f.attname: getattr(first, f.attname) for f in Reading._meta.concrete_fields}))
    Reading.objects.bulk_create(copies)


@pytest.mark.parametrize("language, words", [
    ("en", "Listed: 1,234 readings of X-rays taken on or after Jan. 1, 2000."),
    ("id", "Ditampilkan: 1.234 hasil baca foto rontgen yang diambil pada atau setelah 1 Jan. 2000."),
])
def test_a_long_history_counts_its_readings_with_grouped_digits(patient_client, patient, model_dir,
                                                                media_root, xray_paths, language,
                                                                words):
    many_readings(patient, model_dir, xray_paths["normal"][0], 1234)
    patient_client.cookies.load({"django_language": language})
    html = patient_client.get(reverse("screening:history") + "?from=2000-01-01").content.decode()
    assert said(html, "history-days-said") == words


@pytest.mark.parametrize("language, profile, deleted", [
    ("en", "You have 1,234 readings.", "Your account, your 1,234 readings"),
    ("id", "Anda memiliki 1.234 hasil baca.", "Akun Anda, 1.234 hasil baca Anda"),
])
def test_an_account_counts_its_readings_with_grouped_digits(patient_client, patient, model_dir,
                                                            media_root, xray_paths, language,
                                                            profile, deleted):
    many_readings(patient, model_dir, xray_paths["normal"][0], 1234)
    patient_client.cookies.load({"django_language": language})
    for url, words in ((reverse("profile"), profile), (reverse("delete_account"), deleted)):
        text = " ".join(re.sub(r"<[^>]+>", " ", patient_client.get(url).content.decode()).split())
        assert words in text and "1234" not in text


@pytest.mark.parametrize("language, counts, needed", [
    ("en", "1,234 X-rays: 1,200 read, 34 refused as not a chest X-ray.", "±3%: 1,068"),
    ("id", "1.234", "±3%: 1.068"),
])
def test_a_site_validation_groups_its_counts(admin_client, language, counts, needed):
    validation = SiteValidation.objects.create(
        cases=1234, read=1200, refused=34, verdict_code="inconclusive",
        report={"cases_needed": {"+/-0.03": 1068, "+/-0.10": 97}})
    admin_client.cookies["django_language"] = language
    html = admin_client.get(reverse("screening:site_validation_detail", args=[validation.pk]))
    text = " ".join(re.sub(r"<[^>]+>", " ", html.content.decode()).split())
    assert counts in text and needed in text and "1234" not in text and "1068" not in text


def test_indonesian_month_abbreviations_all_end_with_a_full_stop():
    """Django's Indonesian translation writes "Agu" but "Des.", "Okt.", "Sep." (PUEBI: "Agu.")."""
    with translation.override("id"):
        august = date_format(datetime.date(2026, 8, 3), "DATE_FORMAT")
        december = date_format(datetime.date(2026, 12, 3), "DATE_FORMAT")
    assert (august, december) == ("3 Agu. 2026", "3 Des. 2026")
