"""Ingest: find chest X-ray studies in the PACS (QIDO-RS), pick a frontal view from each study's
metadata and read that one image (WADO-RS) into a reading owned by the site account.

Only a frontal chest X-ray is read: an image of modality CR or DX whose ViewPosition is PA or AP
and whose BodyPartExamined, when given, is the chest. Every other image (a lateral, another body
part, a study without ViewPosition) is skipped with a reason that is logged and kept on the
study's row. Images of other modalities (our own SR and secondary capture among them) are not
candidates at all.
"""
from __future__ import annotations

import io
import logging
import shutil
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from pydicom.dataset import Dataset

from .models import PacsStudy

log = logging.getLogger("webapp.pacs")

FRONTAL_VIEWS = ("PA", "AP")
XRAY_MODALITIES = ("CR", "DX")
CHEST_BODY_PARTS = ("CHEST", "THORAX", "LUNG", "CHEST_TO_PELVIS")
QIDO_PAGE = 200


def site_account():
    """The account that owns the PACS's readings (settings.PACS_SITE_ACCOUNT, an e-mail)."""
    from webapp.accounts.models import User, normalise_email

    email = normalise_email(settings.PACS_SITE_ACCOUNT)
    if not email:
        raise ImproperlyConfigured("Set PACS_SITE_ACCOUNT to the e-mail of the account that "
                                   "owns readings of PACS studies: see docs/pacs.md")
    try:
        return User.objects.get(email=email)
    except User.DoesNotExist:
        raise ImproperlyConfigured(f"PACS_SITE_ACCOUNT {email!r} has no account here: create "
                                   "it first (docs/pacs.md)") from None


def dataset_from_json(item: dict) -> Dataset:
    """A DICOM JSON object (QIDO-RS, WADO-RS metadata) as a pydicom Dataset, without bulk data."""
    return Dataset.from_json({tag: value for tag, value in item.items()
                              if "BulkDataURI" not in value and "InlineBinary" not in value})


def study_uids(web) -> list[str]:
    """Every StudyInstanceUID the PACS lists (QIDO-RS /studies, page by page)."""
    uids: list[str] = []
    offset = 0
    while True:
        page = web.search_for_studies(offset=offset, limit=QIDO_PAGE,
                                      fields=["StudyInstanceUID"])
        uids += [str(dataset_from_json(item).StudyInstanceUID) for item in page]
        if len(page) < QIDO_PAGE:
            return uids
        offset += len(page)


def queue_new_studies(web) -> list[PacsStudy]:
    """Make a row for each study not seen before and queue its job, in one transaction per
    study (the ORM broker's queue is a table of the same database: the row and its job are
    committed together or not at all). Returns the new rows."""
    from . import tasks

    found = study_uids(web)
    known = set()
    for start in range(0, len(found), 500):
        known |= set(PacsStudy.objects.filter(study_instance_uid__in=found[start:start + 500])
                     .values_list("study_instance_uid", flat=True))
    new = []
    for uid in found:
        if uid in known:
            continue
        with transaction.atomic():
            study, created = PacsStudy.objects.get_or_create(study_instance_uid=uid)
            if created:
                tasks.enqueue("read_study", study.pk)
                new.append(study)
    log.info("PACS: %d studies listed, %d new queued", len(found), len(new))
    return new


@dataclass
class Choice:
    """The image to read, or why there is none."""

    instance: Dataset | None
    reason_code: str = ""
    reason: str = ""


def _skip_reason(ds: Dataset) -> tuple[str, str] | None:
    """Why this CR/DX image is not read, or None for a frontal chest X-ray."""
    body_part = str(getattr(ds, "BodyPartExamined", "") or "").strip().upper()
    if body_part and body_part not in CHEST_BODY_PARTS:
        return "not_chest", f"body part {body_part}, not the chest"
    view = str(getattr(ds, "ViewPosition", "") or "").strip().upper()
    if not view:
        return "no_view_position", "no ViewPosition, so not known to be frontal"
    if view not in FRONTAL_VIEWS:
        what = "lateral" if view in ("LL", "RL", "LAT", "LATERAL", "LLD", "RLD") else "not frontal"
        return "not_frontal", f"ViewPosition {view} ({what}); only PA or AP are read"
    return None


