"""Search by place, coverage, hospital types and the JSON contract, on the real shared lists.

`GET /hospitals/nearest.json?place=TEXT` answers visitors with
{"origin": {"lat", "lon", "label"}, "coverage": "ok" | "far" | "none", "message", "results"};
an unknown place is a 400 with a JSON message.
"""
import pytest
from django.urls import reverse

from webapp.hospitals import places
from webapp.hospitals.models import PUBLIC_CATEGORIES, Hospital
from webapp.hospitals.nearest import great_circle_km, nearest_open_hospitals

pytestmark = pytest.mark.django_db

NEAREST = "hospitals:nearest_json"


def nearest_json(client, **query):
    response = client.get(reverse(NEAREST), query)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.mark.parametrize(("text", "lat", "lon", "label_start"), [
    ("Jakarta", -6.21, 106.85, "Jakarta, Indonesia"),
    ("Surabaya", -7.25, 112.75, "Surabaya, Indonesia"),
    ("Chicago, IL", 41.85, -87.65, "Chicago, Illinois, United States"),
    ("chicago illinois", 41.85, -87.65, "Chicago, Illinois, United States"),
    ("Paris, France", 48.85, 2.35, "Paris, France"),
    ("São Paulo", -23.55, -46.63, "São Paulo, Brazil"),
    ("Springfield, MO", 37.2, -93.3, "Springfield, Missouri, United States"),
    ("1025 North Douty Street, Hanford, CA", 36.33, -119.65, "Hanford, California"),
    ("Jl. Diponegoro 71, Denpasar", -8.65, 115.22, "Denpasar, Indonesia"),
    ("-6.2088, 106.8456", -6.2088, 106.8456, "-6.2088, 106.8456"),
])
def test_places_resolve_offline(both_lists, text, lat, lon, label_start):
    place = places.resolve(text)
    assert place is not None, text
    assert great_circle_km(place.lat, place.lon, lat, lon) < 15, (text, place)
    assert place.label.startswith(label_start)


def test_places_of_the_hospital_lists_resolve_too(both_lists):
    """Provinces and regencies come from the imported lists (GeoNames has no such names)."""
    east_java = places.resolve("Jawa Timur")
    assert east_java.label == "Jawa Timur" and east_java.kind == "region"
    members = Hospital.objects.filter(region="Jawa Timur")
    assert min(great_circle_km(east_java.lat, east_java.lon, h.latitude, h.longitude) for h in members) < 60
    regency = places.resolve("Kulon Progo, DI Yogyakarta")
    assert regency.kind == "hospital_place" and regency.label == "Kulon Progo, DI Yogyakarta"


@pytest.mark.parametrize("text", ["Xyzzyville", "Atlantis, Narnia", "12345", ""])
def test_unknown_places_resolve_to_nothing(both_lists, text):
    assert places.resolve(text) is None


def test_suggestions_prefer_places_with_listed_hospitals(both_lists, client):
    response = client.get(reverse("hospitals:places_json"), {"q": "Sura"})
    assert response.status_code == 200
    labels = [p["label"] for p in response.json()["places"]]
    # Surat (India, 2.9 million people) is larger than Surabaya but has no listed hospital nearby.
    assert labels[0] == "Surabaya, Indonesia"
    assert "Surakarta, Indonesia" in labels[:4]
    assert len(labels) <= places.MAX_SUGGESTIONS
    chicago = client.get(reverse("hospitals:places_json"), {"q": "Chicago, Il"}).json()["places"]
    assert chicago[0]["label"] == "Chicago, Illinois, United States"
    assert client.get(reverse("hospitals:places_json"), {"q": "S"}).json()["places"] == []


def test_every_suggestion_resolves_to_itself(both_lists):
    for prefix in ("Jak", "Bandu", "Houst", "Spring", "Jawa"):
        for place in places.suggest(prefix):
            again = places.resolve(place.label)
            assert again is not None and again.label == place.label, place.label


