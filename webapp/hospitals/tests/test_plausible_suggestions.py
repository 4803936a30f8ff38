"""Suggestions for a place not found: plausible ones, never a far namesake passed off as it.

Found by an audit: "Did you mean" offered Sekupang (a kecamatan of Batam) "Kupang, Indonesia",
2,000 km away; Cilandak "Ceilândia, Brazil"; Sunter "Sumter, South Carolina"; Lombok "Olombo,
Congo"; Gowa "Gwa, Myanmar". Kecamatan that listed hospitals' addresses name (Pasar Minggu,
Cilandak, Sekupang) were only recognised with "Kec." before them.
"""
import pytest
from django.urls import reverse
from django.utils import translation

from webapp.hospitals import places

pytestmark = pytest.mark.django_db


def nearest_json(client, **query):
    response = client.get(reverse("hospitals:nearest_json"), query)
    assert response.status_code == 400
    return response.json()


def offered(data) -> list[str]:
    return [p["label"] for p in data.get("suggestions", {}).get("places", [])]


@pytest.mark.parametrize(("text", "town"), [
    ("Sekupang", "Kota Batam, Kep. Riau"),       # "…NO.1, SEKUPANG,BATAM"
    ("Cilandak", "Jakarta Selatan, DKI Jakarta"),     # "JL. RS FATMAWATI CILANDAK,JAKSEL"
    ("Pasar Minggu", "Jakarta Selatan, DKI Jakarta"),  # "…KECAMATAN PASAR MINGGU - JAKARTA SELATAN"
    ("Kec. Sekupang", "Kota Batam, Kep. Riau"),
    ("Sunter", "Jakarta, Indonesia"),  # "JL. BARU SUNTER PERMAI RAYA JAKARTA UTARA" (a flagged row)
])
def test_a_name_in_a_listed_address_offers_that_addresses_town_only(both_lists, client, text, town):
    data = nearest_json(client, place=text)
    assert offered(data) == [town], data
    name = text.removeprefix("Kec. ")
    assert data["suggestions"]["lead"] == f"The addresses of listed hospitals put “{name}” in:"
    assert data["message"].startswith(f"“{name}” is not in the place data here")


@pytest.mark.parametrize(("text", "far_off"), [
    ("Gowa", ("Myanmar", "Japan", "Philippines")),
    ("Lombok", ("Congo",)),
])
def test_no_small_town_abroad_is_offered(both_lists, client, text, far_off):
    labels = offered(nearest_json(client, place=text))
    assert not any(country in label for label in labels for country in far_off), labels


def test_a_regency_named_after_the_typed_place_is_offered(both_lists, client):
    """Lombok is an island: the list names the regency Lombok Timur."""
    assert "Lombok Timur, Nusa Tenggara Barat" in offered(nearest_json(client, place="Lombok"))


@pytest.mark.parametrize(("text", "label"), [("Bandug", "Bandung, Indonesia"), ("Jeddh", "Jeddah, Saudi Arabia"),
                                             ("Chicgo", "Chicago, Illinois, United States")])
def test_typos_still_offer_the_town_meant(both_lists, client, text, label):
    """A typo of a listed town, or of a big city abroad, is still offered."""
    with translation.override("en"):
        data = nearest_json(client, place=text)
    assert data["suggestions"]["lead"] == "Did you mean:" and offered(data)[0] == label


def test_the_lists_countries_are_known(both_lists):
    assert places.hospital_places().countries == {"ID", "US"}


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_close_name_says_where_it_lies(both_lists, client, language):
    """Menteng (Jakarta) is in no list or gazetteer here: "Genteng, Indonesia" is offered with
    its province, so that nobody takes it for the Menteng they typed."""
    client.cookies["django_language"] = language
    with translation.override(language):
        data = nearest_json(client, place="Menteng")
        html = client.get(reverse("hospitals:nearest"), {"place": "Menteng"}).content.decode()
    assert data["suggestions"]["places"][0]["detail"] == "Jawa Timur"
    assert ">Genteng, Indonesia</a> (Jawa Timur)" in html
