"""An uncertain reading names no label, yet has a heat map: the API did not say which class's
activation it shows. `heatmap_class` (2.5.0) is the most probable class, the one the engine
drew the map for (cxr.inference's heatmap_class)."""
from __future__ import annotations

from django.test import Client
from django.urls import reverse

from webapp.screening.models import ApiToken
from webapp.tests.support.screening_helpers import prediction_for, store_reading


def test_a_reading_says_which_class_its_heat_map_shows(patient, model_dir, media_root, xray_paths):
    path = xray_paths["covid"][0]
    reading = store_reading(patient, model_dir, path, low_confidence=True)
    _token, key = ApiToken.issue(patient)
    body = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:reading", args=[reading.pk])).json()
    assert body["label"] is None
    assert body["heatmap_class"] == prediction_for(model_dir, path).heatmap_class
