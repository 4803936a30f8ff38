"""A town's own listed hospital whose map position is doubtful: listed under the town, not ranked.

Found by an audit: "Banyuwangi" said the nearest listed hospital was 71.5 km away (Jember), while
RS UMUM DAERAH BLAMBANGAN (address and city Banyuwangi; the list's coordinates put it near
Malang) came 7th at 198.7 km; RS Penyakit Infeksi Prof. Dr. Sulianti Saroso (Jakarta Utara, a
latitude without its minus sign) never appeared in a Jakarta search.
"""
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from webapp.hospitals import places
from webapp.hospitals.models import Hospital

pytestmark = pytest.mark.django_db

ID_FILE = "indonesia_covid_referral_hospitals.csv"
BLAMBANGAN = "RS UMUM DAERAH BLAMBANGAN"
SULIANTI_SAROSO = "RS PENYAKIT INFEKSI PROF. DR. SULIANTI SAROSO"


@pytest.fixture(scope="module")
def indonesian_list(django_db_setup, django_db_blocker, hospitals_dir):
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("import_hospitals", str(hospitals_dir / ID_FILE), stdout=out, stderr=StringIO())
    yield out.getvalue()
    with django_db_blocker.unblock():
        Hospital.objects.all().delete()


def page(client, **query) -> str:
    response = client.get(reverse("hospitals:nearest"), query)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</section>", 1)[0] if marker in html else ""


def ranked(html: str) -> list[str]:
    listed = section(html, 'id="hospital-list"').split("</ol>", 1)[0]
    return [part.split("</h3>", 1)[0] for part in listed.split("<h3>")[1:]]


@pytest.mark.parametrize(("place", "hospital"), [("Banyuwangi", BLAMBANGAN), ("Jakarta", SULIANTI_SAROSO),
                                                 ("Jakarta Utara", SULIANTI_SAROSO)])
def test_a_towns_doubtful_hospital_is_listed_apart_not_ranked(indonesian_list, client, place, hospital):
    assert hospital in [h.name for h in places.doubtful_hospitals_of(places.resolve(place))]
    html = page(client, place=place, k=10)
    apart = section(html, 'id="listed-here"')
    assert hospital in apart and "km away" not in apart and "Directions" not in apart
    assert hospital not in ranked(html) and len(ranked(html)) == 10  # its distance would mislead


def test_coordinates_and_other_towns_list_nothing_apart(indonesian_list, client):
    assert 'id="listed-here"' not in page(client, lat="-8.2325", lon="114.35755")  # no place named
    assert places.doubtful_hospitals_of(places.resolve("Surabaya")) == []
    assert places.doubtful_hospitals_of(places.resolve("Paris, France")) == []


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Listed in Banyuwangi, but its map position in the list is doubtful: call to check"),
    ("id", "Terdaftar di Banyuwangi, tetapi posisinya di peta dalam daftar meragukan: telepon"),
])
def test_the_page_says_so_beside_the_hospital(indonesian_list, client, language, text):
    client.cookies["django_language"] = language
    with translation.override(language):
        apart = section(page(client, place="Banyuwangi"), 'id="listed-here"')
    assert BLAMBANGAN in apart and text in apart
    assert 'href="tel:0333421118"' in apart


def test_the_import_says_when_the_other_latitude_sign_fits_the_stated_city(indonesian_list):
    """Reported, not corrected: the stored row keeps the list's latitude."""
    line = next(text for text in indonesian_list.splitlines() if "line 21 " in text and "sign" in text)
    assert SULIANTI_SAROSO in line and "-6.1301137" in line and "JAKARTA UTARA" in line
    assert "not corrected" in line
    assert Hospital.objects.get(name=SULIANTI_SAROSO).latitude == pytest.approx(6.1301137)
    assert not any("line 55 " in text and "sign" in text for text in indonesian_list.splitlines())


@pytest.mark.parametrize(("place", "hospital"), [("Banyuwangi", BLAMBANGAN), ("Jakarta", SULIANTI_SAROSO)])
def test_the_json_answer_lists_them_apart_too(indonesian_list, client, place, hospital):
    """What the page's script draws after a typed search: the same as the page."""
    response = client.get(reverse("hospitals:nearest_json"), {"place": place, "k": 10})
    data = response.json()
    apart = data["listed_here"]["hospitals"]
    assert [h["name"] for h in apart] == [hospital]
    assert apart[0]["note"].startswith("Listed in ") and apart[0]["phones"] and apart[0]["warnings"]
    assert "distance_km" not in apart[0] and "directions_url" not in apart[0]
    assert hospital not in [r["name"] for r in data["results"]] and len(data["results"]) == 10
    assert nearest_json_of_a_point(client)["listed_here"] is None


def nearest_json_of_a_point(client):
    return client.get(reverse("hospitals:nearest_json"), {"lat": "-8.2325", "lon": "114.35755"}).json()
