"""Ingest: find chest X-ray studies in the PACS (QIDO-RS), pick a frontal view from each study's
metadata and read that image (WADO-RS) into a reading owned by the site account.

Only a frontal chest X-ray is read: an image of modality CR or DX whose ViewPosition is PA or AP,
whose BodyPartExamined, when given, is the chest, and that is meant for presentation (the raw
"for processing" detector image of a DX system is not what the model learned from). Every other
image (a lateral, another body part, a study without ViewPosition) is skipped with a reason that
is logged and kept on the study's row. Images of other modalities (our own SR and secondary
capture among them) are not candidates at all. When a study has several frontal images, they
are tried in order until one can be read.
"""
from __future__ import annotations

import io
import json
import logging
import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from pydicom.dataset import Dataset

from . import dicomweb
from .models import PacsStudy, patient_issuer

log = logging.getLogger("webapp.pacs")

FRONTAL_VIEWS = ("PA", "AP")
XRAY_MODALITIES = ("CR", "DX")
# BodyPartExamined is free text in practice: "CHEST", "CHEST PA", "THORAX AP", Indonesian
# "TORAX" or "DADA". It is the chest when one of its words (split at anything not a letter or
# digit, so CHEST_TO_PELVIS counts) is one of these: English, the DICOM defined terms, and the
# Indonesian and other spellings seen at sites (TORAKS, THORAKS, TORAX; DADA "chest", PARU
# "lung"). A spine is never the chest ("THORACIC SPINE", "THORAX SPINE", TSPINE).
CHEST_WORDS = frozenset({"CHEST", "THORAX", "TORAX", "THORAKS", "TORAKS", "LUNG", "LUNGS",
                         "DADA", "PARU"})
NOT_CHEST_WORDS = frozenset({"SPINE", "TSPINE", "CSPINE", "LSPINE"})
QIDO_PAGE = 200
# Skipped and failed studies that are looked at again when the PACS lists more images in them
# (a lateral sent before its frontal; the frontal arrives a minute later).
RECHECKED = (PacsStudy.State.SKIPPED, PacsStudy.State.FAILED)


def site_account():
    """The account that owns the PACS's readings (settings.PACS_SITE_ACCOUNT, an e-mail)."""
    from webapp.accounts.models import User, normalise_email

    email = normalise_email(settings.PACS_SITE_ACCOUNT)
    if not email:
        raise ImproperlyConfigured("Set PACS_SITE_ACCOUNT to the e-mail of the account that "
                                   "owns readings of PACS studies: see docs/pacs.md")
    try:
        account = User.objects.get(email=email)
    except User.DoesNotExist:
        raise ImproperlyConfigured(f"PACS_SITE_ACCOUNT {email!r} has no account here: create "
                                   "it first (docs/pacs.md)") from None
    # Its readings carry the hospital's patient IDs, which the app shows to verified doctors
    # only (the patient reference): a patient's account would hide them, and an unverified
    # one was never checked by an administrator.
    if not account.is_doctor:
        raise ImproperlyConfigured(f"PACS_SITE_ACCOUNT {email!r} is not a verified doctor's "
                                   "account: register it as a doctor and verify it in the admin "
                                   "site (docs/pacs.md)")
    return account


def dataset_from_json(item: dict) -> Dataset:
    """A DICOM JSON object (QIDO-RS, WADO-RS metadata) as a pydicom Dataset, without bulk data."""
    return Dataset.from_json({tag: value for tag, value in item.items()
                              if "BulkDataURI" not in value and "InlineBinary" not in value})


# --- Finding studies -------------------------------------------------------------------------
# A PACS may cap the answers to one query (Orthanc: LimitFindResults) and say nothing about it:
# the answer just stops, and paging past the cap returns nothing. Orthanc applies the cap
# before it filters on ModalitiesInStudy (computed from the series), so the query filters on
# StudyDate alone and the modality is checked here. A window whose answer reaches
# PACS_QUERY_LIMIT is asked again in smaller pieces (days, then hours, then minutes of
# StudyTime); what every answer held is kept. StudyTime is matched as text, so each window runs
# from its shortest form ("10", "1022") to its last fraction of a second ("105959.999999"):
# times written "1023" or "102259.5" fall in a window too. A study without a StudyTime on a
# capped day, or in a minute still at the cap, can be missed: that is logged as a warning.
# Studies without a StudyDate are looked for by the SeriesDate of their CR and DX series
# (undated_studies), windows split the same way by SeriesDate and SeriesTime.

