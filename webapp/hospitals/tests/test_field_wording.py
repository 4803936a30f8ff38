"""Out-of-range coordinates and counts typed in the form's fields get the project's clear wording
(as typed coordinates in the place box do), in both languages, and the field shows the maximum.

Found by an audit: they got Django's "Ensure this value is less than or equal to 90."
"""
import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "query", "field", "message"), [
    ("en", {"lat": "95", "lon": "0"}, "lat", "Latitude 95.0 is out of range: a latitude lies between -90 and 90."),
    ("id", {"lat": "95", "lon": "0"}, "lat", "Lintang 95.0 di luar rentang: lintang berada antara -90 dan 90."),
    ("en", {"lat": "0", "lon": "-181"}, "lon", "Longitude -181.0 is out of range: a longitude lies between -180 and 180."),
    ("id", {"lat": "0", "lon": "-181"}, "lon", "Bujur -181.0 di luar rentang: bujur berada antara -180 dan 180."),
    ("en", {"lat": "0", "lon": "0", "k": "51"}, "k", "At most 50 hospitals can be listed."),
    ("id", {"lat": "0", "lon": "0", "k": "51"}, "k", "Paling banyak 50 rumah sakit dapat ditampilkan."),
    ("en", {"lat": "0", "lon": "0", "k": "0"}, "k", "Type a number of hospitals of 1 or more."),
])
def test_out_of_range_fields_say_so_clearly(client, language, query, field, message):
    client.cookies["django_language"] = language
    with translation.override(language):
        response = client.get(reverse("hospitals:nearest_json"), query)
    assert response.status_code == 400 and response.json()["errors"][field] == [message]


@pytest.mark.parametrize(("language", "hint"), [("en", "From 1 to 50."), ("id", "Dari 1 sampai 50.")])
def test_the_number_field_shows_its_maximum(client, language, hint):
    client.cookies["django_language"] = language
    with translation.override(language):
        html = client.get(reverse("hospitals:nearest")).content.decode()
    assert hint in html and 'max="50"' in html
