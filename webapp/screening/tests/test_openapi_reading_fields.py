"""The OpenAPI document's Reading says what each field is: set_confidence/prediction_set blamed
"older models" for a null the bundled model gives today; low_confidence, ood_score,
source_format, width and height had no description (source_format no enum); taken_on, always
sent, was not required; and the info listed PNG, JPEG and DICOM while TIFF and BMP are read."""
from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_the_reading_schema_describes_its_fields(db):
    document = Client().get(reverse("api:openapi")).json()
    reading = document["components"]["schemas"]["Reading"]
    fields = reading["properties"]
    for name in ("low_confidence", "ood_score", "source_format", "width", "height"):
        assert fields[name].get("description"), name
    assert "not a probability" in fields["ood_score"]["description"].lower()
    assert "model card" in fields["ood_score"]["description"]
    assert set(fields["source_format"]["enum"]) >= {"png", "jpeg", "tiff", "bmp", "dicom"}
    assert "taken_on" in reading["required"]
    assert "older models" not in fields["prediction_set"]["description"]
    assert "the bundled model today" in fields["prediction_set"]["description"]
    assert "TIFF, BMP" in document["info"]["description"]