# --- the JSON contract ---------------------------------------------------------------------------

def test_place_search_in_jakarta(both_lists, client):
    status, data = nearest_json(client, place="Jakarta")
    assert status == 200
    assert set(data) == {"origin", "coverage", "message", "results", "listed_here"}
    assert set(data["origin"]) == {"lat", "lon", "label"}
    assert data["origin"]["label"] == "Jakarta, Indonesia"
    assert data["coverage"] == "ok" and "km away" in data["message"]
    expected = nearest_open_hospitals(data["origin"]["lat"], data["origin"]["lon"], k=10, public_only=True)
    assert [r["name"] for r in data["results"]] == [item.hospital.name for item in expected]
    assert len(data["results"]) == 10 and data["results"][0]["distance_km"] < 10


def test_paris_says_it_lies_outside_the_lists(both_lists, client):
    status, data = nearest_json(client, place="Paris, France")
    assert status == 200
    assert data["origin"]["label"] == "Paris, France"
    assert data["coverage"] == "none"
    assert "outside the hospital lists imported here" in data["message"]
    # Still shows what exists (in Maine, about 5,000 km away), and says how far.
    assert data["results"] and data["results"][0]["distance_km"] > 4500
    assert "5,0" in data["message"]


def test_a_far_place_says_coverage_is_poor(both_lists, client):
    # Papua's hospitals are hundreds of km apart: the middle of the island is far from all.
    status, data = nearest_json(client, lat="-4.0", lon="138.5")
    assert status == 200 and data["coverage"] == "far"
    assert 100 < data["results"][0]["distance_km"] <= 500
    assert "cover this area poorly" in data["message"]


def test_an_unknown_place_is_a_400_with_a_message(both_lists, client):
    status, data = nearest_json(client, place="Xyzzyville")
    assert status == 400
    assert "We could not find “Xyzzyville”" in data["message"]
    assert data["errors"]["place"] == [data["message"]]


def test_the_message_is_in_the_readers_language(both_lists, client):
    client.cookies["django_language"] = "id"
    status, data = nearest_json(client, place="Paris, France")
    assert status == 200 and data["coverage"] == "none"
    assert "outside" not in data["message"] and "5.0" in data["message"]  # Indonesian grouping
    status, data = nearest_json(client, place="Xyzzyville")
    assert status == 400 and "Xyzzyville" in data["message"] and "could not find" not in data["message"]


@pytest.mark.parametrize(("language", "example", "town"), [
    ("en", "Springfield, IL", "Springfield, Illinois, United States"),
    ("id", "Malang, Jawa Timur", "Malang, Jawa Timur"),
])
def test_the_not_found_hint_gives_an_example_in_the_readers_language(both_lists, client, language,
                                                                     example, town):
    client.cookies["django_language"] = language
    status, data = nearest_json(client, place="Rumah saya")
    assert status == 400 and f"“{example}”" in data["message"]
    if language == "id":
        assert "Springfield" not in data["message"] and "tambahkan provinsi" in data["message"]
    html = client.get(reverse("hospitals:nearest"), {"place": "Rumah saya"}).content.decode()
    assert f"“{example}”" in html
    # The example itself is found, as the hint promises.
    status, data = nearest_json(client, place=example)
    assert status == 200 and data["origin"]["label"] == town


@pytest.mark.parametrize(("language", "label", "outside"), [
    ("en", "Your location", "Your location lies outside the hospital lists"),
    ("id", "Lokasi Anda", "Lokasi Anda berada di luar cakupan"),
])
def test_the_browsers_location_is_called_your_location(both_lists, client, language, label, outside):
    """"Use my location" sends here=1 with the coordinates: the answer names them in words."""
    client.cookies["django_language"] = language
    status, data = nearest_json(client, lat="-33.8688", lon="151.2093", here="1")  # Sydney
    assert status == 200 and data["coverage"] == "none"
    assert data["origin"] == {"lat": -33.8688, "lon": 151.2093, "label": label}
    assert data["message"].startswith(outside) and "-33.8688" not in data["message"]
    html = client.get(reverse("hospitals:nearest"), {"lat": "-33.8688", "lon": "151.2093", "here": "1"}).content.decode()
    assert ">-33.8688, 151.2093</p>" in html and "Nearest open hospitals to -33" not in html
    # Typed coordinates or a map click are still named by their numbers.
    status, data = nearest_json(client, lat="-33.8688", lon="151.2093")
    assert data["origin"]["label"] == "-33.8688, 151.2093"


