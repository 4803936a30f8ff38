"""What a multi-file upload remembers while the queue reads it: one UploadBatch per request and
one BatchItem per file (webapp/screening/batches.py does the work)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UploadBatch(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="upload_batches")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The API's Idempotency-Key ("" for none) and a digest of all files: a retry with the same
    # key and files gets the same batch back, never a second one.
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["owner", "idempotency_key"], condition=~models.Q(idempotency_key=""),
            name="batch_owner_idempotency_key")]

    def __str__(self) -> str:
        return f"Upload batch {self.pk} of user {self.owner_id}"


class BatchItem(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")  # stored, waiting for a worker
        READING = "reading", _("Being read")  # a worker has it
        DONE = "done", _("Done")  # read: `reading` is set
        REFUSED = "refused", _("Refused")  # no reading: refusal_* say why

    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="items")
    index = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED,
                             db_index=True)
    # The waiting file, relative to settings.PRIVATE_MEDIA_ROOT (removed once the item is done or
    # refused). Its original name is never stored (issue 17): the page says "File 2".
    upload_path = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    patient_reference = models.CharField(max_length=64, blank=True, default="")
    reading = models.OneToOneField("screening.Reading", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="batch_item")
    refusal_code = models.CharField(max_length=40, blank=True, default="")
    refusal_status = models.PositiveSmallIntegerField(null=True, blank=True)
    refusal_title = models.CharField(max_length=200, blank=True, default="")
    refusal_message = models.TextField(blank=True, default="")
    # The title and message above are kept in English, with the engine's notice behind the
    # message ({"code", "params", "text"}): batches.refusal_words says them in the reader's
    # language when shown, whichever language the upload was made in.
    refusal_notice = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="batch_item_index")]

    def __str__(self) -> str:
        return f"Item {self.index} of batch {self.batch_id} ({self.state})"
