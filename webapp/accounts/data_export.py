"""Everything the app keeps about a person, as one ZIP file (the profile's "Download my data").

    README.txt                    what is in the archive
    account.json                  the account (no password hash)
    readings.json                 every reading: outcome, probabilities, warnings, notes, files
    activity.json                 the audit log's events of this account, and administrators' on its readings
    logins.json                   sign-ins and failed sign-ins (django-axes: time, IP, browser)
    api_keys.json                 the account's API keys (name, first characters, dates; no secret)
    uploads.json                  multi-file uploads: each file's state and what became of it
    readings/<id>/original.png    the stored X-ray (as stored: decoded pixels, no metadata)
    readings/<id>/heatmap.png     the heat map
    readings/<id>/report.pdf      the PDF report (webapp.screening.report_pdf.build)
    waiting/<batch>/<n>           a file of a multi-file upload not yet read, as it was sent

The files are read through webapp.screening.storage and the reports made by report_pdf, the same
functions the pages use; a file missing on disk is listed in README.txt instead of failing the
whole download, and readings.json names only the files the archive holds (null for the others).

The archive is streamed as it is written (`stream`): a long history (576 readings, a fresh PDF
of about 700 KB each) took 141 s to write whole before its first byte was sent, past the
proxy's 130 s. zipfile writes to a stream it cannot seek with a data descriptor after each
entry; each piece is handed on as soon as it is written, so at most one entry's chunk (and one
reading's PDF, made in memory) is held. So readings.json and README.txt, which say what could
be written, come last.

The account is checked before each stored file is sent (`_check_account`): deleted, deactivated
or given a new password since the download began, the archive stops there (AccountChanged cuts
the connection, so the browser shows a failed download). An administrator shutting out a stolen
account, or a person changing their password for the same reason, stops their X-rays leaving.
"""
from __future__ import annotations

import json
import logging
import os
import time
import zipfile
import zoneinfo
from collections.abc import Iterator
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from webapp.audit.models import AuditEvent
from webapp.screening import presentation, report_pdf, storage
from webapp.screening.api_models import ApiToken
from webapp.screening.batch_models import BatchItem
from webapp.screening.batches import waiting_file

from .models import User, normalise_email
from .timezones import format_datetime, zone_of

# 2: readings.json no longer has `original_filename` (always "": file names are not kept).
# 3: a reading's `files` name only the files in the archive: null for one missing on the server.
# 4: account.json has `reset_link_mailed_at` (when a password-reset link was last mailed).
# 5: account.json has `email_confirmed_at` and `confirmation_link_mailed_at`; activity.json's
#    events have `times`, `last_at` and `last_reading_id` (repeated 404s counted on one event).
FORMAT_VERSION = 5
# Bytes read from a stored file at a time, and the most handed on at once.
CHUNK = 256 * 1024

log = logging.getLogger(__name__)


class AccountChanged(Exception):
    """The account was deleted, deactivated or given a new password while its export was sent."""


def _check_account(user, session_hash: str) -> None:
    """Raise AccountChanged unless `user` still exists, is active and has the password it had
    when the export began (its session's hash: what Django checks on each request)."""
    now = User.objects.filter(pk=user.pk, is_active=True).first()
    if now is None or now.get_session_auth_hash() != session_hash:
        log.warning("The data export of account %s stopped: the account was deleted, deactivated "
                    "or given a new password while it was being sent", user.pk)
        raise AccountChanged(user.pk)


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
        "reset_link_mailed_at": _iso(user.password_reset_mailed_at, zone),
        "email_confirmed_at": _iso(user.email_verified_at, zone),
        "confirmation_link_mailed_at": _iso(user.verification_mailed_at, zone),
    }


def reading_json(reading, zone, written: set[str] | None = None) -> dict:
    """The reading's entry in readings.json; `written`: the archive's names of the files it holds
    (each of the reading's files names itself when None)."""
    folder = f"readings/{reading.pk}"

    def file(name: str) -> str | None:
        path = f"{folder}/{name}"
        return path if written is None or path in written else None

    return {
        "id": reading.pk,
        "created_at": _iso(reading.created_at, zone),
        # The day the X-ray was taken (its DICOM header), as the page and readings.csv show it.
        "taken_on": reading.taken_on.isoformat() if reading.taken_on else None,
        "outcome": reading.outcome,
        "label": reading.label,
        "probabilities": reading.probabilities,
        "prediction_set": reading.prediction_set,
        "set_confidence": reading.set_confidence,
        "low_confidence": reading.low_confidence,
        # Worded as the reading page words them, in the language of the person downloading.
        "reason": presentation.reason_text(reading),
        "warnings": presentation.warning_texts(reading),
        "model_version": reading.model_version,
        "source_format": reading.source_format,
        "width": reading.image_width,
        "height": reading.image_height,
        "patient_reference": reading.patient_reference,
        "note": reading.note,
        "files": {
            "image": file("original.png"),
            "heatmap": file("heatmap.png"),
            "report_pdf": file("report.pdf"),
        },
    }


