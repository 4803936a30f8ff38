"""Nearest-open-hospital search: distances, ranking on the sphere, the page and its JSON API."""
import math
import random
from io import StringIO
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from webapp.hospitals.models import Hospital
from webapp.hospitals.nearest import (
    EARTH_RADIUS_KM,
    brute_force_nearest,
    great_circle_km,
    nearest_open_hospitals,
)

pytestmark = pytest.mark.django_db

# Arc length along a meridian or the equator: R * angle, checkable by hand.
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180  # 111.195 km


def add(name, lat, lon, status="open", **extra):
    return Hospital.objects.create(name=name, latitude=lat, longitude=lon, status=status,
                                   source="test", external_id=name, **extra)


def law_of_cosines_km(lat1, lon1, lat2, lon2):
    """An independent great-circle formula to check the haversine one against."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.acos(min(1.0, max(-1.0, cos_angle)))


@pytest.mark.parametrize(("a", "b", "expected_km"), [
    ((0, 0), (0, 1), KM_PER_DEGREE),                      # one degree along the equator
    ((10, 30), (11, 30), KM_PER_DEGREE),                  # one degree along a meridian
    ((0, 179.9), (0, -179.9), 0.2 * KM_PER_DEGREE),       # across the antimeridian
    ((89.9, 0), (89.9, 180), 0.2 * KM_PER_DEGREE),        # over the North Pole
    ((-90, 0), (90, 0), 180 * KM_PER_DEGREE),             # pole to pole
    ((0, 0), (0, 180), 180 * KM_PER_DEGREE),              # antipodes on the equator
])
def test_great_circle_matches_hand_computed_arcs(a, b, expected_km):
    assert great_circle_km(*a, *b) == pytest.approx(expected_km, rel=1e-9)


def test_great_circle_on_jakarta_pairs():
    monas, bandung, surabaya = (-6.1754, 106.8272), (-6.9175, 107.6191), (-7.2575, 112.7521)
    # Published straight-line distances: Jakarta-Bandung about 120 km, Jakarta-Surabaya about 665 km.
    assert great_circle_km(*monas, *bandung) == pytest.approx(120.26, abs=0.01)
    assert great_circle_km(*monas, *surabaya) == pytest.approx(665.26, abs=0.01)
    for other in (bandung, surabaya):
        assert great_circle_km(*monas, *other) == pytest.approx(law_of_cosines_km(*monas, *other), rel=1e-6)


def test_nearest_in_jakarta_ranks_by_distance():
    add("RSCM", -6.1963, 106.8467)            # about 3.2 km from Monas
    add("RS Persahabatan", -6.2007, 106.8868)  # about 7.1 km
    add("RSUP Hasan Sadikin Bandung", -6.8972, 107.5988)
    add("Closed next door", -6.1760, 106.8275, status="closed")
    found = nearest_open_hospitals(-6.1754, 106.8272, k=2)
    assert [item.hospital.name for item in found] == ["RSCM", "RS Persahabatan"]
    assert found[0].distance_km == pytest.approx(law_of_cosines_km(-6.1754, 106.8272, -6.1963, 106.8467), rel=1e-6)
    everything = nearest_open_hospitals(-6.1754, 106.8272, k=50)
    assert len(everything) == 3  # k larger than the table; the closed one never appears
    assert [item.distance_km for item in everything] == sorted(item.distance_km for item in everything)


def test_antimeridian_neighbour_is_found_first():
    add("West of the line", 0.0, -179.9)
    add("Same side but far", 0.0, 179.0)
    found = nearest_open_hospitals(0.0, 179.9, k=2)
    assert [item.hospital.name for item in found] == ["West of the line", "Same side but far"]
    assert found[0].distance_km == pytest.approx(0.2 * KM_PER_DEGREE, rel=1e-6)
    assert found[1].distance_km == pytest.approx(0.9 * KM_PER_DEGREE, rel=1e-6)


def test_near_the_pole_longitude_differences_shrink():
    add("Across the pole", 89.9, 180.0)   # 0.2 degrees of arc away, over the pole
    add("Same meridian", 89.0, 0.0)       # 0.9 degrees away, though its longitude matches
    found = nearest_open_hospitals(89.9, 0.0, k=2)
    assert [item.hospital.name for item in found] == ["Across the pole", "Same meridian"]
    assert found[0].distance_km == pytest.approx(0.2 * KM_PER_DEGREE, rel=1e-6)


def test_index_follows_changes_to_the_table():
    first = add("First", -6.2, 106.8)
    assert [i.hospital.name for i in nearest_open_hospitals(-6.2, 106.8, k=5)] == ["First"]
    add("Second", -6.21, 106.81)
    assert len(nearest_open_hospitals(-6.2, 106.8, k=5)) == 2
    first.status = Hospital.Status.CLOSED
    first.save()
    assert [i.hospital.name for i in nearest_open_hospitals(-6.2, 106.8, k=5)] == ["Second"]
    Hospital.objects.all().delete()
    assert nearest_open_hospitals(-6.2, 106.8, k=5) == []


def test_balltree_agrees_with_brute_force_on_the_us_list(hospitals_dir):
    call_command("import_hospitals", str(hospitals_dir / "us_hifld_hospitals.csv"), stdout=StringIO())
    open_rows = list(Hospital.objects.filter(status="open").values_list("id", "latitude", "longitude"))
    ids = np.array([r[0] for r in open_rows])
    lats = np.array([r[1] for r in open_rows])
    lons = np.array([r[2] for r in open_rows])
    rng = random.Random(7)
    points = [(rng.uniform(25, 49), rng.uniform(-124, -67)) for _ in range(20)]
    points += [(51.8, 179.5), (64.8, -147.7), (18.4, -66.1)]  # Aleutians, Fairbanks, San Juan
    for lat, lon in points:
        found = nearest_open_hospitals(lat, lon, k=5)
        positions, km = brute_force_nearest(lats, lons, lat, lon, 5)
        assert [item.hospital.id for item in found] == list(ids[positions])
        assert [item.distance_km for item in found] == pytest.approx(list(km), rel=1e-9)
    # West of the antimeridian in the Aleutians, the nearest is Adak at longitude -176.6.
    adak = nearest_open_hospitals(51.8, 179.5, k=1)[0]
    assert adak.hospital.longitude < -176 and adak.distance_km < 300


# --- the JSON endpoint and the page (open to visitors: no account needed) -------------------------

@pytest.mark.parametrize(("query", "field", "message"), [
    ({}, "place", "Type a place, or enter a latitude and a longitude."),
    ({"lat": "-6.2"}, "lon", "Enter a longitude."),
    ({"lon": "106.8"}, "lat", "Enter a latitude."),
    ({"lat": "abc", "lon": "106.8"}, "lat", "Latitude must be a number."),
    ({"lat": "nan", "lon": "106.8"}, "lat", "Latitude must be a number."),
    ({"lat": "91", "lon": "106.8"}, "lat", "Latitude 91.0 is out of range: a latitude lies between -90 and 90."),
    ({"lat": "-6.2", "lon": "-180.01"}, "lon", "Longitude -180.01 is out of range: a longitude lies between -180 and 180."),
    ({"lat": "-6.2", "lon": "106.8", "k": "0"}, "k", "Type a number of hospitals of 1 or more."),
    ({"lat": "-6.2", "lon": "106.8", "k": "51"}, "k", "At most 50 hospitals can be listed."),
    ({"lat": "-6.2", "lon": "106.8", "k": "two"}, "k", "whole number"),
])
def test_json_endpoint_rejects_bad_parameters(client, query, field, message):
    response = client.get(reverse("hospitals:nearest_json"), query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert field in body["errors"] and any(message in text for text in body["errors"][field])
    assert message in body["message"]


def test_json_endpoint_returns_ranked_open_hospitals(client):
    add("RSCM", -6.1963, 106.8467, phone="(021) 1500135", address="Jl. Diponegoro 71", city="Jakarta")
    add("Closed", -6.1755, 106.8273, status="closed")
    add("Far", -7.2575, 112.7521)
    response = client.get(reverse("hospitals:nearest_json"), {"lat": "-6.1754", "lon": "106.8272", "k": "5"})
    assert response.status_code == 200
    data = response.json()
    assert data["origin"] == {"lat": -6.1754, "lon": 106.8272, "label": "-6.1754, 106.8272"}
    assert data["coverage"] == "ok"
    assert [r["name"] for r in data["results"]] == ["RSCM", "Far"]
    first = data["results"][0]
    assert first["distance_km"] == pytest.approx(law_of_cosines_km(-6.1754, 106.8272, -6.1963, 106.8467), abs=1e-3)
    assert first["phones"] == [{"text": "(021) 1500135", "href": "tel:0211500135"}]
    assert first["category"] == "general" and first["category_label"] == "General hospital"
    assert first["warnings"] == []
    directions = urlparse(first["directions_url"])
    assert directions.netloc == "www.openstreetmap.org" and directions.path == "/directions"
    assert parse_qs(directions.query)["route"] == ["-6.175400,106.827200;-6.196300,106.846700"]


def test_json_endpoint_is_open_to_visitors(client):
    add("RSCM", -6.1963, 106.8467)
    response = client.get(reverse("hospitals:nearest_json"), {"lat": "-6.2", "lon": "106.8"})
    assert response.status_code == 200 and response.json()["results"][0]["name"] == "RSCM"


def test_page_renders_the_list_without_javascript(client):
    add("RSCM", -6.1963, 106.8467, phone="(021) 1500135", address="Jl. Diponegoro 71", city="Jakarta")
    add("Closed next door", -6.1760, 106.8275, status="closed")
    response = client.get(reverse("hospitals:nearest"), {"lat": "-6.1754", "lon": "106.8272"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nearest open hospitals to -6.1754, 106.8272" in html
    assert "RSCM" in html and "3.2 km away" in html
    assert 'href="tel:0211500135"' in html
    assert "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&amp;route=" in html
    assert "Closed next door" not in html
    assert "<script>" not in html  # no inline scripts: data travels in a json_script block
    assert 'id="hospital-map-config" type="application/json"' in html


def test_page_shows_field_errors(client):
    response = client.get(reverse("hospitals:nearest"), {"lat": "95", "lon": "10"})
    assert response.status_code == 200
    assert "Latitude 95.0 is out of range: a latitude lies between -90 and 90." in response.content.decode()


def test_page_without_query_shows_the_form_only(client):
    response = client.get(reverse("hospitals:nearest"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="nearest-form"' in html and "hospital-list" not in html
    assert "No hospital list has been imported yet" in html


def test_signed_in_people_use_the_same_page(patient_client):
    add("RSCM", -6.1963, 106.8467)
    response = patient_client.get(reverse("hospitals:nearest"), {"lat": "-6.2", "lon": "106.8"})
    assert response.status_code == 200 and "RSCM" in response.content.decode()


# --- coordinates typed into the place box ----------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    # Out of range: said so, never read as a town's name ("10" was a Finnish district's).
    ("95.0, 10", ["Latitude 95", "between -90 and 90"]),
    ("-95 106.8", ["Latitude -95", "between -90 and 90"]),
    ("106.8, -6.2", ["Latitude 106.8", "latitude first"]),   # longitude typed first
    ("-6.2, 200", ["Longitude 200", "between -180 and 180"]),
    # Two whole numbers joined by a comma: a decimal comma, or two numbers? Asked, not guessed.
    ("-6,2", ["decimal comma", "-6.2088, 106.8456"]),
    ("-6,2088,106,8456", ["decimal comma", "-6.2088, 106.8456"]),
    ("-6.2 106.8 12", ["cannot be read as coordinates", "-6.2088, 106.8456"]),
])
def test_coordinates_in_the_place_box_that_cannot_be_used_say_why(client, text, words):
    add("RSCM", -6.1963, 106.8467)
    response = client.get(reverse("hospitals:nearest_json"), {"place": text})
    assert response.status_code == 400, response.json()
    message = response.json()["errors"]["place"][0]
    assert all(word in message for word in words), message
    page = client.get(reverse("hospitals:nearest"), {"place": text}).content.decode()
    assert "hospital-list" not in page and words[0] in page


@pytest.mark.parametrize(("text", "lat", "lon"), [
    ("-6.2088, 106.8456", -6.2088, 106.8456),
    ("-6.2088,106.8456", -6.2088, 106.8456),
    ("-6.2088 106.8456", -6.2088, 106.8456),
    ("-6.2088 ; 106.8456", -6.2088, 106.8456),
    ("\u22126.2088, 106.8456", -6.2088, 106.8456),   # a typographic minus sign
    # Decimal commas, as Indonesian spreadsheets write them: unambiguous with a space between.
    ("-7,25 112,75", -7.25, 112.75),
    ("-7,25; 112,75", -7.25, 112.75),
    ("-7,25, 112,75", -7.25, 112.75),
    ("-6, 106", -6.0, 106.0),                         # a space after the comma: two numbers
])
def test_coordinates_in_the_place_box(client, text, lat, lon):
    add("RSCM", -6.1963, 106.8467)
    response = client.get(reverse("hospitals:nearest_json"), {"place": text})
    assert response.status_code == 200, response.json()
    origin = response.json()["origin"]
    assert (origin["lat"], origin["lon"]) == (lat, lon)
    assert origin["label"] == f"{lat:.4f}, {lon:.4f}"


def test_the_coordinate_messages_are_in_indonesian(client):
    client.cookies["django_language"] = "id"
    for text, shown in (("95.0, 10", "95"), ("-6.2, 200", "200"), ("-6,2", "-6,2"), ("1 2 3", "1 2 3")):
        message = client.get(reverse("hospitals:nearest_json"), {"place": text}).json()["message"]
        assert shown in message, message
        assert not {"Latitude", "Longitude", "decimal", "cannot"} & set(message.replace(":", " ").split()), message