def _query(web, filters: dict) -> list[Dataset]:
    """Every study (or, for a SeriesDate query, every series) matching `filters`, page by page
    (until a page comes back short)."""
    if "SeriesDate" in filters:
        search = web.search_for_series
        fields = ["StudyInstanceUID", "StudyDate"]
    else:
        search = web.search_for_studies
        fields = ["StudyInstanceUID", "NumberOfStudyRelatedInstances", "ModalitiesInStudy"]
    found: list[Dataset] = []
    while True:
        page = search(offset=len(found), limit=QIDO_PAGE, search_filters=filters, fields=fields)
        found += [dataset_from_json(item) for item in page]
        if len(page) < QIDO_PAGE:
            return found


def _pieces(filters: dict) -> list[dict]:
    """The next finer windows of a StudyDate/StudyTime (or SeriesDate/SeriesTime) query, or []
    at the finest (a minute)."""
    level = "Series" if "SeriesDate" in filters else "Study"
    date_key, time_key = f"{level}Date", f"{level}Time"
    first, _, last = filters[date_key].partition("-")
    if first != last:  # a range of days -> each day
        start = timezone.datetime.strptime(first, "%Y%m%d").date()
        end = timezone.datetime.strptime(last, "%Y%m%d").date()
        return [{**filters, date_key: f"{day:%Y%m%d}-{day:%Y%m%d}"}
                for day in (start + timedelta(days=n) for n in range((end - start).days + 1))]
    time = filters.get(time_key)
    if time is None:  # a day -> its hours
        return [{**filters, time_key: f"{h:02d}-{h:02d}5959.999999"} for h in range(24)]
    hour = time.partition("-")[0]
    if len(hour) == 2:  # an hour -> its minutes
        return [{**filters, time_key: f"{hour}{m:02d}-{hour}{m:02d}59.999999"}
                for m in range(60)]
    return []


def _is_xray_study(ds: Dataset) -> bool:
    """Whether the study has a CR or DX image (True when the PACS does not say: read() checks)."""
    modalities = getattr(ds, "ModalitiesInStudy", None)
    if not modalities:
        return True
    values = [modalities] if isinstance(modalities, str) else list(modalities)
    return any(str(m).upper() in XRAY_MODALITIES for m in values)


def _note_study(ds: Dataset, found: dict[str, int | None]) -> None:
    """Add a study the PACS listed to `found` with its number of images, if it is an X-ray."""
    if _is_xray_study(ds):
        count = getattr(ds, "NumberOfStudyRelatedInstances", None)
        found[str(ds.StudyInstanceUID)] = int(count) if count not in (None, "") else None


def _search(web, filters: dict, found: dict[str, int | None], capped: list[dict]) -> None:
    answers = _query(web, filters)
    for ds in answers:
        if "SeriesDate" in filters:  # a series: its study is looked up when it has no date
            if not str(getattr(ds, "StudyDate", "") or "").strip():
                found.setdefault(str(ds.StudyInstanceUID), None)
            continue
        _note_study(ds, found)
    if len(answers) < settings.PACS_QUERY_LIMIT:
        return
    pieces = _pieces(filters)
    if not pieces:
        log.warning("PACS: %d studies answered for %s, the most one query returns "
                    "(PACS_QUERY_LIMIT %d): some studies of that minute may be missed",
                    len(answers), filters, settings.PACS_QUERY_LIMIT)
        capped.append({**filters, "answered": len(answers)})
    elif "StudyTime" not in filters and "StudyTime" in pieces[0]:
        log.info("PACS: %d studies answered for %s, the most one query returns "
                 "(PACS_QUERY_LIMIT %d): asked again hour by hour (a study of that day without "
                 "a StudyTime is not found then)", len(answers), filters,
                 settings.PACS_QUERY_LIMIT)
    for piece in pieces:
        _search(web, piece, found, capped)


def look_back_window(days: int | None = None) -> str:
    """The StudyDate range searched: the last `days` days (settings.PACS_LOOKBACK_DAYS), and a
    day more at each end, for modalities whose clock or time zone differs from this server's
    (StudyDate is the modality's local date; TIME_ZONE may be another)."""
    days = settings.PACS_LOOKBACK_DAYS if days is None else days
    today = timezone.localdate()
    return f"{today - timedelta(days=max(days, 1)):%Y%m%d}-{today + timedelta(days=1):%Y%m%d}"


def listed_studies(web, days: int | None = None) -> dict[str, int | None]:
    """StudyInstanceUID -> number of images, for every study with a CR or DX image that the
    PACS lists with a StudyDate in look_back_window(days), and every study without a StudyDate
    that has a CR or DX series with a SeriesDate in that window (undated_studies)."""
    found: dict[str, int | None] = {}
    capped: list[dict] = []
    window = look_back_window(days)
    _search(web, {"StudyDate": window}, found, capped)
    found.update(undated_studies(web, window, capped, listed=found))
    record_capped_windows(capped)
    return found


