"""Everything the app keeps about a person, as one ZIP file (the profile's "Download my data").

    README.txt                    what is in the archive
    account.json                  the account (no password hash)
    readings.json                 every reading: outcome, probabilities, warnings, notes, files
    activity.json                 the audit log's events of this account
    readings/<id>/original.png    the stored X-ray (as stored: decoded pixels, no metadata)
    readings/<id>/heatmap.png     the heat map
    readings/<id>/report.pdf      the PDF report (webapp.screening.report_pdf.build)

The files are read through webapp.screening.storage and the reports made by report_pdf, the same
functions the pages use; a file missing on disk is listed in README.txt instead of failing the
whole download. The archive is written to a temporary file, not held in memory.
"""
from __future__ import annotations

import json
import tempfile
import zipfile

from django.utils import timezone
from django.utils.translation import gettext as _

from webapp.audit.models import AuditEvent
from webapp.screening import report_pdf, storage

from .timezones import zone_of

FORMAT_VERSION = 1


def filename(user) -> str:
    return f"cxr-screening-data-{timezone.localdate(timezone.now(), zone_of(user)):%Y-%m-%d}.zip"


def _iso(moment, zone) -> str | None:
    return None if moment is None else timezone.localtime(moment, zone).isoformat()


def account_json(user) -> dict:
    zone = zone_of(user)
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(timezone.now(), zone),
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "doctor_verified": user.is_doctor,
        "licence_number": user.licence_number,
        "workplace": user.workplace,
        "time_zone": user.time_zone,
        "date_joined": _iso(user.date_joined, zone),
        "last_login": _iso(user.last_login, zone),
    }


def reading_json(reading, zone) -> dict:
    folder = f"readings/{reading.pk}"
    return {
        "id": reading.pk,
        "created_at": _iso(reading.created_at, zone),
        "outcome": reading.outcome,
        "label": reading.label,
        "probabilities": reading.probabilities,
        "prediction_set": reading.prediction_set,
        "set_confidence": reading.set_confidence,
        "low_confidence": reading.low_confidence,
        "reason": reading.reason,
        "warnings": [w.get("text", "") if isinstance(w, dict) else str(w) for w in reading.warnings],
        "model_version": reading.model_version,
        "source_format": reading.source_format,
        "original_filename": reading.original_filename,
        "width": reading.image_width,
        "height": reading.image_height,
        "patient_reference": reading.patient_reference,
        "note": reading.note,
        "files": {
            "image": f"{folder}/original.png",
            "heatmap": f"{folder}/heatmap.png",
            "report_pdf": f"{folder}/report.pdf",
        },
    }


def activity_json(user, zone) -> list[dict]:
    return [
        {"at": _iso(event.at, zone), "action": event.action, "reading_id": event.reading_id,
         "via": event.via, "ip_address": event.ip_address}
        for event in AuditEvent.objects.filter(actor=user).order_by("at", "id")
    ]


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def readme(email: str, when: str, zone: str, missing: list[str]) -> str:
    """README.txt in the language of the person downloading (the JSON keys stay English: they
    are data for programs)."""
    files = [
        ("account.json", _("your account (name, email, role, time zone; never your password)")),
        ("readings.json", _("every reading: outcome, probabilities, warnings, your reference and note")),
        ("activity.json", _("the audit log of your account: who looked at, downloaded or deleted what")),
        ("readings/<id>/", _("each reading's X-ray (original.png), heat map (heatmap.png) and PDF report")),
    ]
    lines = [_("CXR Screening: all the data this app keeps about your account (%(email)s), exported "
               "%(when)s.") % {"email": email, "when": when}, ""]
    lines += [f"{name:<15} {text}" for name, text in files]
    lines += ["", _("Times are in %(zone)s.") % {"zone": zone} + " "
              + _("A screening aid, not a diagnosis: a clinician and an RT-PCR test decide.")]
    if missing:
        lines += ["", _("Missing on the server (not in this archive):")] + [f"  {m}" for m in missing]
    return "\n".join(lines) + "\n"


def build(user):
    """The ZIP as an open temporary file, positioned at its start (the caller closes it)."""
    zone = zone_of(user)
    readings = list(user.readings.order_by("created_at", "id"))
    missing: list[str] = []
    archive = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 - returned open to the caller
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("account.json", _json(account_json(user)))
        zf.writestr("readings.json", _json([reading_json(r, zone) for r in readings]))
        zf.writestr("activity.json", _json(activity_json(user, zone)))
        for reading in readings:
            folder = f"readings/{reading.pk}"
            for stored, name in ((reading.original_path, "original.png"), (reading.heatmap_path, "heatmap.png")):
                try:
                    # PNGs are compressed already: stored as they are.
                    zf.write(storage.absolute_path(stored), f"{folder}/{name}", zipfile.ZIP_STORED)
                except (ValueError, FileNotFoundError):
                    missing.append(f"{folder}/{name}")
            try:
                zf.writestr(f"{folder}/report.pdf", report_pdf.build(reading), zipfile.ZIP_STORED)
            except (ValueError, FileNotFoundError):
                missing.append(f"{folder}/report.pdf")
        zf.writestr("README.txt", readme(user.email, _iso(timezone.now(), zone), zone.key, missing))
    archive.seek(0)
    return archive
