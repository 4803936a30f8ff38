"""Several X-rays in one request: stored at once, read by the job queue, one job per file.

The upload page's plain (no-JavaScript) multi-file POST and `POST /api/v1/readings/batch/` call
`create_batch`: it writes each file under PRIVATE_MEDIA_ROOT/pending-uploads/ (shared with the
queue's workers, which may run on other machines, and private health data like the readings' own
files), makes an UploadBatch with a
BatchItem per file and queues `read_item` for each (django-q2, the same database broker as the
PACS jobs, webapp/pacs/tasks.py), all in one transaction: either the rows and their jobs exist,
or neither does. The answer points to the batch's status (a page and a JSON endpoint for people,
GET /api/v1/batches/{id}/ for programs).

`read_item` is idempotent, as the PACS jobs are: a job delivered twice (its worker was killed
before the queue heard it finish, and the broker handed it out again after Q_CLUSTER["retry"]
seconds) finds its item done or refused and does nothing; the reading and the item's new state
are committed together, so a file is never read into two readings, and a killed job's item is
read by the redelivery. A refusal with status 503 (this worker has no usable model, or no
storage) is the server's, not the file's: the job fails instead, the item goes back to "queued",
and the queue tries again; once it gives up, cleanup_orphans queues the item again. Single-file
uploads stay synchronous (screen.py).

Until release 8e61e1f the files waited under DATA_DIR/pending-uploads/ (the same relative
`upload_path`). Files a release before it stored, before or during the rolling restart, are
looked for there too (`waiting_file`), and removed from there too. A lookup rather than a data
migration that moves them: DATA_DIR is each machine's own, so a migration, run once from one
machine, would move only that machine's files, and the previous release's web machines still
write there until the restart is over; each worker looks in its own. A file found in neither
place (it waits on another machine, or was lost) is not retried for ever: its item is refused
with a message to upload the file again (`LOST_*`), so the batch finishes.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from . import engine_text, storage
from .batch_models import BatchItem, UploadBatch
from .forms import is_doctor
from .screen import UploadRefused, not_a_cxr_advice, storage_missing

log = logging.getLogger(__name__)

PENDING = "pending-uploads"
FINAL = (BatchItem.State.DONE, BatchItem.State.REFUSED)
# An item whose waiting file is in neither place: refused (kept in English, worded when shown,
# refusal_words), the code and status a reading's missing file has in the API (docs/api.md).
LOST_CODE, LOST_STATUS = "file_missing", 404
LOST_TITLE = gettext_noop("File lost before it was read")
LOST_MESSAGE = gettext_noop("The server no longer has this file, so it could not be read. "
                            "Upload it again.")


def pending_root() -> Path:
    return storage.media_root() / PENDING


def _places(item: BatchItem) -> list[Path]:
    """Where the item's waiting file may be: the private media root, then DATA_DIR, where a
    release before 8e61e1f kept it (module docstring). Each resolved (links followed) and kept
    only inside its own root's waiting folder, as storage.absolute_path keeps readings' files:
    a link planted in storage must not make an export read, or a cleanup delete, a file
    elsewhere (a security audit exported the database through one)."""
    places = []
    for root in (storage.media_root(), Path(settings.DATA_DIR)):
        folder = (root / PENDING).resolve()
        path = (root / item.upload_path).resolve()
        if path.is_relative_to(folder) and path != folder and path not in places:
            places.append(path)
    return places or [storage.media_root() / PENDING / "outside-storage"]


def waiting_file(item: BatchItem) -> Path:
    """The item's waiting file: where it is, else where it would be now."""
    places = _places(item)
    return next((path for path in places if path.is_file()), places[0])


def _digest(files) -> str:
    digest = hashlib.sha256()
    for uploaded in files:
        uploaded.seek(0)
        digest.update(f"{uploaded.size}:".encode())
        for chunk in uploaded.chunks():
            digest.update(chunk)
        uploaded.seek(0)
    return digest.hexdigest()


def _reused_key() -> UploadRefused:
    return UploadRefused("idempotency_key_reused", "This Idempotency-Key was used for other files.",
                         422, "Idempotency-Key reused")


