"""Uploads that are safe to retry: the `Idempotency-Key` header.

A client that lost the answer to an upload (a timeout, a dropped connection) sends the same
request again with the same key. The first request claims the key (a row, unique per user and
key) before the model runs; the retry then finds the reading and answers it again instead of
making a second one. The same key with a different file is refused (422), and a retry that
arrives while the first request is still running is told to wait (409, Retry-After).
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .api_models import IdempotentUpload
from .api_problems import ApiProblem
from .screen import screen_upload

# A claim older than this without a reading belongs to a request that died (worker killed,
# machine lost): a retry may take it over. Longer than gunicorn's --timeout (120 s).
ABANDONED_AFTER = timedelta(minutes=5)


def fingerprint(uploaded) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def _claim(owner, key: str, print_: str) -> IdempotentUpload | None:
    """Claim `key` for this request: the new row, or None when another request holds it."""
    try:
        with transaction.atomic():
            return IdempotentUpload.objects.create(owner=owner, key=key, fingerprint=print_)
    except IntegrityError:
        return None


def screen_once(owner, uploaded, key: str | None):
    """(reading, replayed): screen_upload, at most once per (owner, key). Raises UploadRefused
    (as screen_upload does) or ApiProblem (the key is reused or busy)."""
    if not key:
        return screen_upload(owner, uploaded), False
    print_ = fingerprint(uploaded)
    record = _claim(owner, key, print_)
    while record is None:
        existing = IdempotentUpload.objects.filter(owner=owner, key=key).select_related("reading").first()
        if existing is None:  # the other request was refused and let go of the key: claim again
            record = _claim(owner, key, print_)
            continue
        if existing.fingerprint != print_:
            raise ApiProblem(422, "idempotency_key_reused",
                             "This Idempotency-Key was used for another file; use a new key "
                             "for each upload.")
        if existing.reading is not None:
            return existing.reading, True
        if timezone.now() - existing.created_at < ABANDONED_AFTER:
            raise ApiProblem(409, "idempotency_key_in_use",
                             "An upload with this Idempotency-Key is still being screened; "
                             "retry in a few seconds.", retry_after=2)
        # Abandoned: take it over, unless a concurrent retry just did.
        taken = IdempotentUpload.objects.filter(pk=existing.pk, reading=None,
                                                created_at=existing.created_at)
        if taken.update(created_at=timezone.now()):
            record = existing
    try:
        reading = screen_upload(owner, uploaded)
    except BaseException:
        record.delete()  # nothing was made: a retry runs again (and is refused again)
        raise
    IdempotentUpload.objects.filter(pk=record.pk).update(reading=reading)
    return reading, False
