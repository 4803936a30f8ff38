"""What the screening app stores: one Reading per screened X-ray, a site's validations, and
(in api_models.py, re-exported here) the JSON API's tokens and idempotency records.

Image files live on disk under settings.PRIVATE_MEDIA_ROOT (see storage.py); the row keeps their
paths relative to that root, so the folder can move without touching the database.
"""
from __future__ import annotations

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


class ReadingQuerySet(models.QuerySet):
    def with_outcome(self, outcome: str) -> ReadingQuerySet:
        """The readings whose `Reading.outcome` is `outcome` (one of OUTCOMES), as a database
        filter: the same rule as that property, which must change with it (a test holds the two
        together: screening/tests/test_outcome_rule.py)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome: {outcome!r}")
        if outcome == OUTCOME_REFUSED:
            return self.none()  # a refused image is never stored (storage.create_reading)
        if outcome == OUTCOME_UNCERTAIN:
            return self.filter(models.Q(low_confidence=True) | models.Q(label__isnull=True) | models.Q(label=""))
        return self.filter(label=outcome, low_confidence=False)


class Reading(models.Model):
    """The model's reading of one uploaded chest X-ray, as shown to its owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="readings",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)

    # The prediction (cxr.inference.Prediction fields). `label` is None when uncertain.
    # NULL, not "", for "no label": it mirrors cxr.inference (None) and the API (null).
    label = models.CharField(_("label"), max_length=16, null=True, blank=True)  # noqa: DJ001
    probabilities = models.JSONField(_("probabilities"), default=dict)
    # Why there is no label (uncertain), as English text plus the engine's notice code and
    # parameters, so the page can say it in the reader's language (screening/engine_text.py).
    reason = models.TextField(_("reason"), blank=True, default="")
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True, default="")
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    low_confidence = models.BooleanField(_("low confidence"), default=False)
    ood_score = models.FloatField(_("out-of-distribution score"), null=True, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)  # notices: {"code", "params", "text"}
    # The classes the model could not rule out (cxr.inference Prediction.prediction_set), and the
    # confidence the model card states for such sets (card.trust.set_confidence, e.g. 0.9).
    # NULL when the model's card had no out-of-source fit (older models): no set was made.
    prediction_set = models.JSONField(_("prediction set"), null=True, blank=True)
    set_confidence = models.FloatField(_("set confidence"), null=True, blank=True)
    model_version = models.CharField(_("model version"), max_length=64, blank=True, default="")

    # The upload. Its file name is never stored: names often hold the patient's name (issue 17);
    # the person types a reference of their own instead (patient_reference below).
    source_format = models.CharField(_("source format"), max_length=16, blank=True, default="")
    # The day the X-ray was taken, from a DICOM header (taken_on.py); null for other files.
    taken_on = models.DateField(_("X-ray taken on"), null=True, blank=True)
    image_width = models.PositiveIntegerField(_("image width"), default=0)
    image_height = models.PositiveIntegerField(_("image height"), default=0)

    # Files, relative to settings.PRIVATE_MEDIA_ROOT: <owner id>/<storage_key>/<name>.png
    storage_key = models.UUIDField(_("storage key"), default=uuid.uuid4, unique=True, editable=False)
    original_path = models.CharField(_("X-ray file"), max_length=255)
    thumbnail_path = models.CharField(_("thumbnail file"), max_length=255)
    heatmap_path = models.CharField(_("heat map file"), max_length=255)

    # The owner's own reference, typed at upload (or the DICOM PatientID when they opt in), and a
    # doctor's note; doctors can change both later.
    patient_reference = models.CharField(_("patient reference"), max_length=64, blank=True, default="")
    note = models.TextField(_("note"), max_length=2000, blank=True, default="")

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="reading_owner_newest")]
        verbose_name = _("reading")
        verbose_name_plural = _("readings")

    def __str__(self) -> str:
        return f"Reading {self.pk} ({self.outcome}) of user {self.owner_id}"

    @property
    def original_filename(self) -> str:
        """Always "": file names are no longer stored (issue 17). Kept read-only for the API's
        reading object, whose `original_filename` is deprecated (api_schemas.Reading)."""
        return ""

    @property
    def outcome(self) -> str:
        """One of OUTCOMES, never "refused": a refused image is not stored. A low-confidence
        reading is never shown with a label. The database
        side of this rule is ReadingQuerySet.with_outcome: change both together."""
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


# The API's models live beside the API (api_models.py); imported here so Django registers them.
from .api_models import ApiToken, IdempotentUpload  # noqa: E402, F401, I001
from .batch_models import BatchItem, UploadBatch  # noqa: E402, F401, I001
from .rate_limits import AccountRateWindow  # noqa: E402, F401, I001
