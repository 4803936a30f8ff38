"""The upload page's rows (upload.js, several files, one request each) gave each file's headline
bare, while the reading's own page says under it how often such a label was right on hospitals
the model did not learn from. The JSON answer each row reads now carries that short caveat, in the
reader's language."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import override

from webapp.screening import presentation
from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "id"])
def test_an_upload_rows_answer_carries_the_labels_caveat(client, patient, model_dir, media_root,
                                                          xray_paths, language):
    client.force_login(patient)
    client.cookies["django_language"] = language
    path = xray_paths["normal"][0]
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(reverse("screening:upload"), {"image": upload},
                           headers={"x-requested-with": "XMLHttpRequest", "accept": "application/json"})
    assert response.status_code == 201
    reading = Reading.objects.get(pk=response.json()["id"])
    with override(language):
        caveat = presentation.label_caveat_short(reading)
    assert caveat  # the served model's labels were measured on hospitals it did not learn from
    assert response.json()["label_caveat_short"] == caveat