def activity_json(user, zone) -> list[dict]:
    """The audit log's events of this account: what the person did (`"by": "you"`), and what an
    administrator did to their readings in the admin site (`"by": "administrator"`: looked at or
    deleted one; without the administrator's IP address, which is not the person's data)."""
    events = AuditEvent.objects.filter(Q(actor=user) | Q(reading_owner=user)).order_by("at", "id")
    return [
        {"at": _iso(event.at, zone), "action": event.action, "reading_id": event.reading_id,
         "via": event.via, "by": "you" if event.actor_id == user.pk else "administrator",
         "ip_address": event.ip_address if event.actor_id == user.pk else None,
         # A `denied` row counts repeated requests (audit.log.record_denied): how many in all,
         # the last one's time and reading id; 1, null and null for every other event.
         "times": event.times, "last_at": _iso(event.last_at, zone), "last_reading_id": event.last_reading_id}
        for event in events
    ]


def logins_json(user, zone) -> dict:
    """django-axes' records of the account's address (an earlier address's were renamed to it when
    it changed, lockout.move_logins): kept for the lockout and deleted with the account
    (lockout.forget_logins), so they are the person's data too. Failed sign-ins are the
    attempts axes still counts (AccessAttempt, one row per IP address and browser, cleared by a
    successful sign-in from there) and, where an operator turned it on, its failure log."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    username = normalise_email(user.email)
    return {
        "sign_ins": [{"at": _iso(log.attempt_time, zone), "signed_out_at": _iso(log.logout_time, zone),
                      "ip_address": log.ip_address, "browser": log.user_agent}
                     for log in AccessLog.objects.filter(username=username).order_by("attempt_time", "id")],
        "failed_sign_ins_counted": [{"last_at": _iso(row.attempt_time, zone), "ip_address": row.ip_address,
                                     "browser": row.user_agent, "failures": row.failures_since_start}
                                    for row in AccessAttempt.objects.filter(username=username)
                                    .order_by("attempt_time", "id")],
        "failed_sign_ins": [{"at": _iso(log.attempt_time, zone), "ip_address": log.ip_address,
                             "browser": log.user_agent, "locked_out": log.locked_out}
                            for log in AccessFailureLog.objects.filter(username=username)
                            .order_by("attempt_time", "id")],
    }


def api_keys_json(user, zone) -> list[dict]:
    return [{"name": token.name, "starts_with": token.prefix, "created_at": _iso(token.created_at, zone),
             "expires_at": _iso(token.expires_at, zone), "last_used_at": _iso(token.last_used_at, zone)}
            for token in ApiToken.objects.filter(user=user).order_by("created_at", "id")]


def _waiting_name(item: BatchItem) -> str:
    return f"waiting/{item.batch_id}/{item.index}"


def uploads_json(items, zone) -> list[dict]:
    batches: dict[int, dict] = {}
    for item in items:
        batch = batches.setdefault(item.batch_id, {
            "id": item.batch_id, "created_at": _iso(item.batch.created_at, zone), "files": []})
        batch["files"].append({
            "index": item.index, "state": item.state, "size": item.size,
            "patient_reference": item.patient_reference, "reading_id": item.reading_id,
            "refusal": item.refusal_title or None,
            "file": _waiting_name(item) if item.state not in (BatchItem.State.DONE, BatchItem.State.REFUSED)
            and item.upload_path else None,
        })
    return list(batches.values())


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def readme(email: str, when: str, zone: str, missing: list[str]) -> str:
    """README.txt in the language of the person downloading (the JSON keys stay English: they
    are data for programs)."""
    files = [
        ("account.json", _("your account (name, email, role, time zone; never your password)")),
        ("readings.json", _("every reading: outcome, probabilities, warnings, your reference and note")),
        ("activity.json", _("the audit log of what you did: which readings you looked at, downloaded or "
                            "deleted, and when; and what administrators did to your readings "
                            "(looked at or deleted one)")),
        ("logins.json", _("your sign-ins and failed sign-ins: when, from which IP address and browser")),
        ("api_keys.json", _("your API keys: name, first characters and dates (never the key itself)")),
        ("uploads.json", _("your uploads of several X-rays at once: what became of each file")),
        ("readings/<id>/", _("each reading's X-ray (original.png), heat map (heatmap.png) and PDF report")),
        ("waiting/", _("X-rays of an upload that are still waiting to be read, as you sent them")),
    ]
    lines = [_("CXR Screening: all the data this app keeps about your account (%(email)s), exported "
               "%(when)s.") % {"email": email, "when": when}, ""]
    lines += [f"{name:<15} {text}" for name, text in files]
    lines += ["", _("Times are in %(zone)s.") % {"zone": zone} + " "
              + _("A screening aid, not a diagnosis: a clinician and an RT-PCR test decide.")]
    if missing:
        lines += ["", _("Missing on the server (not in this archive):")] + [f"  {m}" for m in missing]
    return "\n".join(lines) + "\n"


class _Pipe:
    """What zipfile writes, kept until `take`n: a stream it cannot seek (no tell or seek), so it
    writes each entry's sizes in a data descriptor after the entry's data."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def _entry(name: str, zone: zoneinfo.ZoneInfo, compress: int = zipfile.ZIP_DEFLATED,
           mtime: float | None = None) -> zipfile.ZipInfo:
    # A ZIP entry's time has no zone and unzip tools show it as it is: the owner's wall clock,
    # as every other time of the archive (the server's clock is UTC).
    when = datetime.fromtimestamp(time.time() if mtime is None else mtime, zone)
    info = zipfile.ZipInfo(name, when.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o600 << 16  # as zipfile's writestr: the person's own
    return info


def _put(zf: zipfile.ZipFile, pipe: _Pipe, info: zipfile.ZipInfo, data: bytes) -> Iterator[bytes]:
    with zf.open(info, "w") as out:
        for start in range(0, len(data), CHUNK):
            out.write(data[start:start + CHUNK])
            yield pipe.take()
    yield pipe.take()


def _copy(zf: zipfile.ZipFile, pipe: _Pipe, source, name: str, compress: int,
          zone: zoneinfo.ZoneInfo) -> Iterator[bytes]:
    """A stored file into the archive, a chunk at a time; FileNotFoundError (before anything of
    the entry is written) when it is not on disk."""
    with open(source, "rb") as src:
        with zf.open(_entry(name, zone, compress, os.fstat(src.fileno()).st_mtime), "w") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
                yield pipe.take()
    yield pipe.take()


def stream(user) -> Iterator[bytes]:
    """The ZIP, piece by piece as it is written (the module's docstring): for a
    StreamingHttpResponse. The reader's language must be active while it is iterated."""
    return (piece for piece in _pieces(user) if piece)


def _pieces(user) -> Iterator[bytes]:
    session_hash = user.get_session_auth_hash()
    zone = zone_of(user)
    readings = list(user.readings.order_by("created_at", "id"))
    missing: list[str] = []
    written: set[str] = set()
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in (("account.json", account_json(user)), ("activity.json", activity_json(user, zone)),
                           ("logins.json", logins_json(user, zone)), ("api_keys.json", api_keys_json(user, zone))):
            yield from _put(zf, pipe, _entry(name, zone), _json(data).encode())
        items = list(BatchItem.objects.filter(batch__owner=user).select_related("batch")
                     .order_by("batch__created_at", "batch_id", "index"))
        uploads = uploads_json(items, zone)
        yield from _put(zf, pipe, _entry("uploads.json", zone), _json(uploads).encode())
        waiting = {f["file"] for batch in uploads for f in batch["files"] if f["file"]}
        for item in items:
            if _waiting_name(item) in waiting:
                _check_account(user, session_hash)
                try:
                    # Where it waits: under DATA_DIR if a release before 8e61e1f stored it.
                    yield from _copy(zf, pipe, waiting_file(item), _waiting_name(item), zipfile.ZIP_DEFLATED,
                                     zone)
                except FileNotFoundError:  # read (and removed) since the query
                    missing.append(_waiting_name(item))
        for reading in readings:
            _check_account(user, session_hash)
            folder = f"readings/{reading.pk}"
            for stored, name in ((reading.original_path, "original.png"), (reading.heatmap_path, "heatmap.png")):
                try:
                    # PNGs are compressed already: stored as they are.
                    yield from _copy(zf, pipe, storage.absolute_path(stored), f"{folder}/{name}",
                                     zipfile.ZIP_STORED, zone)
                    written.add(f"{folder}/{name}")
                except (ValueError, OSError):  # lost, or unreadable (a restore's wrong owner)
                    missing.append(f"{folder}/{name}")
            try:
                # Made with the pictures still stored (a lost one is said in words in its place).
                pdf = report_pdf.build(reading)
            except Exception:  # noqa: BLE001 - the answer's 200 is sent: one report must not cut it
                # A stored picture that cannot be decoded, or anything else that fails one report,
                # cut the download after its first bytes (a security audit): the archive goes on
                # and its README names the report as missing; the operator gets the traceback.
                log.exception("The PDF report of reading %s could not be made for an export", reading.pk)
                missing.append(f"{folder}/report.pdf")
            else:
                yield from _put(zf, pipe, _entry(f"{folder}/report.pdf", zone, zipfile.ZIP_STORED), pdf)
                written.add(f"{folder}/report.pdf")
        yield from _put(zf, pipe, _entry("readings.json", zone),
                        _json([reading_json(r, zone, written) for r in readings]).encode())
        yield from _put(zf, pipe, _entry("README.txt", zone),
                        readme(user.email, format_datetime(timezone.now(), zone), zone.key, missing).encode())
    yield pipe.take()  # the central directory
