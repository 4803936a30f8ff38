"""How a patient in Indonesia types a place: informal names ("Jogja"), administrative prefixes
("Kec. Tebet", "Kab. Bogor") and typos ("Bandug"), on the real shared lists.

Before: "Bandug", "Surabya", "Jogja" and "Yogya" found nothing, and the message suggested
coordinates rather than the page's "Use my location" button. A misspelt name is never searched in
the typed one's stead: the close names are offered as links ("Did you mean: Bandung, Indonesia").
"""
from urllib.parse import quote_plus

import pytest
from django.urls import reverse

from webapp.hospitals import places
from webapp.hospitals.models import Hospital

pytestmark = pytest.mark.django_db


def nearest_json(client, **query):
    response = client.get(reverse("hospitals:nearest_json"), query)
    return response.status_code, response.json()


@pytest.mark.parametrize(("text", "label"), [
    ("Jogja", "Yogyakarta, Indonesia"),
    ("Yogya", "Yogyakarta, Indonesia"),
    ("Kota Jogja", "Yogyakarta, Indonesia"),
    ("Kota Bandung", "Bandung, Indonesia"),
    ("Kab. Bogor", "Bogor, Indonesia"),
    ("Kabupaten Bogor", "Bogor, Indonesia"),
    ("DKI Jakarta", "DKI Jakarta"),
    ("DKI", "DKI Jakarta"),
    ("Jaksel", "Jakarta Selatan, DKI Jakarta"),
    ("Jatim", "Jawa Timur"),
    ("DIY", "DI Yogyakarta"),  # not Diyarbakir, Turkey (one of its other names)
    ("Provinsi Jawa Barat", "Jawa Barat"),
    ("City of Chicago", "Chicago, Illinois, United States"),
])
def test_informal_names_and_administrative_prefixes(both_lists, client, text, label):
    status, data = nearest_json(client, place=text)
    assert status == 200, data
    assert data["origin"]["label"] == label
    assert data["coverage"] == "ok"


def test_the_informal_names_never_hide_a_place_of_that_name(both_lists):
    """An alias is read before the text as typed: none may be a town's or a list's own name."""
    for key, target in places.ALIASES.items():
        assert not places.world_cities().named(key) and not places.hospital_places().named(key), key
        assert places.resolve(target) is not None, target


@pytest.mark.parametrize(("text", "label"), [
    ("Bandug", "Bandung, Indonesia"),
    ("Surabya", "Surabaya, Indonesia"),
    ("Jogya", "Yogyakarta, Indonesia"),
    ("rs dekat bandug", "Bandung, Indonesia"),
    ("Chicgo", "Chicago, Illinois, United States"),
])
def test_a_typo_offers_the_closest_places_without_searching_them(both_lists, client, text, label):
    assert places.resolve(text) is None  # nothing is searched in its stead
    status, data = nearest_json(client, place=text)
    assert status == 400 and f"“{text}”" in data["message"]
    offered = data["suggestions"]["places"]
    assert data["suggestions"]["lead"] == "Did you mean:"
    assert offered[0]["label"] == label
    # Only places by listed hospitals when there are some: not also "Ban Dung, Thailand".
    assert all(places.resolve(p["label"]) for p in offered)
    # The link runs the search for that place.
    response = client.get(offered[0]["url"])
    assert response.status_code == 200
    assert response.context["answer"]["origin"]["label"] == label


def test_the_suggestion_link_keeps_the_options_asked_for(both_lists, client):
    status, data = nearest_json(client, place="Bandug", k="5", all_types="on")
    url = data["suggestions"]["places"][0]["url"]
    assert "k=5" in url and "all_types=on" in url
    status, data = nearest_json(client, **dict(pair.split("=") for pair in url.split("?")[1].split("&")))
    assert status == 200 and len(data["results"]) == 5


def test_the_page_without_script_shows_the_links(both_lists, client):
    html = client.get(reverse("hospitals:nearest"), {"place": "Surabya"}).content.decode()
    assert 'id="place-did-you-mean"' in html and "Did you mean:" in html
    assert ">Surabaya, Indonesia</a>" in html


