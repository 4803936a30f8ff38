"""How the finder words a hospital's place and its not-found example.

Found by an audit: US rows showed raw ISO country codes ("CAGUAS, PR, PRI", "TEXARKANA, TX,
USA"), and the English not-found hint always suggested "Springfield, IL", even on a site whose
lists are Indonesian.
"""
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from webapp.hospitals.models import Hospital

pytestmark = pytest.mark.django_db


def hospital(**values):
    return Hospital(name="X", latitude=0.5, longitude=0.5, source="hifld", external_id="x", **values)


@pytest.mark.parametrize(("language", "country", "shown"), [
    ("en", "USA", "TEXARKANA, TX, United States"),
    ("id", "USA", "TEXARKANA, TX, Amerika Serikat"),
    ("en", "PRI", "TEXARKANA, TX, Puerto Rico"),
    ("en", "Atlantis", "TEXARKANA, TX, Atlantis"),  # not a country code or name: as listed
    ("en", "", "TEXARKANA, TX"),
])
def test_the_country_is_named_not_coded(language, country, shown):
    with translation.override(language):
        assert hospital(city="TEXARKANA", region="TX", country=country).place == shown


def test_the_page_names_the_country(client):
    Hospital.objects.create(name="CHRISTUS ST MICHAEL", latitude=33.45, longitude=-94.08, city="TEXARKANA",
                            region="TX", country="USA", source="hifld", external_id="t")
    with translation.override("en"):
        html = client.get(reverse("hospitals:nearest"), {"lat": "33.44", "lon": "-94.07"}).content.decode()
    assert "TEXARKANA, TX, United States" in html and "TX, USA" not in html


@pytest.mark.parametrize(("language", "example"), [("en", "Malang, Jawa Timur"), ("id", "Malang, Jawa Timur")])
def test_the_not_found_example_is_a_town_of_the_lists(client, hospitals_dir, language, example):
    call_command("import_hospitals", str(hospitals_dir / "indonesia_covid_referral_hospitals.csv"),
                 stdout=StringIO(), stderr=StringIO())
    client.cookies["django_language"] = language
    with translation.override(language):
        data = client.get(reverse("hospitals:nearest_json"), {"place": "Xyzzyville"}).json()
    assert f"“{example}”" in data["message"] and "Springfield" not in data["message"]
