"""A reading made by an earlier model, after the model was upgraded or swapped (an operator audit
upgraded a site with readings): its page, printable report, PDF and FHIR report named it with the
installed model's name ("cxr-3class-swapped 2026-11-26+7b512af", a model that never made it),
listed the installed model's measured limits as its own, and, once the installed card carried an
out-of-source fit, called its probabilities plainly calibrated. Only the version is stored with a
reading: the name goes, the limits are said to be the installed model's, and only the model that
made a reading earns the plain calibration statement."""
from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cxr.inference.card import ModelCard
from webapp.guide.tests.support import trust_section
from webapp.screening import engine
from webapp.screening.models import Reading
from webapp.screening.presentation import calibration_note, limitations_for, model_name_of
from webapp.tests.support.screening_helpers import pdf_drawn_text, store_reading

pytestmark = pytest.mark.django_db

EARLIER = "2026-11-26+7b512af"


def _words(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture
def earlier_reading(patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    Reading.objects.filter(pk=reading.pk).update(model_version=EARLIER)
    reading.refresh_from_db()
    return reading


def test_the_installed_models_name_is_not_given_to_an_earlier_reading(earlier_reading, patient_client):
    card = engine.model_card()
    assert card.name and card.served_version != EARLIER
    assert model_name_of(earlier_reading) == ""
    for route in ("screening:detail", "screening:report"):
        page = _words(patient_client.get(reverse(route, args=[earlier_reading.pk])).content.decode())
        assert f"Model version {EARLIER}" in page, route
        assert f"{card.name} {EARLIER}" not in page, route
    pdf = patient_client.get(reverse("screening:report_pdf", args=[earlier_reading.pk])).content
    assert f"Model {EARLIER}" in pdf_drawn_text(pdf) and card.name not in pdf_drawn_text(pdf)


def test_the_limits_shown_say_they_are_the_installed_models(earlier_reading, patient, model_dir, xray_paths,
                                                            patient_client):
    card = engine.model_card()
    own = store_reading(patient, model_dir, xray_paths["normal"][1])
    assert limitations_for(own, card)[0] != limitations_for(earlier_reading, card)[0]
    with translation.override("id"):
        first = limitations_for(earlier_reading, card)[0]
    assert card.served_version in first and EARLIER in first and "model yang terpasang sekarang" in first
    for route in ("screening:detail", "screening:report"):
        page = _words(patient_client.get(reverse(route, args=[earlier_reading.pk])).content.decode())
        assert (f"These are the limits of the model installed now (version {card.served_version}). "
                f"This reading was made by version {EARLIER}") in page, route
    assert model_name_of(own) == card.name


def test_only_the_model_that_made_a_reading_earns_the_plain_calibration_statement(earlier_reading, patient,
                                                                                 model_dir, xray_paths):
    card = json.loads((model_dir / "model_card.json").read_text(encoding="utf-8"))
    fitted = ModelCard.from_dict({**card, "trust": trust_section()})
    own = store_reading(patient, model_dir, xray_paths["normal"][1])
    assert calibration_note(own, fitted).startswith("Calibrated probabilities")
    assert calibration_note(earlier_reading, fitted).startswith("Probabilities are calibrated on X-rays of "
                                                                "the collections the model learned from")
    assert calibration_note(own, None).startswith("Probabilities are calibrated on X-rays of the collections")


def test_the_fhir_report_names_no_other_model(earlier_reading, patient):
    from webapp.screening.models import ApiToken

    card = engine.model_card()
    _token, key = ApiToken.issue(patient)
    report = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:fhir", args=[earlier_reading.pk])).json()
    assert EARLIER in str(report) and f"{card.name} {EARLIER}" not in str(report)