@pytest.mark.parametrize("text", ["Xyzzyville", "rumah saya", "12345 67"])
def test_nothing_close_offers_nothing(both_lists, client, text):
    status, data = nearest_json(client, place=text)
    assert status == 400 and "suggestions" not in data


def test_a_kecamatan_the_data_lacks_says_so_and_invents_nothing(both_lists, client):
    """Tebet is a kecamatan of South Jakarta, but neither GeoNames' towns nor the lists name it:
    the answer says so, and offers no town (the data does not say where Tebet lies)."""
    for text in ("Kec. Tebet", "Kecamatan Tebet", "kec.tebet"):
        assert places.resolve(text) is None
        status, data = nearest_json(client, place=text)
        assert status == 400
        # The name as typed, without its prefix.
        assert data["message"].casefold().startswith("“tebet” is not in the place data here")
        assert "kecamatan" in data["message"] and "Use my location" in data["message"]
        assert "suggestions" not in data  # not "Stembert, Belgium"


def test_a_kecamatan_named_in_a_listed_address_offers_its_town(both_lists, client):
    """RSUD Pasar Minggu's address: "KELURAHAN RAGUNAN, KECAMATAN PASAR MINGGU - JAKARTA SELATAN"."""
    assert Hospital.objects.filter(address__icontains="KECAMATAN PASAR MINGGU", city__startswith="JAKARTA SELATAN").exists()
    status, data = nearest_json(client, place="Kecamatan Pasar Minggu")
    assert status == 400 and data["message"].startswith("“Pasar Minggu” is not in the place data here")
    assert data["suggestions"]["lead"] == "The addresses of listed hospitals put “Pasar Minggu” in:"
    assert [p["label"] for p in data["suggestions"]["places"]] == ["Jakarta Selatan, DKI Jakarta"]
    status, data = nearest_json(client, place="Kec. Umbulharjo")
    assert [p["label"] for p in data["suggestions"]["places"]] == ["Kota Yogyakarta, DI Yogyakarta"]


@pytest.mark.parametrize(("language", "button", "lead"), [
    ("en", "“Use my location”", "Did you mean:"),
    ("id", "“Gunakan lokasi saya”", "Mungkin maksud Anda:"),
])
def test_the_not_found_message_points_to_the_location_button(both_lists, client, language, button, lead):
    client.cookies["django_language"] = language
    for text in ("Bandug", "Kec. Tebet", "Xyzzyville"):
        status, data = nearest_json(client, place=text)
        assert status == 400 and button in data["message"], data["message"]
        assert "-6.2088, 106.8456" in data["message"]  # coordinates, as a last resort
    status, data = nearest_json(client, place="Bandug")
    assert data["suggestions"]["lead"] == lead


@pytest.mark.parametrize(("text", "town"), [
    ("Surabya, Jawa Timur", "Surabaya"),
    ("Surabya, Jatim", "Surabaya"),
    ("Bandug, Jawa Barat", "Bandung"),
    ("Medn, Sumatera Utara", "Medan"),
])
def test_a_misspelt_town_before_its_province_is_offered_not_the_province(both_lists, client, text, town):
    """Found by an audit: "Surabya, Jawa Timur" searched from the province's centre (first hit in
    Kediri, 35 km away) and offered nothing. The town is offered; the province is not searched."""
    assert places.resolve(text) is None
    status, data = nearest_json(client, place=text)
    assert status == 400
    offered = [p["label"] for p in data["suggestions"]["places"]]
    assert any(town in label for label in offered), offered
    assert not any(label.startswith(("Jawa", "Sumatera")) for label in offered)  # not the province


def test_the_close_names_are_worked_out_once_per_search(both_lists, client, monkeypatch):
    """Found by an audit: for "Surabya, Jawa Timur" resolving worked out the close names (to see
    that the town is misspelt) and the not-found answer worked them out again."""
    calls = []
    counted = places.close_places
    monkeypatch.setattr(places, "close_places", lambda *args, **kwargs: calls.append(args) or counted(*args, **kwargs))
    status, data = nearest_json(client, place="Surabya, Jawa Timur")
    assert status == 400 and "Surabaya" in data["suggestions"]["places"][0]["label"]
    assert len(calls) == 1
    calls.clear()
    status, data = nearest_json(client, place="Bandug")  # no province: worked out once too
    assert status == 400 and data["suggestions"]["places"][0]["label"] == "Bandung, Indonesia"
    assert len(calls) == 1