def undated_studies(web, window: str, capped: list[dict],
                    listed: dict[str, int | None]) -> dict[str, int | None]:
    """Studies without a StudyDate (Type 2: a modality may send it empty), which no StudyDate
    query lists: found by the SeriesDate of their CR and DX series (Modality and SeriesDate are
    series attributes a PACS indexes), then each asked for as a study, for its number of
    images, unless the StudyDate query `listed` it (a PACS may leave StudyDate out of its
    answer about series). A study with neither date is not found."""
    series_of_undated: dict[str, int | None] = {}
    for modality in XRAY_MODALITIES:
        _search(web, {"SeriesDate": window, "Modality": modality}, series_of_undated, capped)
    found: dict[str, int | None] = {}
    for uid in [uid for uid in series_of_undated if uid not in listed]:
        for ds in _query(web, {"StudyInstanceUID": uid}):
            _note_study(ds, found)
    return found


def capped_windows_file() -> Path:
    return Path(settings.DATA_DIR) / "pacs-capped-windows.json"


def record_capped_windows(capped: list[dict]) -> None:
    """Keep the last round's minutes that the PACS answered at its cap, for pacs_status: a
    study of such a minute may never be listed, and one warning line in the poller's log was
    the only sign (a PACS audit: two studies of a crowded minute missed round after round).
    Each round replaces the file; a round with none leaves an empty list."""
    path = capped_windows_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"checked_at": timezone.now().isoformat(timespec="seconds"),
                               "query_limit": settings.PACS_QUERY_LIMIT, "windows": capped}))
    tmp.replace(path)


def capped_windows() -> dict | None:
    """The last round's capped minutes ({checked_at, query_limit, windows}), None before any."""
    try:
        return json.loads(capped_windows_file().read_text())
    except (FileNotFoundError, ValueError):
        return None


def queue_new_studies(web, days: int | None = None) -> list[PacsStudy]:
    """Make a row for each study not seen before and queue its job, in one transaction per
    study (the ORM broker's queue is a table of the same database: the row and its job are
    committed together or not at all). A skipped or failed study in which the PACS now lists
    more images is queued again. Returns the rows queued."""
    from . import tasks

    found = listed_studies(web, days)
    uids = list(found)
    known: dict[str, PacsStudy] = {}
    for start in range(0, len(uids), 500):
        for study in PacsStudy.objects.filter(study_instance_uid__in=uids[start:start + 500]):
            known[study.study_instance_uid] = study
    queued = []
    for uid, count in found.items():
        study = known.get(uid)
        with transaction.atomic():
            if study is None:
                study, created = PacsStudy.objects.get_or_create(
                    study_instance_uid=uid, defaults={"instances_listed": count})
                if not created:
                    continue
            elif not _queued_again(study, count):
                continue
            tasks.enqueue("read_study", study.pk)
            queued.append(study)
    log.info("PACS: %d studies listed, %d queued", len(found), len(queued))
    return queued


def _queued_again(study: PacsStudy, count: int | None) -> bool:
    """Put a skipped or failed study back in the queue when the PACS lists more images in it
    than when it was last queued (not one whose reading was deleted on purpose). False when it
    has not grown, or changed state meanwhile."""
    if not (study.state in RECHECKED and study.reason_code != "reading_deleted"
            and not study.sr_instance_uid  # its results are in the PACS: never a second SR
            and count is not None and count > (study.instances_listed or 0)):
        return False
    if not PacsStudy.objects.filter(pk=study.pk, state=study.state).update(
            state=PacsStudy.State.QUEUED, instances_listed=count, reason_code="", reason="",
            updated_at=timezone.now()):
        return False
    log.info("PACS study %s: %s before, %d images now (was %s): looked at again",
             study.study_instance_uid, study.state, count, study.instances_listed)
    return True


# --- Choosing and reading the image ----------------------------------------------------------

@dataclass
class Choice:
    """The images to try, in order (frontal chest X-rays), or why there is none."""

    instances: list[Dataset] = field(default_factory=list)
    reason_code: str = ""
    reason: str = ""


def is_chest(body_part: str) -> bool:
    """Whether a BodyPartExamined value names the chest (CHEST_WORDS), and not a spine."""
    words = set(re.split(r"[^A-Z0-9]+", body_part.upper()))
    return bool(words & CHEST_WORDS) and not words & NOT_CHEST_WORDS