def test_an_empty_table_has_no_coverage(both_lists, client):
    Hospital.objects.all().delete()  # inside this test's transaction: back after it
    status, data = nearest_json(client, place="-6.2, 106.8")
    assert status == 200 and data["coverage"] == "none" and data["results"] == []
    assert "No hospital list has been imported yet" in data["message"]


# --- hospital types ------------------------------------------------------------------------------

def test_types_come_from_the_type_column_and_the_name(both_lists):
    def category(name):
        return Hospital.objects.get(name=name, source="hifld").category

    assert category("EVANS ARMY COMMUNITY HOSPITAL") == "military"
    assert category("VA MEDICAL CENTER - PROVIDENCE") == "veterans"    # HIFLD: GENERAL ACUTE CARE
    assert category("VETERANS MEMORIAL HOSPITAL") == "general"          # a community hospital
    assert Hospital.objects.filter(source="hifld", type="PSYCHIATRIC").exclude(category="psychiatric").count() == 0
    assert Hospital.objects.filter(source="hifld", type="REHABILITATION", category="rehabilitation").count() == 366
    # The Indonesian list has no type column: all its rows are suggested.
    assert set(Hospital.objects.exclude(source="hifld").values_list("category", flat=True)) == {"unknown"}


def test_nearest_leaves_out_hospitals_that_do_not_take_the_public(both_lists, client):
    _, default = nearest_json(client, place="Chicago, IL", k="30")
    _, everything = nearest_json(client, place="Chicago, IL", k="30", all_types="on")
    assert {r["category"] for r in default["results"]} <= set(PUBLIC_CATEGORIES)
    assert all(r["takes_the_public"] for r in default["results"])
    left_out = {r["category"] for r in everything["results"]} - set(PUBLIC_CATEGORIES)
    assert left_out & {"psychiatric", "rehabilitation", "specialty", "long_term", "children"}, left_out
    shown = [r["name"] for r in default["results"]]
    assert all(r["name"] in shown for r in everything["results"] if r["takes_the_public"]
               and r["distance_km"] <= default["results"][-1]["distance_km"])


# --- the import checks ----------------------------------------------------------------------------

def test_the_wrong_jakarta_rows_are_flagged(both_lists, client):
    # Its latitude lost its minus sign: 1,365 km north of the other Jakarta hospitals, at sea.
    saroso = Hospital.objects.get(name="RS PENYAKIT INFEKSI PROF. DR. SULIANTI SAROSO")
    assert saroso.location_flags[0]["code"] == "outside_region" and saroso.location_flags[0]["km"] > 1300
    # The 10th result for Jakarta: in Serang (Banten) with the address of a hospital in Aceh.
    _, data = nearest_json(client, place="Jakarta")
    tenth = data["results"][9]
    assert tenth["name"] == "RS UMUM DAERAH DR. DRAJAT PRAWIRANEGARA"
    assert "RS UMUM DAERAH DR. ZAINOEL ABIDIN" in " ".join(tenth["warnings"])
    assert any("km from TANGERANG" in text for text in tenth["warnings"])
    assert all(r["warnings"] == [] for r in data["results"][:9])


# --- a town typed on its own: the one the lists name, not a far namesake -------------------------

