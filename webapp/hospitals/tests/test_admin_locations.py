"""The hospital admin: impossible coordinates are refused, and a save runs the import's location
checks again, so that the finder's warnings follow the corrected (or mistyped) position.

Found by an audit: latitude 95.56 was saved "successfully" and location_flags stayed [].
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from webapp.hospitals.models import Hospital

pytestmark = pytest.mark.django_db

BLAMBANGAN = "RS UMUM DAERAH BLAMBANGAN"  # the list puts it near Malang, 199 km from Banyuwangi
BANYUWANGI = (-8.2192, 114.3691)


@pytest.fixture
def admin_client(user_password):
    admin = get_user_model().objects.create_superuser("admin@example.org", user_password, full_name="Admin")
    client = Client()
    client.force_login(admin)
    return client


def change(client, hospital, **values):
    data = {name: getattr(hospital, name) for name in (
        "name", "address", "city", "region", "country", "phone", "latitude", "longitude", "type", "status",
        "source", "category", "external_id")}
    data.update(beds="", source_date="", **values)
    with translation.override("en"):
        return client.post(f"/admin/hospitals/hospital/{hospital.pk}/change/", data, follow=True)


@pytest.mark.parametrize(("field", "value"), [("latitude", 95.56), ("latitude", -90.5), ("longitude", 180.2)])
def test_impossible_coordinates_are_refused(field, value):
    hospital = Hospital(name="X", latitude=0.5, longitude=0.5, source="test", external_id="x")
    setattr(hospital, field, value)
    with pytest.raises(ValidationError) as refused:
        hospital.full_clean()
    assert field in refused.value.message_dict


def test_the_admin_refuses_latitude_95(admin_client, indonesian_list):
    hospital = Hospital.objects.get(name=BLAMBANGAN)
    response = change(admin_client, hospital, latitude="95.56")
    assert response.status_code == 200 and "errornote" in response.content.decode()
    hospital.refresh_from_db()
    assert hospital.latitude == pytest.approx(-7.984359)


def test_a_corrected_position_clears_the_flag(admin_client, indonesian_list):
    hospital = Hospital.objects.get(name=BLAMBANGAN)
    assert [flag["code"] for flag in hospital.location_flags] == ["outside_city"]
    change(admin_client, hospital, latitude=BANYUWANGI[0], longitude=BANYUWANGI[1])
    hospital.refresh_from_db()
    assert hospital.latitude == pytest.approx(BANYUWANGI[0]) and hospital.location_flags == []


def test_a_mistyped_position_is_flagged_and_the_admin_says_so(admin_client, indonesian_list):
    hospital = Hospital.objects.get(name="RS UMUM DAERAH DR. SOEBANDI")  # Jember
    assert hospital.location_flags == []
    response = change(admin_client, hospital, latitude="7.9")  # the minus sign lost
    hospital.refresh_from_db()
    codes = {flag["code"] for flag in hospital.location_flags}
    assert "outside_city" in codes or "outside_region" in codes
    shown = [str(message) for message in response.context["messages"]]
    assert any(text.startswith("The location checks doubt this hospital's map position or address: Its map "
                               "position") for text in shown), shown


def test_the_admin_shows_the_checks_in_the_readers_language():
    from django.contrib import admin

    shown = admin.site._registry[Hospital].location_checks
    flagged = Hospital(name="X", latitude=7.9, longitude=113.7, source="test", external_id="x",
                       location_flags=[{"code": "outside_city", "km": 180, "place": "JEMBER"}])
    with translation.override("id"):
        assert shown(Hospital(name="Y", latitude=0.5, longitude=0.5)) == "Tidak ada yang meragukan."
        assert shown(flagged) == "Posisinya di peta berjarak 180 km dari JEMBER, kota yang disebut daftar."
