"""The queue's jobs (django-q2, its broker the database): read a study, write its results back.

Each job is idempotent: it looks at the study's state and does only what is left, so a job
delivered twice (its worker was killed before the queue heard it finish, and the broker handed
it out again after Q_CLUSTER["retry"] seconds) never reads a study twice or stores its results
twice. A job that follows another is queued in the same transaction that records the first one's
work: the ORM broker's queue is a table of this database.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time

from django.db import transaction

from .models import PacsStudy

_inline = threading.local()


def enqueue(job: str, study_pk: int) -> None:
    """Queue a job for a study (or note it for the caller when running inline)."""
    pending = getattr(_inline, "pending", None)
    if pending is not None:
        pending.append((job, study_pk))
        return
    from django_q.tasks import async_task

    async_task(f"webapp.pacs.tasks.{job}", study_pk, task_name=job_name(job, study_pk),
               group="pacs")


def job_name(job: str, study_pk: int) -> str:
    return f"pacs-{job}-{study_pk}"


def job_left(study: PacsStudy) -> str:
    """The job a queued or read study waits for."""
    return "write_back" if study.state == PacsStudy.State.READ else "read_study"


# Reasons a study's job stopped for that the next round of pacs_ingest tries again by itself
# once the queue has given the job up: none (the job was killed), the PACS being unreachable, or
# the job running past the queue's time limit (a PACS slow to send). Another error (read_error,
# write_back_error) is more likely a fault to look at: --resume.
RETRIED_BY_ITSELF = ("", "pacs_unreachable", "timed_out")


def jobs_in_queue() -> set[str]:
    """The names (job_name) of the jobs waiting, running or to be handed out again."""
    from django_q.models import OrmQ

    return {job.name() for job in OrmQ.objects.all().only("payload")}


def requeue_jobless(*, any_reason: bool = False) -> list[PacsStudy]:
    """Queue again the job of each queued or read study that has none in the queue: the queue
    gave it up after QUEUE_MAX_ATTEMPTS (a PACS outage longer than its retries) or it was
    killed, and nothing else would ever move the study. Only studies whose job stopped for a
    reason in RETRIED_BY_ITSELF, unless `any_reason`. A study whose job is still in the queue
    (waiting, running, or to be handed out again) is left alone. Returns the studies queued."""
    waiting = PacsStudy.objects.filter(state__in=(PacsStudy.State.QUEUED, PacsStudy.State.READ))
    if not any_reason:
        waiting = waiting.filter(reason_code__in=RETRIED_BY_ITSELF)
    # The studies first, then the queue: a job that moved its study on meanwhile has queued
    # the next one already, and at worst a job is queued that finds nothing left to do.
    studies = list(waiting.order_by("pk"))
    if not studies:
        return []
    in_queue = jobs_in_queue()
    queued = []
    for study in studies:
        job = job_left(study)
        if job_name(job, study.pk) in in_queue:
            continue
        with transaction.atomic():
            if not PacsStudy.objects.filter(pk=study.pk, state=study.state).exists():
                continue
            enqueue(job, study.pk)
        queued.append(study)
    return queued


@contextlib.contextmanager
def held_jobs():
    """Inside, enqueued jobs are kept in the yielded list instead of the queue (no worker)."""
    _inline.pending = []
    try:
        yield _inline.pending
    finally:
        _inline.pending = None


def run_inline(study_pk: int) -> str:
    """Do all of one study's jobs that are left, in this process (no worker): `pacs_ingest
    --inline`, tests."""
    state = PacsStudy.objects.get(pk=study_pk).state
    with held_jobs() as pending:
        pending.append(("write_back" if state == PacsStudy.State.READ else "read_study", study_pk))
        while pending:
            job, pk = pending.pop(0)
            state = JOBS[job](pk)
    return state


def read_study(study_pk: int) -> str:
    from . import dicomweb, ingest

    study = PacsStudy.objects.get(pk=study_pk)
    if study.state != PacsStudy.State.QUEUED:
        return study.state
    with stopped_job_noted(study_pk, "read"):
        return ingest.read(study, dicomweb.client(), ingest.site_account())


def write_back(study_pk: int) -> str:
    from django.utils import timezone

    from . import dicomweb, writeback

    study = PacsStudy.objects.select_related("reading").get(pk=study_pk)
    if study.state != PacsStudy.State.READ:
        return study.state
    if study.reading is None:  # its owner deleted the reading before it was written back
        PacsStudy.objects.filter(pk=study_pk, state=PacsStudy.State.READ).update(
            state=PacsStudy.State.FAILED, reason_code="reading_deleted",
            reason="the reading was deleted in the app before it was written back",
            updated_at=timezone.now())
        return PacsStudy.State.FAILED
    with stopped_job_noted(study_pk, "write back"):
        sr_uid, sc_uid = writeback.write_back(study, dicomweb.client())
    failpoint("after_store")
    with transaction.atomic():
        PacsStudy.objects.filter(pk=study_pk, state=PacsStudy.State.READ).update(
            state=PacsStudy.State.WRITTEN, sr_instance_uid=sr_uid, sc_instance_uid=sc_uid,
            reason_code="", reason="", written_at=timezone.now(), updated_at=timezone.now())
    return PacsStudy.State.WRITTEN


@contextlib.contextmanager
def stopped_job_noted(study_pk: int, what: str):
    """A job that stops on an error leaves its study where it was (queued or read) but says why
    on the study's row, for pacs_status and the admin site. Once the queue gives the job up,
    the next round of pacs_ingest queues it again (requeue_jobless), or --resume does."""
    from django_q.exceptions import TimeoutException

    from . import dicomweb

    try:
        yield
    except TimeoutException:
        # The queue's QUEUE_TIMEOUT, raised inside the job (a SystemExit, which `except
        # Exception` let through: the study kept no reason).
        PacsStudy.objects.filter(pk=study_pk).update(
            reason_code="timed_out",
            reason=f"could not {what}: the job ran past the queue's time limit (QUEUE_TIMEOUT); "
                   "the PACS may be slow to send or store")
        raise
    except Exception as exc:
        transient = dicomweb.is_transient(exc) or dicomweb.http_status(exc) in (401, 403)
        code = "pacs_unreachable" if transient else f"{what.replace(' ', '_')}_error"
        reason = f"could not {what}: {dicomweb.describe(exc)}"[:2000]
        PacsStudy.objects.filter(pk=study_pk).update(reason_code=code, reason=reason)
        if dicomweb.is_transient(exc):  # expected in an outage: one line, not a traceback
            raise dicomweb.PacsUnavailable(reason) from None
        raise


JOBS = {"read_study": read_study, "write_back": write_back}


def failpoint(name: str) -> None:
    """For the crash tests only: with PACS_FAILPOINT=name and PACS_FAILPOINT_FILE set, the first
    job to get here writes its process id to that file and waits to be killed (kill -9). Later
    deliveries find the file and go on. Without those variables this does nothing."""
    if os.environ.get("PACS_FAILPOINT") != name or not os.environ.get("PACS_FAILPOINT_FILE"):
        return
    try:
        fd = os.open(os.environ["PACS_FAILPOINT_FILE"], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    time.sleep(3600)