def create_batch(owner, files, references=None, *, idempotency_key: str = "") -> tuple[UploadBatch, bool]:
    """Store the files and queue a job for each; (batch, replayed). With an idempotency key
    already used for the same files, the earlier batch comes back (replayed) and nothing is queued."""
    digest = _digest(files)
    if idempotency_key:
        earlier = UploadBatch.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.digest != digest:
                raise _reused_key()
            return earlier, True
    references = list(references or [""] * len(files))
    folder = pending_root() / uuid.uuid4().hex
    try:
        storage.make_private_folder(folder)  # owner-only, as the readings' files (storage.py)
    except storage.StorageMissing:
        raise storage_missing() from None
    try:
        for index, uploaded in enumerate(files):
            uploaded.seek(0)
            with storage.open_private(folder / str(index)) as out:
                for chunk in uploaded.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        with transaction.atomic():
            batch = UploadBatch.objects.create(owner=owner, idempotency_key=idempotency_key, digest=digest)
            for index, uploaded in enumerate(files):
                item = BatchItem.objects.create(
                    batch=batch, index=index, size=uploaded.size,
                    upload_path=str((folder / str(index)).relative_to(storage.media_root())),
                    patient_reference=(references[index] or "")[:64])
                enqueue(item.pk)
    except IntegrityError:  # a concurrent retry with the same key got there first
        shutil.rmtree(folder, ignore_errors=True)
        earlier = UploadBatch.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
        if earlier is None or earlier.digest != digest:
            raise _reused_key() from None
        return earlier, True
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return batch, False


def job_name(item_pk: int) -> str:
    """The name of an item's job on the queue (how cleanup_orphans finds an item without one)."""
    return f"upload-item-{item_pk}"


def enqueue(item_pk: int) -> None:
    from django_q.tasks import async_task

    async_task("webapp.screening.batches.read_item", item_pk, task_name=job_name(item_pk),
               group="uploads")


def _remove_upload(item: BatchItem) -> None:
    if not item.upload_path:
        return
    for path in _places(item):  # wherever it waits (module docstring)
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()  # the batch's folder, once its last file is gone
        except OSError:
            pass


@receiver(post_delete, sender=BatchItem, dispatch_uid="screening.remove_pending_upload")
def _remove_upload_after_delete(sender, instance: BatchItem, **kwargs) -> None:
    """A batch deleted before its files were read (its owner deleted the account) takes its
    waiting X-rays with it, once the deletion is committed."""
    path = instance.upload_path
    if path:
        transaction.on_commit(lambda: _remove_upload(BatchItem(upload_path=path)))


def read_item(item_pk: int) -> str:
    """The queue's job: read one file of a batch into a reading, or record why not. Safe to run
    again (see the module's docstring). Returns the item's state."""
    from webapp.pacs.tasks import failpoint

    item = BatchItem.objects.select_related("batch__owner").filter(pk=item_pk).first()
    if item is None:  # the batch was deleted (its owner was)
        return "gone"
    if item.state in FINAL:
        _remove_upload(item)  # a redelivery after a kill between the commit and the removal
        return item.state
    BatchItem.objects.filter(pk=item.pk, state=BatchItem.State.QUEUED).update(
        state=BatchItem.State.READING)
    failpoint("batch_reading")
    try:
        _read(item)
    except Exception as exc:
        # The job fails and the queue hands it out again (Q_CLUSTER retry, up to max_attempts;
        # once it gives up, cleanup_orphans queues the file again). Until then nobody reads the
        # file: "Queued", not "Being read". (A worker killed mid-job cannot say so: its file
        # says "Being read" until the redelivery.)
        with contextlib.suppress(DatabaseError):  # the database may be what failed
            BatchItem.objects.filter(pk=item.pk, state=BatchItem.State.READING).update(
                state=BatchItem.State.QUEUED)
        log.warning("Upload batch %s, file %s: not read, left queued to be tried again (%s)",
                    item.batch_id, item.index, exc)
        raise
    failpoint("batch_after_commit")
    item.refresh_from_db()
    _remove_upload(item)
    if item.state == BatchItem.State.REFUSED:
        log.info("Upload batch %s, file %s: refused (%s)", item.batch_id, item.index, item.refusal_code)
    else:
        log.info("Upload batch %s, file %s: %s", item.batch_id, item.index, item.state)
    return item.state


class NotReadNow(Exception):
    """This server cannot read the file now (no usable model, no storage): a refusal with status
    503, which would be the server's fault, not the file's."""

    def __init__(self, refusal: UploadRefused):
        # The code, then what the administrator needs (the engine's detail: which model folder,
        # what failed), for the worker's log and the queue's failed task.
        cause = refusal.__cause__
        super().__init__(f"{refusal.code}: {getattr(cause, 'detail', '') or refusal.message}")
        self.refusal = refusal


