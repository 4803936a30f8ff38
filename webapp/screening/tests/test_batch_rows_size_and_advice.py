"""A batch page row says an empty file's size ("0 bytes", not nothing) and gives a refused file
the advice a single upload of it gives (screen.not_a_cxr_advice)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.screening.models import BatchItem, UploadBatch

pytestmark = pytest.mark.django_db


def _batch(owner, *states):
    batch = UploadBatch.objects.create(owner=owner)
    for index, state in enumerate(states):
        BatchItem.objects.create(batch=batch, index=index, state=state, size=0)
    return batch


def test_the_batch_row_of_an_empty_file_shows_its_size(client, patient):
    client.force_login(patient)
    batch = _batch(patient, "queued")
    with translation.override("en"):
        html = client.get(reverse("screening:batch", args=[batch.pk])).content.decode()
    assert "File 1 · 0\xa0bytes" in html


def test_a_refused_batch_file_gives_the_advice_a_single_upload_gives(client, patient):
    from webapp.screening.screen import not_a_cxr_advice

    client.force_login(patient)
    batch = _batch(patient, "refused")
    batch.items.update(refusal_code="not_a_chest_xray", refusal_status=422,
                       refusal_title="This does not look like a chest X-ray",
                       refusal_message="This does not look like a chest X-ray.")
    with translation.override("en"):
        html = client.get(reverse("screening:batch", args=[batch.pk])).content.decode()
        advice = not_a_cxr_advice(False)
    assert 'data-testid="batch-refusal-advice"' in html
    assert all(str(line).replace("'", "&#x27;") in html for line in advice)
