"""How often one search reads the hospital table's version (a COUNT/MAX aggregate): once.

The nearest-hospital index and the lists' place names are rebuilt when the table changes; the
test for a change is one aggregate query, which a search used to run for every word combination
it tried (a 200-character place of one-letter words ran about 300 queries).
"""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from webapp.hospitals import places

pytestmark = pytest.mark.django_db


def version_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if 'MAX("hospitals_hospital"."updated_at")' in q["sql"]]


@pytest.mark.parametrize("text", ["Bandung", "a " * 100, "Bandug", "Surabya, Jawa Timur", "Kec. Tebet"])
def test_one_search_reads_the_table_version_once(both_lists, client, text):
    places.find("Jakarta")  # the indexes are built: what is left is the per-search cost
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("hospitals:nearest_json"), {"place": text})
    assert len(version_queries(queries.captured_queries)) <= 1, text


def test_a_long_phrase_of_short_words_runs_few_queries(both_lists, client):
    places.find("Jakarta")
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("hospitals:nearest"), {"place": "a " * 100})
    assert len(queries.captured_queries) <= 10


def test_place_suggestions_read_the_table_version_once(both_lists, client):
    places.suggest("Jakarta")
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("hospitals:places_json"), {"q": "Sura"})
    assert len(version_queries(queries.captured_queries)) <= 1


@pytest.mark.parametrize("typed", ["bandug", "sekupang", "jakrta", "surabya", "chicgo", "ab"])
def test_close_names_are_compared_only_where_they_can_be_close(both_lists, typed):
    """A name far longer or shorter than the typed one cannot reach difflib's cutoff: skipping
    them changes no suggestion, and a long phrase is compared with no name at all."""
    import difflib

    listed = places.hospital_places()
    everything = difflib.get_close_matches(typed, listed.close_names, n=12, cutoff=places.CLOSE_RATIO)
    assert difflib.get_close_matches(typed, listed.close_names_for(typed, places.CLOSE_RATIO), n=12,
                                     cutoff=places.CLOSE_RATIO) == everything
    assert listed.close_names_for(places.normalise("a " * 100), places.CLOSE_RATIO) == []
