"""The history says what its order is (by the day the X-ray was taken, else uploaded), and where
the latest upload is an old film listed on another page, names it with a link, EN and ID."""
from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def test_history_says_its_order_and_points_to_a_latest_upload_on_another_page(
        client, patient, model_dir, media_root, xray_paths, settings):
    from webapp.screening import views

    for _ in range(2):
        store_reading(patient, model_dir, xray_paths["normal"][0])
    # Uploaded last, listed last: the film was taken in 2024.
    old_film = store_reading(patient, model_dir, xray_paths["normal"][0], taken_on=datetime.date(2024, 3, 1))
    views.HISTORY_PAGE_SIZE, size = 2, views.HISTORY_PAGE_SIZE
    try:
        client.force_login(patient)
        with translation.override("en"):
            first = client.get(reverse("screening:history")).content.decode()
            last = client.get(reverse("screening:history") + "?page=2").content.decode()
        client.cookies["django_language"] = "id"
        indonesian = client.get(reverse("screening:history")).content.decode()
    finally:
        views.HISTORY_PAGE_SIZE = size
    assert "newest X-ray first: by the date it was taken, or uploaded where the file has no date" in first
    assert 'data-testid="history-latest-upload"' in first
    assert reverse("screening:detail", args=[old_film.pk]) in first.split('data-testid="history-latest-upload"')[1]
    assert 'data-testid="history-latest-upload"' not in last  # it is on this page
    assert "foto terbaru di atas: menurut tanggal foto diambil" in indonesian
    assert "Buka unggahan terakhir Anda" in indonesian