@pytest.mark.parametrize(("text", "lat", "lon", "label_start"), [
    # "Jayapura" is one of Jaipur's alternative names in GeoNames; Jaipur has 3 million people.
    ("Jayapura", -2.57, 140.64, "Jayapura"),
    ("Kudus", -6.82, 110.83, "Kudus"),                  # not Jerusalem (al-Quds)
    ("Sikka", -8.62, 122.2, "Sikka, Nusa Tenggara Timur"),  # a regency: the list's own place
    ("Karo", 3.1, 98.49, "Karo, Sumatera Utara"),       # not Karo in Myanmar
    ("Kendal", -6.92, 110.2, "Kendal"),                 # not Kendall, Florida
    ("Montgomery", 32.37, -86.3, "Montgomery, Alabama"),  # not Sahiwal, once called Montgomery
    ("Salem", 44.94, -123.04, "Salem, Oregon"),         # not Jerusalem, nor Salem in India
    ("Troy", 42.6, -83.15, "Troy, Michigan"),           # not Macon, Georgia
])
def test_a_town_alone_is_the_one_near_listed_hospitals(both_lists, text, lat, lon, label_start):
    place = places.resolve(text)
    assert place is not None, text
    assert place.label.startswith(label_start), (text, place)
    assert great_circle_km(place.lat, place.lon, lat, lon) < 25, (text, place)


def test_a_primary_name_beats_an_alternative_one(both_lists):
    # Newton, Massachusetts (88,000 people, hospitals listed) over Tallahassee, whose GeoNames
    # alternative names include "Newton".
    assert places.resolve("Newton").label.startswith("Newton, ")
    assert "Tallahassee" not in places.resolve("Newton").label
    # An alternative name still finds a town when no town has it as its name.
    assert places.resolve("Djakarta").label == "Jakarta, Indonesia"


# --- everyday words are not places ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "was"), [
    # What each phrase found before: a word of it among GeoNames' names or alternative names.
    ("Rumah saya", "Suya, Nigeria"),                       # "my home"; "saya" is one of Suya's names
    ("Kampung Tidak Ada Xyz", "Ada, Oklahoma"),            # Ada has listed hospitals
    ("Kampung tidak ada", "Ada, Oklahoma"),
    ("rumah sakit terdekat", "Sakīt, India"),              # "nearest hospital"
    ("Saya di rumah", "Rumāḩ, Saudi Arabia"),              # "I am at home"
    ("saya di sini", "Sini, India"),                       # "I am here"
    ("Di mana", "Mana, French Guiana"),                    # "where"
    ("tolong", "Bayawan, Philippines"),                    # "help": an alternative name
    ("Rumah", "Rumāḩ, Saudi Arabia"),
])
def test_everyday_indonesian_phrases_are_not_found(both_lists, client, text, was):
    assert places.resolve(text) is None, (text, was)
    status, data = nearest_json(client, place=text)
    assert status == 400 and f"We could not find “{text}”" in data["message"]


@pytest.mark.parametrize(("text", "label_start"), [
    # Old and other spellings (GeoNames' alternative names) of towns with listed hospitals.
    ("Soerabaja", "Surabaya, Indonesia"),
    ("Djokjakarta", "Yogyakarta, Indonesia"),
    ("Bandoeng", "Bandung, Indonesia"),
    ("Makasar", "Makassar, Indonesia"),
    # A town among other words, beside listed hospitals.
    ("Rumah saya di Bekasi", "Bekasi, Indonesia"),
    ("RS Siloam Surabaya", "Surabaya, Indonesia"),
    ("Bekasi Timur", "Bekasi, Indonesia"),
    ("Jl. Malioboro Yogyakarta", "Yogyakarta, Indonesia"),
    # An everyday word that is a town's own name, alone or with its state; abroad with its country.
    ("Ada", "Ada, Oklahoma"),
    ("ada oklahoma", "Ada, Oklahoma"),
    ("Bombay, India", "Mumbai, India"),
])
def test_towns_among_other_words_and_other_spellings_still_resolve(both_lists, text, label_start):
    place = places.resolve(text)
    assert place is not None and place.label.startswith(label_start), (text, place)


