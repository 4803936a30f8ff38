"""The finder credits the hospital lists actually imported, with their origin, licence and date.

Found by an audit: the page always credited "HIFLD (United States) and the Indonesian COVID-19
referral hospital list" whatever was imported, named neither the Indonesian list's origin nor its
licence, named GeoNames without its licence, and showed no date; the Indonesian list's rows, all
COVID-19 referral hospitals, said "Type not listed".
"""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.hospitals.models import Hospital

pytestmark = pytest.mark.django_db


def credits(client, language="en", **query) -> str:
    client.cookies["django_language"] = language
    with translation.override(language):
        html = client.get(reverse("hospitals:nearest"), query).content.decode()
    return html.split('id="data-sources"', 1)[1].split("</section>", 1)[0]


def add_hifld(name, date):
    return Hospital.objects.create(name=name, latitude=41.88, longitude=-87.63, city="CHICAGO", region="IL",
                                   country="USA", type="GENERAL ACUTE CARE", source="hifld",
                                   source_date=date, external_id=name)


def test_only_the_imported_lists_are_credited(client, indonesian_list):
    text = credits(client)
    assert "Indonesian COVID-19 referral hospital list" in text
    assert "https://github.com/hndryno/covid-mobile-app" in text and "MIT" in text
    assert "HIFLD" not in text
    assert "the list gives no date" in text


def test_geonames_and_openstreetmap_are_credited_with_their_licences(client):
    text = credits(client)
    assert 'href="https://www.geonames.org/"' in text and "CC BY 4.0" in text
    assert 'href="https://www.openstreetmap.org/copyright"' in text
    assert "dari <a href=\"https://www.geonames.org/\">GeoNames</a> (" in credits(client, "id")


def test_a_list_is_credited_with_its_latest_source_date(client):
    add_hifld("A", dt.date(2019, 8, 13))
    add_hifld("B", dt.date(2016, 2, 4))
    text = credits(client)
    assert "HIFLD" in text and "Aug. 13, 2019" in text and "Indonesian" not in text
    assert "13 Agu. 2019" in credits(client, "id")


def test_a_users_own_file_is_credited_by_its_name(client):
    Hospital.objects.create(name="RS X", latitude=-6.2, longitude=106.8, source="klinik_kota", external_id="x")
    text = credits(client)
    assert "klinik_kota" in text and "origin and licence are not recorded" in text


def test_no_list_no_list_credit(client):
    assert "Hospital lists" not in credits(client)


@pytest.mark.parametrize(("language", "label"), [("en", "COVID-19 referral hospital"),
                                                 ("id", "Rumah sakit rujukan COVID-19")])
def test_the_indonesian_lists_rows_are_covid_referral_hospitals(client, indonesian_list, language, label):
    client.cookies["django_language"] = language
    with translation.override(language):
        data = client.get(reverse("hospitals:nearest_json"), {"place": "Surabaya"}).json()
        html = client.get(reverse("hospitals:nearest"), {"place": "Surabaya"}).content.decode()
    assert {r["category_label"] for r in data["results"]} == {label}
    assert f'<span class="hospital-type">{label}</span>' in html


def test_a_us_row_without_a_type_keeps_type_not_listed(client):
    Hospital.objects.create(name="Nameless", latitude=41.88, longitude=-87.63, source="hifld", external_id="n",
                            category=Hospital.Category.UNKNOWN)
    data = client.get(reverse("hospitals:nearest_json"), {"lat": "41.88", "lon": "-87.63"}).json()
    assert data["results"][0]["category_label"] == "Type not listed"