def _skip_reason(ds: Dataset) -> tuple[str, str] | None:
    """Why this CR/DX image is not read, or None for a frontal chest X-ray."""
    body_part = str(getattr(ds, "BodyPartExamined", "") or "").strip().upper()
    if body_part and not is_chest(body_part):
        return "not_chest", f"body part {body_part}, not the chest"
    view = str(getattr(ds, "ViewPosition", "") or "").strip().upper()
    if not view:
        return "no_view_position", "no ViewPosition, so not known to be frontal"
    if view not in FRONTAL_VIEWS:
        what = "lateral" if view in ("LL", "RL", "LAT", "LATERAL", "LLD", "RLD") else "not frontal"
        return "not_frontal", f"ViewPosition {view} ({what}); only PA or AP are read"
    intent = str(getattr(ds, "PresentationIntentType", "") or "").strip().upper()
    if intent == "FOR PROCESSING":
        return "for_processing", "a raw image meant for processing, not for presentation"
    return None


def choose_frontal(instances: list[Dataset], study_uid: str = "") -> Choice:
    """The study's frontal chest X-rays, in order (by series, then instance number)."""
    def order(ds: Dataset):
        return (int(getattr(ds, "SeriesNumber", 0) or 0), int(getattr(ds, "InstanceNumber", 0) or 0))

    chosen: list[Dataset] = []
    skipped: list[tuple[str, str]] = []
    for ds in sorted(instances, key=order):
        if str(getattr(ds, "Modality", "")).upper() not in XRAY_MODALITIES:
            continue
        why = _skip_reason(ds)
        if why is None:
            chosen.append(ds)
            continue
        skipped.append(why)
        log.info("PACS study %s: skipped image %s: %s", study_uid,
                 getattr(ds, "SOPInstanceUID", "?"), why[1])
    if chosen:
        return Choice(chosen)
    if not skipped:
        return Choice([], "no_xray", "no CR or DX image in the study")
    codes = {code for code, _ in skipped}
    code = codes.pop() if len(codes) == 1 else "no_frontal_chest_xray"
    return Choice([], code, "no frontal chest X-ray: " + "; ".join(sorted({r for _, r in skipped})))


def _gone(exc: Exception) -> bool:
    return dicomweb.http_status(exc) in (404, 410)


def read(study: PacsStudy, web, owner) -> str:
    """Read one queued study: skip it with a reason, or store its reading and queue the
    write-back. Returns the study's new state. Safe to run again: a study that is no longer
    queued is left alone, and the reading and its state change are committed together.

    A study deleted from the PACS meanwhile, and images that cannot be read or that the model
    refuses, end the study as failed or skipped with the reason; a PACS that cannot be reached
    raises (the job fails, the study stays queued for the job's next delivery, or the next
    poll once the queue gave it up)."""
    from cxr.inference import ImageError
    from webapp.screening.engine import get_predictor

    uid = study.study_instance_uid
    try:
        metadata = web.retrieve_study_metadata(uid)
    except Exception as exc:
        if not _gone(exc):
            raise
        # It had no images when we looked: listed again with any, it is read again (re-sent).
        PacsStudy.objects.filter(pk=study.pk).update(instances_listed=0)
        return _finish(study, PacsStudy.State.FAILED, "not_in_pacs",
                       "the study is no longer in the PACS (deleted after it was listed)")
    headers = [dataset_from_json(item) for item in metadata]
    # Whose study it is, from its first image's header: a skipped or failed row says it too,
    # so whoever looks at it can find the study in the PACS by patient or accession number.
    facts = study_facts(headers[0]) if headers else {}
    choice = choose_frontal(headers, uid)
    if not choice.instances:
        return _finish(study, PacsStudy.State.SKIPPED, choice.reason_code, choice.reason, facts)
    problems: list[tuple[str, str, str]] = []  # (state, code, reason) of each image tried
    for ds in choice.instances:
        series, sop = str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
        try:
            instance = web.retrieve_instance(uid, series, sop)
        except Exception as exc:
            if not _gone(exc):
                raise
            problems.append((PacsStudy.State.FAILED, "not_in_pacs",
                             f"image {sop} is no longer in the PACS"))
            continue
        buffer = io.BytesIO()
        try:
            instance.save_as(buffer, enforce_file_format=True)
            del instance
            prediction = get_predictor().predict(buffer.getvalue())
        except ImageError as exc:
            problems.append((PacsStudy.State.FAILED, getattr(exc, "code", "unreadable_image"),
                             f"image {sop}: {getattr(exc, 'message', '') or exc}"))
            continue
        except (ValueError, AttributeError, TypeError, OSError) as exc:  # a malformed instance
            problems.append((PacsStudy.State.FAILED, "unreadable_image",
                             f"image {sop}: {type(exc).__name__}: {exc}"))
            continue
        if prediction.rejected:
            problems.append((PacsStudy.State.SKIPPED, "not_a_chest_xray",
                             refusal_reason(sop, prediction.reason)))
            continue
        for state, code, reason in problems:
            log.info("PACS study %s: %s (%s): %s; the next frontal image was tried", uid,
                     state, code, reason)
        return _store(study, owner, prediction, ds)
    # Every frontal image failed: a failure (a damaged image) outranks a refusal.
    state, code, _ = min(problems, key=lambda p: p[0] != PacsStudy.State.FAILED)
    return _finish(study, state, code, "; ".join(reason for _, _, reason in problems), facts)


