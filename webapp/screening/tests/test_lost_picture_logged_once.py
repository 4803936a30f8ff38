"""A reading whose stored picture is lost was logged at ERROR at every view of its page, its
report and its pictures: one lost file filled the error log, and a second lost file drowned in
the first one's lines. Each lost or damaged file is now said once at ERROR (where a server
process first finds it) and at INFO after that; a file found whole again and then lost anew is
a new error."""
from __future__ import annotations

import logging
import shutil

import pytest
from django.urls import reverse

from webapp.screening import storage
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def _said(caplog, relative: str) -> list[int]:
    """The levels of the records that name the stored file `relative`."""
    return [record.levelno for record in caplog.records if relative in record.getMessage()]


def test_a_lost_xray_is_one_error_however_often_its_reading_is_viewed(
        patient, patient_client, model_dir, media_root, xray_paths, caplog):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    storage.absolute_path(reading.original_path).unlink()
    with caplog.at_level(logging.INFO):
        for route in ("screening:detail", "screening:detail", "screening:report", "screening:original",
                      "screening:original", "screening:detail"):
            response = patient_client.get(reverse(route, args=[reading.pk]))
            assert response.status_code == (404 if route == "screening:original" else 200), route
    levels = _said(caplog, reading.original_path)
    assert levels.count(logging.ERROR) == 1, levels
    assert levels[0] == logging.ERROR, "the first view finds it, and says it as an error"
    assert len(levels) >= 6 and set(levels[1:]) == {logging.INFO}, "later views still leave a trace"


def test_a_damaged_heat_map_is_one_error(patient, patient_client, model_dir, media_root, xray_paths, caplog):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    path = storage.absolute_path(reading.heatmap_path)
    path.write_bytes(path.read_bytes()[:100])
    with caplog.at_level(logging.INFO):
        for _view in range(3):
            assert patient_client.get(reverse("screening:detail", args=[reading.pk])).status_code == 200
    levels = _said(caplog, reading.heatmap_path)
    assert levels == [logging.ERROR, logging.INFO, logging.INFO]


def test_a_file_restored_and_lost_again_is_a_new_error(
        patient, patient_client, model_dir, media_root, xray_paths, caplog, tmp_path):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    path = storage.absolute_path(reading.heatmap_path)
    kept = tmp_path / "kept.png"
    shutil.copy(path, kept)
    detail = reverse("screening:detail", args=[reading.pk])
    with caplog.at_level(logging.INFO):
        path.unlink()
        patient_client.get(detail)
        patient_client.get(detail)
        shutil.copy(kept, path)  # the operator restores it
        patient_client.get(detail)
        path.unlink()  # and it is lost again
        patient_client.get(detail)
    assert _said(caplog, reading.heatmap_path) == [logging.ERROR, logging.INFO, logging.ERROR]
