"""After a deletion the person is back on the history list they came from (its filters and page),
never on a `next` outside the history."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def test_deleting_returns_to_the_list_the_person_came_from(client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    client.force_login(patient)
    listing = reverse("screening:history") + "?outcome=normal&order=oldest"
    client.get(listing)
    form = client.get(reverse("screening:delete", args=[reading.pk])).content.decode()
    assert 'name="next"' in form
    response = client.post(reverse("screening:delete", args=[reading.pk]))
    assert response.status_code == 302 and response["Location"] == listing
    other = store_reading(patient, model_dir, xray_paths["normal"][0])
    response = client.post(reverse("screening:delete", args=[other.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == listing  # not elsewhere
    assert not Reading.objects.exists()
