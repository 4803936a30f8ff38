"""Counts and dates as each language writes them: English 1,234, Indonesian 1.234 (its decimal
comma, 0,5, was already used), and Indonesian month abbreviations, each with its full stop. Counts
of a site account's readings or of a site validation's X-rays pass a thousand; without grouping,
"1234" is harder to read and "1068" on an Indonesian page looks like a year. So can a doctor's
readings of one patient reference (the compare page), a key's request limit (the API keys page),
the doctors waiting for an administrator (the admin's banner) and a site validation's problems."""
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


def words_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.mark.parametrize("language, counts", [
    ("en", ["MRN-1 1,234 readings", "MRN-1 1,000 readings", "mrn-1 234 readings", "MRN 1 1,001 readings"]),
    ("id", ["MRN-1 1.234 hasil baca", "MRN-1 1.000 hasil baca", "mrn-1 234 hasil baca", "MRN 1 1.001 hasil baca"]),
])
def test_the_compare_page_counts_each_references_readings_with_grouped_digits(
        doctor_client, doctor, model_dir, media_root, xray_paths, language, counts):
    """The list of references, the spellings of one and its look-alikes each count readings."""
    many_readings(doctor, model_dir, xray_paths["normal"][0], 2235)
    readings = list(Reading.objects.filter(owner=doctor).order_by("pk").values_list("pk", flat=True))
    Reading.objects.filter(pk__in=readings[:1000]).update(patient_reference="MRN-1")
    Reading.objects.filter(pk__in=readings[1000:1234]).update(patient_reference="mrn-1")
    Reading.objects.filter(pk__in=readings[1234:]).update(patient_reference="MRN 1")
    doctor_client.cookies.load({"django_language": language})
    listed = words_of(doctor_client.get(reverse("screening:compare")))
    compared = words_of(doctor_client.get(reverse("screening:compare") + "?patient=MRN-1"))
    assert counts[0] in listed and counts[3] in listed
    assert counts[1] in compared and counts[2] in compared and counts[3] in compared
    assert "1234" not in listed + compared and "1001" not in listed + compared


@pytest.mark.parametrize("language, limit", [
    ("en", "At most 1,200 requests a minute"), ("id", "Paling banyak 1.200 permintaan per menit")])
def test_the_api_keys_page_groups_a_keys_request_limit(doctor_client, doctor, language, limit):
    from webapp.screening.api_models import ApiToken

    ApiToken.issue(doctor, "Busy clinic", rate_limit=1200)
    doctor_client.cookies.load({"django_language": language})
    text = words_of(doctor_client.get(reverse("screening:api_token")))
    assert limit in text and "1200" not in text


@pytest.mark.parametrize("language, waiting", [
    ("en", "1,234 doctors are waiting for verification."), ("id", "1.234 dokter menunggu verifikasi.")])
def test_the_admins_banner_groups_the_count_of_waiting_doctors(superuser_client, language, waiting):
    from webapp.accounts.models import Role, User

    User.objects.bulk_create(User(email=f"pending{n}@example.org", full_name=f"Pending {n}",
                                  role=Role.DOCTOR, password="!") for n in range(1234))
    superuser_client.cookies.load({"django_language": language})
    text = words_of(superuser_client.get(reverse("admin:accounts_user_changelist")))
    assert waiting in text and "1234" not in text


@pytest.mark.parametrize("language, rest", [("en", "… and 1,230 more."), ("id", "… dan 1.230 lainnya.")])
def test_a_site_validations_long_list_of_problems_groups_what_it_leaves_out(language, rest):
    from webapp.screening.site_validation import MAX_LISTED_PROBLEMS, _listed

    with translation.override(language):
        listed = _listed([f"problem {n}" for n in range(MAX_LISTED_PROBLEMS + 1230)])
        assert listed[-1] == rest
