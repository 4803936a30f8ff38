"""A batch that no worker reads (the queue's worker is stopped) says, after a while with nothing
moved, that reading is delayed and what to do, on the page and in the rows batch.js polls; a
fresh batch does not."""
from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from webapp.screening.models import BatchItem, UploadBatch

pytestmark = pytest.mark.django_db


def _batch(owner, *states, moved_minutes_ago=0):
    batch = UploadBatch.objects.create(owner=owner)
    for index, state in enumerate(states):
        BatchItem.objects.create(batch=batch, index=index, state=state, size=0)
    then = timezone.now() - datetime.timedelta(minutes=moved_minutes_ago)
    BatchItem.objects.filter(batch=batch).update(updated_at=then)
    return batch


def test_a_batch_nothing_reads_says_reading_is_delayed(client, patient):
    client.force_login(patient)
    fresh = _batch(patient, "queued", "queued")
    with translation.override("en"):
        assert 'data-testid="batch-stalled"' not in client.get(reverse("screening:batch", args=[fresh.pk])).content.decode()
        stuck = _batch(patient, "queued", "queued", moved_minutes_ago=10)
        html = client.get(reverse("screening:batch", args=[stuck.pk])).content.decode()
        status = client.get(reverse("screening:batch_status", args=[stuck.pk])).json()["html"]
    assert 'data-testid="batch-stalled"' in html and 'data-testid="batch-stalled"' in status
    assert "Reading is delayed." in html
    assert "the reading service may be stopped" in html.replace("&#x27;", "'")
