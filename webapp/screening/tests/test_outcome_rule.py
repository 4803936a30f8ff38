"""One outcome rule: the history's filter, the admin's filter and the database query keep exactly
the readings whose `Reading.outcome` is the outcome asked for, edge cases included (a label with
low confidence, no label, an empty label)."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from webapp.screening.admin import OutcomeFilter, ReadingAdmin
from webapp.screening.forms import HistoryFilterForm
from webapp.screening.models import OUTCOMES, Reading

pytestmark = pytest.mark.django_db

# (label, low_confidence): every combination the outcome rule tells apart.
EDGE_CASES = [("covid", False), ("pneumonia", False), ("normal", False), ("covid", True),
              ("normal", True), (None, False), (None, True), ("", False), ("", True)]
FILTERED_OUTCOMES = [value for value, _words in HistoryFilterForm.OUTCOME_CHOICES if value]


@pytest.fixture
def readings(patient) -> list[Reading]:
    return [Reading.objects.create(owner=patient, label=label, low_confidence=low_confidence,
                                   probabilities={"covid": 0.5, "normal": 0.3, "pneumonia": 0.2})
            for label, low_confidence in EDGE_CASES]


def _with_outcome_by_property(readings: list[Reading], outcome: str) -> set[int]:
    return {reading.pk for reading in readings if reading.outcome == outcome}


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_query_keeps_the_readings_whose_outcome_it_is(readings, outcome):
    kept = set(Reading.objects.with_outcome(outcome).values_list("pk", flat=True))
    assert kept == _with_outcome_by_property(readings, outcome)


@pytest.mark.parametrize("outcome", FILTERED_OUTCOMES)
def test_the_history_filter_keeps_the_readings_whose_outcome_it_is(readings, outcome):
    form = HistoryFilterForm({"outcome": outcome})
    kept = {reading.pk for reading in form.filter(Reading.objects.all())}
    assert kept == _with_outcome_by_property(readings, outcome)


@pytest.mark.parametrize("outcome", FILTERED_OUTCOMES)
def test_the_admin_filter_keeps_the_readings_whose_outcome_it_is(readings, outcome):
    request = RequestFactory().get("/", {"outcome": outcome})
    admin_filter = OutcomeFilter(request, {"outcome": [outcome]}, Reading, ReadingAdmin)
    kept = {reading.pk for reading in admin_filter.queryset(request, Reading.objects.all())}
    assert kept == _with_outcome_by_property(readings, outcome)


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="bogus"):
        Reading.objects.with_outcome("bogus")