@pytest.mark.parametrize(("language", "typo", "offered"), [
    ("id", "Jeddh", "Jeddah, Arab Saudi"),
    ("id", "Chicgo", "Chicago, Illinois, Amerika Serikat"),
    ("id", "Bandug", "Bandung, Indonesia"),
    ("en", "Jeddh", "Jeddah, Saudi Arabia"),
    ("en", "Chicgo", "Chicago, Illinois, United States"),
])
def test_places_abroad_name_their_country_in_the_pages_language(both_lists, client, language, typo, offered):
    """Found by an audit: the Indonesian page offered "Jeddah, Saudi Arabia" (GeoNames' English).
    The offer, the search it runs and the place searched name the country in the page's language."""
    client.cookies["django_language"] = language
    status, data = nearest_json(client, place=typo)
    assert status == 400 and data["suggestions"]["places"][0]["label"] == offered
    chosen = data["suggestions"]["places"][0]
    assert f"place={quote_plus(offered)}&" in chosen["url"]
    status, data = nearest_json(client, place=chosen["label"], lat=chosen["lat"], lon=chosen["lon"])
    assert status == 200 and data["origin"]["label"] == offered
    assert (data["origin"]["lat"], data["origin"]["lon"]) == pytest.approx((chosen["lat"], chosen["lon"]), abs=1e-4)
    status, data = nearest_json(client, place=offered)  # typed without coordinates too
    assert status == 200 and data["origin"]["label"] == offered


def test_a_country_typed_in_indonesian_qualifies_a_town(both_lists, client):
    for text, label in (("Paris, Prancis", "Paris, France"), ("Manila, Filipina", "Manila, Philippines"),
                        ("Amsterdam, Belanda", "Amsterdam, The Netherlands")):
        assert places.resolve(text).label == label
    client.cookies["django_language"] = "id"
    response = client.get(reverse("hospitals:places_json"), {"q": "Amster"})
    assert "Amsterdam, Belanda" in [p["label"] for p in response.json()["places"]]
    response = client.get(reverse("hospitals:places_json"), {"q": "Manila, Fil"})  # half typed
    assert [p["label"] for p in response.json()["places"]][:1] == ["Manila, Filipina"]


@pytest.mark.parametrize(("text", "label"), [
    ("Surabaya, Jawa Timur", "Kota Surabaya, Jawa Timur"),
    ("Jawa Timur", "Jawa Timur"),
    ("Jl. Raya Darmo 90, Surabaya", "Surabaya, Indonesia"),
])
def test_a_town_with_its_province_and_an_address_are_still_found(both_lists, text, label):
    assert places.resolve(text).label == label


@pytest.mark.parametrize("text", ["Kab", "Kab.", "Kel.", "Provinsi", "Prov.", "Kecamatan", "Desa"])
def test_an_administrative_word_alone_names_no_place_and_suggests_none(both_lists, client, text):
    """Found by an audit: "Kab." searched Kāb, India (2,474 km away); "Provinsi" offered Provins,
    France."""
    assert places.resolve(text) is None
    status, data = nearest_json(client, place=text)
    assert status == 400 and "suggestions" not in data


def test_the_not_found_answer_also_words_the_message_without_the_button(both_lists, client):
    """A browser that cannot tell its location hides the button: the answer carries the message
    that names none, for the page to show there. Other errors have no such variant."""
    for text in ("Bandug", "Kec. Tebet", "Xyzzyville"):
        status, data = nearest_json(client, place=text)
        variant = data["message_without_location_button"]
        assert status == 400 and "Use my location" not in variant
        assert variant.split(".")[0] == data["message"].split(".")[0]  # the same place named
        assert "-6.2088, 106.8456" in variant
    status, data = nearest_json(client, lat="abc", lon="1")
    assert status == 400 and "message_without_location_button" not in data