def choose_frontal(instances: list[Dataset], study_uid: str = "") -> Choice:
    """The first frontal chest X-ray of a study (by series, then instance number)."""
    def order(ds: Dataset):
        return (int(getattr(ds, "SeriesNumber", 0) or 0), int(getattr(ds, "InstanceNumber", 0) or 0))

    skipped: list[tuple[str, str]] = []
    for ds in sorted(instances, key=order):
        if str(getattr(ds, "Modality", "")).upper() not in XRAY_MODALITIES:
            continue
        why = _skip_reason(ds)
        if why is None:
            return Choice(ds)
        skipped.append(why)
        log.info("PACS study %s: skipped image %s: %s", study_uid,
                 getattr(ds, "SOPInstanceUID", "?"), why[1])
    if not skipped:
        return Choice(None, "no_xray", "no CR or DX image in the study")
    codes = {code for code, _ in skipped}
    code = codes.pop() if len(codes) == 1 else "no_frontal_chest_xray"
    return Choice(None, code, "no frontal chest X-ray: " + "; ".join(sorted({r for _, r in skipped})))


def read(study: PacsStudy, web, owner) -> str:
    """Read one queued study: skip it with a reason, or store its reading and queue the
    write-back. Returns the study's new state. Safe to run again: a study that is no longer
    queued is left alone, and the reading and its state change are committed together."""
    from cxr.inference import ImageError
    from webapp.screening import storage
    from webapp.screening.engine import get_predictor

    from . import tasks

    uid = study.study_instance_uid
    instances = [dataset_from_json(item) for item in web.retrieve_study_metadata(uid)]
    choice = choose_frontal(instances, uid)
    if choice.instance is None:
        return _finish(study, PacsStudy.State.SKIPPED, choice.reason_code, choice.reason)
    ds = choice.instance
    series, sop = str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
    instance = web.retrieve_instance(uid, series, sop)
    buffer = io.BytesIO()
    instance.save_as(buffer, enforce_file_format=True)
    del instance
    try:
        prediction = get_predictor().predict(buffer.getvalue())
    except ImageError as exc:
        return _finish(study, PacsStudy.State.FAILED, getattr(exc, "code", "unreadable_image"),
                       str(getattr(exc, "message", "") or exc))
    if prediction.rejected:
        return _finish(study, PacsStudy.State.SKIPPED, "not_a_chest_xray",
                       str(prediction.reason or "the model refused the image"))
    tasks.failpoint("before_reading_commit")
    reading = None
    try:
        with transaction.atomic():
            locked = PacsStudy.objects.select_for_update().get(pk=study.pk)
            if locked.state != PacsStudy.State.QUEUED:
                return locked.state  # another delivery of this job got here first
            reading = storage.create_reading(owner, prediction, "")
            locked.state = PacsStudy.State.READ
            locked.reading = reading
            locked.series_instance_uid, locked.sop_instance_uid = series, sop
            locked.view_position = str(getattr(ds, "ViewPosition", ""))
            locked.read_at = timezone.now()
            locked.save()
            tasks.enqueue("write_back", study.pk)
    except BaseException:
        if reading is not None:
            shutil.rmtree(storage.reading_folder(reading.owner_id, reading.storage_key),
                          ignore_errors=True)
        raise
    log.info("PACS study %s: read image %s (%s) as reading %s", uid, sop, locked.view_position,
             reading.pk)
    return locked.state


def _finish(study: PacsStudy, state: str, code: str, reason: str) -> str:
    with transaction.atomic():
        updated = PacsStudy.objects.filter(pk=study.pk, state=PacsStudy.State.QUEUED).update(
            state=state, reason_code=code[:40], reason=reason, updated_at=timezone.now())
    if updated:
        log.info("PACS study %s: %s (%s): %s", study.study_instance_uid, state, code, reason)
        return state
    return PacsStudy.objects.get(pk=study.pk).state