def _read(item: BatchItem) -> None:
    """Read the item's waiting file into a reading, or refuse it for a reason of the file's own;
    raises for a reason of this server's (read_item's queue tries again)."""
    from .screen import screen_upload

    path = waiting_file(item)
    with translation.override("en"):  # refusals are kept in English and worded when shown
        try:
            with transaction.atomic():
                locked = BatchItem.objects.select_for_update().get(pk=item.pk)
                if locked.state in FINAL:
                    return  # another delivery of this job got here first
                with open(path, "rb") as handle:
                    reading = screen_upload(item.batch.owner, File(handle, name=""))
                if locked.patient_reference:
                    reading.patient_reference = locked.patient_reference
                    reading.save(update_fields=["patient_reference"])
                locked.state, locked.reading = BatchItem.State.DONE, reading
                locked.save(update_fields=["state", "reading", "updated_at"])
        except UploadRefused as refusal:
            if refusal.status == 503:
                # A worker whose CXR_MODEL_DIR is damaged refused every file given to it, for
                # good ("The screening model cannot be used"); the files were fine.
                raise NotReadNow(refusal) from refusal
            with transaction.atomic():
                BatchItem.objects.filter(pk=item.pk).exclude(state__in=FINAL).update(
                    state=BatchItem.State.REFUSED, refusal_code=refusal.code[:40],
                    refusal_status=refusal.status, refusal_title=str(refusal.title)[:200],
                    refusal_message=str(refusal.message), refusal_notice=refusal.notice)
        except FileNotFoundError:
            item.refresh_from_db()
            if item.state not in FINAL:
                if any(p.is_file() for p in _places(item)) or not storage.media_root().is_dir():
                    raise  # not the waiting file, or no storage (not mounted?): a retry may do
                _refuse_lost(item)


def _refuse_lost(item: BatchItem) -> None:
    """The item's waiting file is in neither place: retrying would never find it, and the item
    would say "Being read" for ever (and /healthz "stalled"). Its owner is told to send it again."""
    log.error("Upload batch %s, file %s: its waiting file %s is gone; the item is refused, its "
              "owner asked to upload the file again", item.batch_id, item.index, item.upload_path)
    BatchItem.objects.filter(pk=item.pk).exclude(state__in=FINAL).update(
        state=BatchItem.State.REFUSED, refusal_code=LOST_CODE, refusal_status=LOST_STATUS,
        refusal_title=LOST_TITLE, refusal_message=LOST_MESSAGE, refusal_notice=None)


def run_queued(batch: UploadBatch | None = None) -> None:
    """Do the waiting jobs in this process (tests, and an operator without a worker)."""
    items = BatchItem.objects.exclude(state__in=FINAL)
    if batch is not None:
        items = items.filter(batch=batch)
    for pk in items.values_list("pk", flat=True):
        read_item(pk)


def refusal_words(item: BatchItem, doctor: bool = False) -> tuple[str, str]:
    """The item's refusal title and message in the active language (kept in English: the reader
    may have switched language since the upload, or be another process's reader), worded for a
    verified doctor when the batch's owner is one (`doctor`)."""
    title = gettext(item.refusal_title) if item.refusal_title else ""
    if item.refusal_notice:
        return title, engine_text.notice_text(item.refusal_notice, doctor=doctor)
    return title, gettext(item.refusal_message) if item.refusal_message else ""


def status(batch: UploadBatch, request, *, api: bool) -> dict:
    """The batch's progress: counts and one entry per file, with links to the readings."""
    items = list(batch.items.all())
    counts = {state: sum(1 for i in items if i.state == state) for state in BatchItem.State.values}
    finished = counts["done"] + counts["refused"] == len(items)
    name = "api:batch" if api else "screening:batch_status"
    doctor = is_doctor(batch.owner)
    entries = []
    for item in items:
        entry = {"index": item.index, "state": item.state, "reading_id": item.reading_id,
                 "reading_url": None, "problem": None,
                 # Read, and its reading deleted since by its owner (the link is set to null).
                 "reading_deleted": item.state == BatchItem.State.DONE and item.reading_id is None}
        if item.reading_id:
            entry["reading_url"] = request.build_absolute_uri(reverse(
                "api:reading" if api else "screening:detail", args=[item.reading_id]))
        if item.state == BatchItem.State.REFUSED:
            title, detail = refusal_words(item, doctor)
            if api:  # the problem a single upload of the file would have answered, advice too
                from .api_problems import problem_body

                advice = (list(not_a_cxr_advice(doctor))
                          if item.refusal_code == "not_a_chest_xray" else None)
                entry["problem"] = problem_body(item.refusal_status or 422, item.refusal_code,
                                                detail, advice=advice)
            else:  # the batch page's rows: the refusal's own title
                entry["problem"] = {"status": item.refusal_status, "code": item.refusal_code,
                                    "title": title, "detail": detail}
        entries.append(entry)
    return {"id": batch.pk, "state": "finished" if finished else "running", "total": len(items),
            **counts, "status_url": request.build_absolute_uri(reverse(name, args=[batch.pk])),
            "items": entries}
