"""The history's and the batch page's rows give a label's caveat (how often such labels were
right on hospitals the model did not learn from), as the compare page's cards do, not the bare
headline."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.screening import presentation
from webapp.screening.models import BatchItem, UploadBatch
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db

CAVEAT = {
    "code": "label_unverified_unseen_class",
    "params": {"label": "normal", "source_percent": 32.0, "right": 130, "said": 402},
    "text": "Unverified.",
}
CAUTION = "Caution: “Normal” was right 130 of 402 times (32%) on hospitals it did not learn from."


def test_history_and_batch_rows_give_the_labels_caveat(client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0], warnings=[CAVEAT])
    batch = UploadBatch.objects.create(owner=patient)
    BatchItem.objects.create(batch=batch, index=0, state="done", size=100, reading=reading)
    client.force_login(patient)
    with translation.override("en"):
        assert presentation.label_caveat_short(reading) == CAUTION
        history = client.get(reverse("screening:history")).content.decode()
        rows = client.get(reverse("screening:batch", args=[batch.pk])).content.decode()
    assert 'data-testid="history-label-caveat"' in history and CAUTION in history
    assert 'data-testid="batch-label-caveat"' in rows and CAUTION in rows
