"""A stored picture that is there but damaged (a bad restore, a disk error; bytes cut short or
overwritten) showed as a broken image on the reading page and its report (and a doctor's compare page), where
a lost one is said in words (test_reading_page_with_lost_pictures_e2e): the pages took a file's
presence for a picture. They now say it as for a lost picture, and ask nothing of the file."""
from __future__ import annotations

import os

import pytest
from django.urls import reverse

from webapp.screening import storage
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db

SAID = {"heatmap_path": "The heat map of this reading is missing from the server's storage",
        "original_path": "The X-ray and heat map of this reading are missing from the server's storage"}


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if how == "cut_short" else os.urandom(len(data)))


@pytest.mark.parametrize("damaged", ["heatmap_path", "original_path"])
@pytest.mark.parametrize("how", ["cut_short", "overwritten"])
def test_pages_say_a_damaged_picture_and_do_not_ask_for_it(patient, patient_client, model_dir, media_root,
                                                           xray_paths, damaged, how):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    _damage(storage.absolute_path(getattr(reading, damaged)), how)

    detail = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    report = patient_client.get(reverse("screening:report", args=[reading.pk])).content.decode()
    for page in (detail, report):
        assert SAID[damaged] in page.replace("&#x27;", "'")
        assert reverse("screening:heatmap", args=[reading.pk]) not in page
        assert reverse("screening:overlay", args=[reading.pk]) not in page
    if damaged == "original_path":
        assert reverse("screening:original", args=[reading.pk]) not in detail
    else:  # the X-ray is whole: it is still shown
        assert reverse("screening:original", args=[reading.pk]) in detail


def test_a_whole_reading_says_nothing_is_missing(patient, patient_client, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    detail = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert 'data-testid="picture-missing"' not in detail
    assert reverse("screening:heatmap", args=[reading.pk]) in detail
