"""POST /readings/batch/'s request body described the single upload's rules ("at most N bytes"
per file, "another file type -> 415"), but a batch answers 202 and refuses its files one by one
in its status, and the size limit is for all files together."""
from __future__ import annotations

from django.test import Client
from django.urls import reverse


def _body_description(document, path):
    return document["paths"][path]["post"]["requestBody"]["description"]


def test_the_batch_upload_has_its_own_rules(db):
    document = Client().get(reverse("api:openapi")).json()
    single = _body_description(document, "/readings/")
    batch = _body_description(document, "/readings/batch/")
    assert "-> 415 unsupported_format" in single
    assert "-> 415" not in batch and "422 not_a_chest_xray" not in batch
    assert "all the files together" in batch and "202" in batch and "getBatch" in batch
