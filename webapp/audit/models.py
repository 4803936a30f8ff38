"""The audit log: one row per look at, download of, change to or deletion of a reading (by its
owner through the pages or the API, or by an administrator in the admin site), and per download
of all one's data or deletion of one's account. A signed-in user's requests for readings that
are not theirs (404s) are counted on one row per account, address and window (log.record_denied).

Rows are never deleted by the app (the admin shows them read-only). They keep the reading's id,
not a foreign key, so the trail of a deleted reading survives its deletion, and a copy of the
actor's email. When an account is deleted (by its owner or in the admin site:
webapp/accounts/deletion.py), its rows lose the email and IP address
(replaced by one random pseudonym, the same on all of them): the events stay, the person does
not (webapp/audit/log.py forget_actor).
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    VIEW = "view", _("viewed the reading")
    DOWNLOAD_IMAGE = "download_image", _("downloaded an image")
    DOWNLOAD_REPORT = "download_report", _("downloaded the PDF report")
    ANNOTATE = "annotate", _("changed the patient reference or note")
    DELETE = "delete", _("deleted the reading")
    DENIED = "denied", _("asked for a reading that is not theirs or does not exist")
    # Recorded as the archive starts to go out (it is streamed): the event cannot know it arrived.
    EXPORT_DATA = "export_data", _("started downloading all their data")
    DELETE_ACCOUNT = "delete_account", _("deleted their account")
    ADMIN_DELETE_ACCOUNT = "admin_delete_account", _("an administrator deleted the account")
    # In the admin site, which shows a reading's owner, outcome, probabilities and reference.
    ADMIN_VIEW = "admin_view", _("an administrator viewed the reading")
    ADMIN_DELETE = "admin_delete", _("an administrator deleted the reading")
    # By `manage.py cleanup_orphans` (no actor, via "command"), when the X-ray's file was gone.
    CLEANUP_DELETE = "cleanup_delete", _("deleted by cleanup_orphans: its X-ray was gone")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(_("email at the time"), max_length=254, blank=True, default="")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    # Null only for an id that could name no reading (see log._reading_id).
    reading_id = models.BigIntegerField(_("reading"), null=True, blank=True, db_index=True)
    # Whose reading it was, for events of someone else's doing (an administrator's): the actor
    # is the administrator, and this is how the owner's trail finds them, even once the reading
    # is deleted. Null for the owner's own events, and once the owner's account is deleted.
    reading_owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("whose reading"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    via = models.CharField(_("via"), max_length=8, default="page")  # "page", "api", "admin", "command"
    path = models.CharField(_("address"), max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # A `denied` row counts the account's later 404s from the same address and way in, within
    # log.DENIED_WINDOW of it (log.record_denied): how many in all, and the last one's time and
    # reading id. Every other event is one row per request (times 1, no last_*).
    times = models.PositiveIntegerField(_("times"), default=1)
    last_at = models.DateTimeField(_("last time"), null=True, blank=True)
    last_reading_id = models.BigIntegerField(_("last reading asked for"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        what = f"reading {self.reading_id}" if self.reading_id is not None else "account"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or '?'} {self.action} {what}"