def refusal_reason(sop: str, notice) -> str:
    """Why the model's guard refused image `sop`, for the study's row: its words without the
    advice to people who upload a file ("Please upload the original X-ray file"), which a PACS
    image cannot follow, and with the notice's code for whoever looks it up."""
    text = str(notice or "the model refused the image").split(" Please upload")[0]
    code = getattr(notice, "code", "")
    return f"image {sop}: refused by the model's guard" + (f" ({code})" if code else "") + f": {text}"


def study_facts(ds: Dataset) -> dict[str, str]:
    """A PacsStudy row's patient and study columns, from one of the study's DICOM headers."""
    from webapp.screening.patient_ids import patient_reference

    issuer, issuer_uri = patient_issuer(ds)
    return {"patient_id": patient_reference(getattr(ds, "PatientID", "")),
            "issuer_of_patient_id": issuer, "issuer_universal_id": issuer_uri,
            "accession_number": str(getattr(ds, "AccessionNumber", "") or "")[:16],
            "study_date": str(getattr(ds, "StudyDate", "") or "")[:8]}


def _store(study: PacsStudy, owner, prediction, ds: Dataset) -> str:
    from webapp.screening import storage
    from webapp.screening.patient_ids import patient_reference
    from webapp.screening.taken_on import taken_on

    from . import tasks

    tasks.failpoint("before_reading_commit")
    reading = None
    try:
        with transaction.atomic():
            locked = PacsStudy.objects.select_for_update().get(pk=study.pk)
            if locked.state != PacsStudy.State.QUEUED:
                return locked.state  # another delivery of this job got here first
            reading = storage.create_reading(owner, prediction, taken_on(ds))  # as an upload's header
            # The hospital's patient ID is the reading's patient reference, kept as an upload's
            # DICOM PatientID is when its owner opts in (the same function): the history, the
            # report and the comparison of a patient's readings then work for PACS readings too.
            # It is qualified by IssuerOfPatientID when the header has one: a PACS that files
            # several hospitals' studies holds one PatientID for different people.
            reading.patient_reference = patient_reference(
                getattr(ds, "PatientID", ""), issuer=getattr(ds, "IssuerOfPatientID", ""))
            reading.save(update_fields=["patient_reference"])
            locked.state = PacsStudy.State.READ
            locked.reading = reading
            locked.series_instance_uid = str(ds.SeriesInstanceUID)
            locked.sop_instance_uid = str(ds.SOPInstanceUID)
            locked.view_position = str(getattr(ds, "ViewPosition", ""))
            for column, value in study_facts(ds).items():
                setattr(locked, column, value)
            locked.reason_code, locked.reason = "", ""
            locked.read_at = timezone.now()
            locked.save()
            tasks.enqueue("write_back", study.pk)
    except BaseException:
        if reading is not None:
            shutil.rmtree(storage.reading_folder(reading.owner_id, reading.storage_key),
                          ignore_errors=True)
        raise
    log.info("PACS study %s: read image %s (%s) as reading %s", study.study_instance_uid,
             locked.sop_instance_uid, locked.view_position, reading.pk)
    return locked.state


def _finish(study: PacsStudy, state: str, code: str, reason: str,
            facts: dict[str, str] | None = None) -> str:
    with transaction.atomic():
        updated = PacsStudy.objects.filter(pk=study.pk, state=PacsStudy.State.QUEUED).update(
            state=state, reason_code=code[:40], reason=reason, updated_at=timezone.now(),
            **(facts or {}))
    if updated:
        log.info("PACS study %s: %s (%s): %s", study.study_instance_uid, state, code, reason)
        return state
    return PacsStudy.objects.get(pk=study.pk).state
