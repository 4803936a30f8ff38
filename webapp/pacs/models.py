"""What the PACS link remembers: one PacsStudy per DICOM study it has seen.

The row is made once per StudyInstanceUID (unique), before any job runs, so a study is never
queued or read twice; `state` says how far its work has come, and each job does only what is
left (webapp/pacs/tasks.py).
"""
from __future__ import annotations

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from webapp.screening.models import Reading


class PacsStudy(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")  # found in the PACS, waiting to be read
        READ = "read", _("Read")  # a reading exists; its results are not in the PACS yet
        WRITTEN = "written", _("Written back")  # SR and secondary capture stored in the PACS
        SKIPPED = "skipped", _("Skipped")  # no frontal chest X-ray in it (reason says why)
        FAILED = "failed", _("Failed")  # the image could not be read (reason says why)

    study_instance_uid = models.CharField(_("study instance UID"), max_length=64, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.QUEUED, db_index=True)
    found_at = models.DateTimeField(_("found in the PACS"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)
    # The image that was read: the study's first frontal (PA or AP) chest X-ray.
    series_instance_uid = models.CharField(_("series instance UID"), max_length=64, blank=True,
                                           default="")
    sop_instance_uid = models.CharField(_("SOP instance UID"), max_length=64, blank=True,
                                        default="")
    view_position = models.CharField(_("view position"), max_length=16, blank=True, default="")
    # Who and which examination the image belongs to, as its DICOM header says (shown beside the
    # reading: the site account's readings are otherwise one list of unnamed X-rays).
    patient_id = models.CharField(_("patient ID"), max_length=64, blank=True, default="")
    accession_number = models.CharField(_("accession number"), max_length=16, blank=True,
                                        default="")
    # Who issued the patient ID (IssuerOfPatientID), and that issuer as a URI where the header
    # names one ("urn:oid:..."): a PatientID is unique only within its issuer (patient_issuer).
    issuer_of_patient_id = models.CharField(_("issuer of patient ID"), max_length=64,
                                            blank=True, default="")
    issuer_universal_id = models.CharField(_("issuer's URI"), max_length=200, blank=True,
                                           default="")
    study_date = models.CharField(_("study date"), max_length=8, blank=True,
                                  default="")  # DICOM DA, YYYYMMDD
    # How many images the PACS listed in the study when it was last queued: a skipped study in
    # which it lists more (a frontal sent after the lateral) is looked at again.
    instances_listed = models.IntegerField(_("images listed"), null=True, blank=True)
    reading = models.OneToOneField(Reading, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="pacs_study", verbose_name=_("reading"))
    # Why a study was skipped or failed, or why its last job stopped (the PACS unreachable, the
    # write-back refused): a stable code and English words (logged as well; docs/pacs.md).
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True, default="")
    reason = models.TextField(_("reason"), blank=True, default="")
    # What was written back (SOP Instance UIDs, derived from the reading: a retry stores the
    # same instances again, which the PACS keeps once).
    sr_instance_uid = models.CharField(_("SR instance UID"), max_length=64, blank=True,
                                       default="")
    sc_instance_uid = models.CharField(_("capture instance UID"), max_length=64, blank=True,
                                       default="")
    read_at = models.DateTimeField(_("time read"), null=True, blank=True)
    written_at = models.DateTimeField(_("time written back"), null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("PACS study")
        verbose_name_plural = _("PACS studies")

    def __str__(self) -> str:  # the admin's page title and breadcrumb
        return gettext("PACS study %(uid)s (%(state)s)") % {
            "uid": self.study_instance_uid, "state": self.get_state_display()}

    @property
    def results_in_pacs(self) -> bool:
        """Whether its reading exists or was written into the PACS: the row must then stay, or
        the next round would read the study again and write a second SR and capture."""
        return (self.state in (self.State.READ, self.State.WRITTEN)
                or bool(self.sr_instance_uid or self.written_at))


_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")
_URI = re.compile(r"(urn:|https?://)\S+", re.IGNORECASE)


def _as_uri(value: str, kind: str = "") -> str:
    """An issuer as a URI ("" when it is none): an OID (type ISO, or one written bare) as
    "urn:oid:...", a UUID as "urn:uuid:...", a URI as itself; a name or a host name is none."""
    value = value.strip()
    if kind in ("ISO", "") and _OID.fullmatch(value):
        return f"urn:oid:{value}"
    if kind == "UUID" and value:
        return f"urn:uuid:{value.lower()}"
    if kind in ("URI", "") and _URI.fullmatch(value):
        return value
    return ""


def patient_issuer(ds) -> tuple[str, str]:
    """(IssuerOfPatientID, the issuer as a URI or "") of a DICOM header, for a PacsStudy's
    issuer_of_patient_id and issuer_universal_id. The URI is the first Universal Entity ID of
    IssuerOfPatientIDQualifiersSequence that is one (type ISO, UUID or URI), else the
    IssuerOfPatientID itself when it is an OID or a URI."""
    issuer = str(getattr(ds, "IssuerOfPatientID", "") or "").strip()[:64]
    for item in getattr(ds, "IssuerOfPatientIDQualifiersSequence", None) or []:
        uri = _as_uri(str(getattr(item, "UniversalEntityID", "") or ""),
                      str(getattr(item, "UniversalEntityIDType", "") or "").strip().upper()
                      or "ISO")
        if uri:
            return issuer, uri[:200]
    return issuer, _as_uri(issuer)[:200]