@pytest.mark.parametrize("text", ["10", "2", "101"])
def test_numbers_are_not_place_names(both_lists, text):
    # GeoNames lists "10" among the alternative names of Sörnäinen (Helsinki's 10th district).
    assert places.resolve(text) is None


def test_a_far_bigger_namesake_is_still_found_with_its_country(both_lists):
    assert places.resolve("Paris").label.startswith("Paris, Texas")   # hospitals listed there
    assert places.resolve("Paris, France").label == "Paris, France"
    assert places.resolve("Salem, India").label == "Salem, India"


# Of the 3,490 city names of both lists, typed alone, 682 were not found or landed more than
# 150 km from every listed hospital of that city before towns were ranked by the lists (Jayapura
# in India, Kudus in Jerusalem). The 20 left: 8 names whose only hospital the import flagged (its
# position is not trusted to place a town; 2 of them, with no GeoNames town, are not found),
# 8 US towns named like a state ("Virginia" is the state), 3 names several listed towns share
# ("Mt Vernon" in IL, KY and WA) and "KARIMUN, KEPULAUAN RIAU", whose province the list spells
# "Kep. Riau".
MAX_FAR = 20


@pytest.mark.slow
def test_the_lists_own_towns_resolve_near_their_hospitals(both_lists):
    """Every city name of the imported lists, typed alone, lands within 150 km of a listed
    hospital of that city, but for the few MAX_FAR explains."""
    by_city: dict[str, list] = {}
    for city, lat, lon in Hospital.objects.values_list("city", "latitude", "longitude"):
        if city.strip():
            by_city.setdefault(city.strip(), []).append((lat, lon))
    far = []
    for city, points in by_city.items():
        place = places.resolve(city)
        if place is None or min(great_circle_km(place.lat, place.lon, la, lo) for la, lo in points) > 150:
            far.append((city, place and place.label))
    assert len(by_city) > 3400
    assert len(far) <= MAX_FAR, far


def test_an_alternative_name_with_its_country(both_lists):
    # Batavia, New York has a listed hospital; Jakarta was Batavia, and its country says so.
    assert places.resolve("Batavia").label.startswith("Batavia, New York")
    assert places.resolve("Batavia, Indonesia").label == "Jakarta, Indonesia"


# --- a chosen suggestion is searched from its own place ------------------------------------------

@pytest.mark.parametrize(("label", "lat", "lon"), [
    # Two towns share each label: the suggestion's coordinates say which one was chosen.
    ("Depok, Indonesia", -7.7625, 110.43167),                 # by Yogyakarta
    ("Depok, Indonesia", -6.4, 106.81861),                    # by Jakarta
    ("Chatham, Illinois, United States", 39.67616, -89.70454),  # by Springfield
    ("Chatham, Illinois, United States", 41.74115, -87.61255),  # in Chicago
    ("Woodstock, Canada", 43.13339, -80.7497),                # Ontario, not New Brunswick
])
def test_a_suggestions_coordinates_pick_its_own_town(both_lists, client, label, lat, lon):
    status, data = nearest_json(client, place=label, lat=str(lat), lon=str(lon))
    assert status == 200
    assert data["origin"] == {"lat": lat, "lon": lon, "label": label}
    # The page without JavaScript: the same form fields, the same place.
    html = client.get(reverse("hospitals:nearest"), {"place": label, "lat": lat, "lon": lon}).content.decode()
    assert f'"origin": {{"lat": {lat}, "lon": {lon}, "label": "{label}"}}' in html


def test_coordinates_far_from_every_town_of_that_name_do_not_move_it(both_lists, client):
    # Left in the form from an earlier search: the typed place still wins.
    status, data = nearest_json(client, place="Jakarta", lat="41.8", lon="-87.6")
    assert status == 200 and data["origin"]["label"] == "Jakarta, Indonesia"
    assert great_circle_km(data["origin"]["lat"], data["origin"]["lon"], -6.21, 106.85) < 15


