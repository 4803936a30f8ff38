"""What the screening app stores: one Reading per screened X-ray, and one API token per user.

Image files live on disk under settings.PRIVATE_MEDIA_ROOT (see storage.py); the row keeps their
paths relative to that root, so the folder can move without touching the database.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The outcomes a page, the API and the guide's next-steps pages all speak of.
OUTCOME_COVID = "covid"
OUTCOME_PNEUMONIA = "pneumonia"
OUTCOME_NORMAL = "normal"
OUTCOME_UNCERTAIN = "uncertain"
OUTCOME_REFUSED = "refused"
OUTCOMES = (OUTCOME_COVID, OUTCOME_PNEUMONIA, OUTCOME_NORMAL, OUTCOME_UNCERTAIN, OUTCOME_REFUSED)


class Reading(models.Model):
    """The model's reading of one uploaded chest X-ray, as shown to its owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="readings"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # The prediction (cxr.inference.Reading fields). `label` is None when uncertain.
    # NULL, not "", for "no label": it mirrors cxr.inference (None) and the API (null).
    label = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    probabilities = models.JSONField(default=dict)
    rejected = models.BooleanField(default=False)
    # Why there is no label (uncertain), as English text plus the engine's notice code and
    # parameters, so the page can say it in the reader's language (screening/engine_text.py).
    reason = models.TextField(blank=True, default="")
    reason_code = models.CharField(max_length=40, blank=True, default="")
    reason_params = models.JSONField(default=dict, blank=True)
    low_confidence = models.BooleanField(default=False)
    ood_score = models.FloatField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # notices: {"code", "params", "text"}
    # The classes the model could not rule out (cxr.inference Prediction.prediction_set), and the
    # confidence the model card states for such sets (card.trust.set_confidence, e.g. 0.9).
    # NULL when the model's card had no out-of-source fit (older models): no set was made.
    prediction_set = models.JSONField(null=True, blank=True)
    set_confidence = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=64, blank=True, default="")

    # The upload.
    source_format = models.CharField(max_length=16, blank=True, default="")
    original_filename = models.CharField(max_length=255, blank=True, default="")
    image_width = models.PositiveIntegerField(default=0)
    image_height = models.PositiveIntegerField(default=0)

    # Files, relative to settings.PRIVATE_MEDIA_ROOT: <owner id>/<storage_key>/<name>.png
    storage_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original_path = models.CharField(max_length=255)
    thumbnail_path = models.CharField(max_length=255)
    heatmap_path = models.CharField(max_length=255)

    # Doctor-only annotations.
    patient_reference = models.CharField(_("patient reference"), max_length=64, blank=True, default="")
    note = models.TextField(_("note"), max_length=2000, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="reading_owner_newest")]

    def __str__(self) -> str:
        return f"Reading {self.pk} ({self.outcome}) of user {self.owner_id}"

    @property
    def outcome(self) -> str:
        """One of OUTCOMES. A low-confidence reading is never shown with a label."""
        if self.rejected:
            return OUTCOME_REFUSED
        if self.low_confidence or not self.label:
            return OUTCOME_UNCERTAIN
        return self.label

    @property
    def uncertain(self) -> bool:
        """A chest X-ray that was read but gets no label: a radiologist should read it."""
        return self.outcome == OUTCOME_UNCERTAIN

    def sorted_probabilities(self) -> list[tuple[str, float]]:
        """(class, probability) pairs, most likely first."""
        return sorted(self.probabilities.items(), key=lambda item: item[1], reverse=True)


def _hash_key(key: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: nobody can brute-force the input.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A user's key for the JSON API. Only its hash is stored; the key is shown once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the key, so its owner can tell which key this is.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token {self.prefix}... of user {self.user_id}"

    @classmethod
    def issue(cls, user) -> tuple[ApiToken, str]:
        """Create (or replace) the user's token; return it and the plain key (never stored)."""
        key = secrets.token_urlsafe(32)
        token, _created = cls.objects.update_or_create(
            user=user,
            defaults={"key_hash": _hash_key(key), "prefix": key[:8], "created_at": timezone.now(),
                      "last_used_at": None},
        )
        return token, key

    @classmethod
    def user_for_key(cls, key: str):
        """The active user owning `key`, or None."""
        if not key:
            return None
        token = cls.objects.select_related("user").filter(key_hash=_hash_key(key)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        # Record use at most once a minute: one write per API call would be wasteful.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class SiteValidation(models.Model):
    """One check of the model on this site's own labelled X-rays, run by an administrator
    (cxr.inference.site_check). The uploaded images are read in the request and never stored:
    only the counts, the report and the verdict are kept."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="site_validations")
    model_version = models.CharField(max_length=64, blank=True, default="")
    cases = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)  # not refused, not unreadable
    refused = models.PositiveIntegerField(default=0)  # "not a chest X-ray"
    labelled = models.PositiveIntegerField(default=0)  # read and given a label
    right = models.PositiveIntegerField(default=0)  # labelled and the label was the known class
    # The site report (cxr.inference.site_check.site_report) as JSON, and its verdict: a stable
    # code, and the English text (pages say it in the reader's language from code and report).
    report = models.JSONField(default=dict)
    verdict_code = models.CharField(max_length=32)
    verdict_text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Site validation {self.pk} of model {self.model_version}: {self.verdict_code}"

    @property
    def labelled_accuracy(self) -> dict:
        return self.report.get("labelled_accuracy") or {}

    @property
    def coverage(self) -> dict:
        return self.report.get("coverage") or {}
