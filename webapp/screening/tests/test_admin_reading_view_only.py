"""A reading's admin page is a view: every field is the model's, so it offered Save buttons that
only wrote "No fields changed." into the history. Its probabilities and warnings read as text,
not JSON, and the list says "Uncertain" where a reading has no label, not "-"."""
from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import translation

from webapp.audit.models import Action, AuditEvent
from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db

NOTICE = {"code": "", "params": {}, "text": "The image is smaller than the model was trained on."}


@pytest.fixture
def reading(make_reading, alice, xray_paths):
    reading = make_reading(alice, xray_paths["normal"][0])
    Reading.objects.filter(pk=reading.pk).update(
        probabilities={"covid": 0.05, "normal": 0.75, "pneumonia": 0.2}, warnings=[NOTICE])
    return Reading.objects.get(pk=reading.pk)


def change_url(reading) -> str:
    return reverse("admin:screening_reading_change", args=[reading.pk])


def test_the_page_has_no_save_buttons_but_keeps_delete_and_the_audit(reading, alice, superuser_client):
    page = superuser_client.get(change_url(reading))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert reverse("admin:screening_reading_delete", args=[reading.pk]) in html
    assert list(AuditEvent.objects.values_list("action", "reading_id", "reading_owner_id")) == [
        (Action.ADMIN_VIEW, reading.pk, alice.pk)]


def test_posting_the_page_changes_nothing_and_writes_no_history(reading, superuser_client):
    answer = superuser_client.post(change_url(reading), {"patient_reference": "changed", "_save": "Save"})
    assert answer.status_code == 403
    assert not LogEntry.objects.exists()
    assert Reading.objects.get(pk=reading.pk).patient_reference == reading.patient_reference


def test_probabilities_and_warnings_read_as_text(reading, superuser_client):
    with translation.override("en"):
        html = superuser_client.get(change_url(reading), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<div>Normal: 75.0%</div><div>Pneumonia (not COVID-19): 20.0%</div><div>COVID-19: 5.0%</div>" in html
    assert f"<div>{NOTICE['text']}</div>" in html
    assert '{"covid"' not in html and '"code"' not in html


def test_the_list_says_uncertain_and_filters_by_outcome(make_reading, alice, xray_paths, superuser_client):
    labelled = make_reading(alice, xray_paths["normal"][0])
    Reading.objects.filter(pk=labelled.pk).update(label="normal", low_confidence=False)
    unlabelled = make_reading(alice, xray_paths["normal"][1])
    Reading.objects.filter(pk=unlabelled.pk).update(label=None, low_confidence=False)
    hedged = make_reading(alice, xray_paths["covid"][0])
    Reading.objects.filter(pk=hedged.pk).update(label="covid", low_confidence=True)
    url = reverse("admin:screening_reading_changelist")

    listing = superuser_client.get(url).content.decode()
    assert listing.count('<td class="field-outcome">Uncertain</td>') == 2
    assert listing.count('<td class="field-outcome">No findings</td>') == 1

    uncertain = superuser_client.get(url, {"outcome": "uncertain"}).context["cl"].result_list
    assert sorted(r.pk for r in uncertain) == sorted([unlabelled.pk, hedged.pk])
    normal = superuser_client.get(url, {"outcome": "normal"}).context["cl"].result_list
    assert [r.pk for r in normal] == [labelled.pk]