def test_every_suggestion_with_its_coordinates_is_itself(both_lists):
    for prefix in ("Depo", "Chatham, Il", "Woodstoc", "Spring", "Kulon", "Jawa"):
        for place in places.suggest(prefix):
            again = places.resolve(place.label, near=(place.as_json()["lat"], place.as_json()["lon"]))
            assert (again.label, again.lat, again.lon) == (place.label, place.lat, place.lon), place


def test_suggestions_show_the_better_of_two_towns_with_one_label_first(both_lists):
    # Woodstock, New Brunswick lies near the listed hospitals of Maine; Woodstock, Ontario does
    # not. Typed in full, the label searches the first: that suggestion comes first.
    shown = [p for p in places.suggest("Woodstoc") if p.label == "Woodstock, Canada"]
    assert len(shown) == 2
    typed = places.resolve("Woodstock, Canada")
    assert (shown[0].lat, shown[0].lon) == (typed.lat, typed.lon) == (46.15796, -67.58377)
    assert shown[0].detail != shown[1].detail


@pytest.mark.parametrize(("language", "query", "label", "details"), [
    # The provinces as the Indonesian list names them.
    ("en", "Depo", "Depok, Indonesia", {(-6.4, 106.81861): "Jawa Barat", (-7.7625, 110.43167): "DI Yogyakarta"}),
    ("id", "Tuba", "Tuban, Indonesia", {(-6.8976, 112.0649): "Jawa Timur", (-8.7427, 115.1724): "Bali"}),
    # One state: the nearest city of 100,000 people or more.
    ("en", "Chatham, Il", "Chatham, Illinois, United States",
     {(41.74115, -87.61255): "near Chicago", (39.67616, -89.70454): "near Springfield"}),
    # The country in the page's language.
    ("id", "Chatham, Il", "Chatham, Illinois, Amerika Serikat",
     {(41.74115, -87.61255): "dekat Chicago", (39.67616, -89.70454): "dekat Springfield"}),
])
def test_each_town_of_a_shared_label_is_suggested_with_what_tells_it_apart(both_lists, client, language,
                                                                           query, label, details):
    client.cookies["django_language"] = language
    suggested = client.get(reverse("hospitals:places_json"), {"q": query}).json()["places"]
    shown = {(p["lat"], p["lon"]): p["detail"] for p in suggested if p["label"] == label}
    assert shown == details
    # A label no other town shares comes without one.
    assert all(p["detail"] == "" for p in suggested if p["label"] != label)
    # Chosen, each searches its own town.
    for lat, lon in details:
        status, data = nearest_json(client, place=label, lat=str(lat), lon=str(lon))
        assert status == 200 and (data["origin"]["lat"], data["origin"]["lon"]) == (lat, lon)


@pytest.mark.parametrize(("text", "label", "was"), [
    # Other names of cities of a million people or more; what each typed alone found before.
    ("Peking", "Beijing, China", "Kosciusko, Mississippi (another of its names), by listed hospitals"),
    ("Bombay", "Mumbai, India", "nothing"),
    ("Saigon", "Ho Chi Minh City, Vietnam", "nothing"),
    ("Calcutta", "Kolkata, India", "Calcutta, South Africa (35,000 people, no listed hospital)"),
])
def test_a_big_citys_other_name_finds_it(both_lists, client, text, label, was):
    assert places.resolve(text).label == label, was
    status, data = nearest_json(client, place=text)
    assert status == 200 and data["origin"]["label"] == label
    assert data["coverage"] == "none" and "outside the hospital lists imported here" in data["message"]


def test_a_listed_town_keeps_its_own_name_over_a_big_citys_old_one(both_lists):
    # Madras, Oregon has listed hospitals; Chennai, once Madras, is named with its country.
    assert places.resolve("Madras").label.startswith("Madras, Oregon")
    assert places.resolve("Madras, India").label == "Chennai, India"
    assert places.resolve("Jayapura").label == "Jayapura, Indonesia"  # also among Jaipur's names
