"""The finder's form: which field an error belongs to, and a typed place winning over coordinates."""
import pytest
from django.urls import reverse

from webapp.hospitals.models import Hospital

pytestmark = pytest.mark.django_db


def nearest_json(client, **query):
    response = client.get(reverse("hospitals:nearest_json"), query)
    return response.status_code, response.json()


@pytest.fixture
def bandung():
    Hospital.objects.create(name="RS Hasan Sadikin", latitude=-6.8973, longitude=107.5985, city="Bandung",
                            region="Jawa Barat", country="Indonesia", source="test", external_id="rshs")


@pytest.mark.parametrize("place", ["a" * 201, "Band\x00ung"])
def test_a_refused_place_is_the_only_error(client, place):
    """Found by an audit: an over-long place, or one with a NUL, also said "Enter a latitude." and
    "Enter a longitude." although no coordinate was asked for."""
    status, data = nearest_json(client, place=place)
    assert status == 400
    assert list(data["errors"]) == ["place"], data["errors"]


@pytest.mark.parametrize(("lat", "lon"), [("95", "0"), ("0", "200"), ("abc", "107")])
def test_a_typed_place_wins_over_unusable_coordinates(client, bandung, lat, lon):
    """Found by an audit: place=Bandung&lat=95&lon=0 was refused for its latitude, although the
    page says a typed place is used before coordinates (they only pick one of its namesakes)."""
    status, data = nearest_json(client, place="Bandung", lat=lat, lon=lon)
    assert status == 200, data
    assert data["origin"]["label"].startswith("Bandung")
    assert data["results"][0]["name"] == "RS Hasan Sadikin"


def test_the_page_shows_no_coordinate_error_beside_a_refused_place(client):
    html = client.get(reverse("hospitals:nearest"), {"place": "a" * 201}).content.decode()
    assert "Enter a latitude." not in html and "Enter a longitude." not in html
