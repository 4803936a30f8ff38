"""Find new studies in the PACS and queue them (or read them here with --inline).

    manage.py pacs_ingest                 # queue new studies; workers (manage.py qcluster) do them
    manage.py pacs_ingest --wait          # ... and show the batch's progress until it is done
    manage.py pacs_ingest --poll 30       # look again every 30 s, for ever (outages survived)
    manage.py pacs_ingest --inline        # no worker: read and write back in this process
    manage.py pacs_ingest --resume        # queue again studies whose jobs stopped on any error
(every round queues again, once, the studies whose jobs the queue gave up after an outage)
    manage.py pacs_ingest --days 30       # look 30 days back (default PACS_LOOKBACK_DAYS)
    manage.py pacs_ingest --retry-failed [UID ...] [--skipped]
                                          # read failed (and skipped) studies again
"""
from __future__ import annotations

import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from webapp.pacs import dicomweb, ingest, tasks
from webapp.pacs.models import PacsStudy

DONE = (PacsStudy.State.WRITTEN, PacsStudy.State.SKIPPED, PacsStudy.State.FAILED)
# Seconds without progress after which --wait asks whether a worker runs at all.
NO_WORKER_HINT_AFTER = 30.0


def progress_line(studies) -> tuple[str, int]:
    counts = {state: 0 for state in PacsStudy.State.values}
    for state in PacsStudy.objects.filter(pk__in=studies).values_list("state", flat=True):
        counts[state] += 1
    done = sum(counts[s] for s in DONE)
    line = (f"{done}/{len(studies)} done: {counts['written']} written back, "
            f"{counts['skipped']} skipped, {counts['failed']} failed; "
            f"{counts['read']} read and waiting for write-back, {counts['queued']} queued")
    return line, done


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


def days(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 36500:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Find new chest X-ray studies in the PACS (DICOMweb) and queue them for reading."

    def add_arguments(self, parser):
        parser.add_argument("--inline", action="store_true",
                            help="read and write back in this process (no worker needed)")
        parser.add_argument("--wait", action="store_true",
                            help="show progress until the queued studies are done")
        parser.add_argument("--timeout", type=positive, default=3600,
                            help="seconds --wait waits at most")
        parser.add_argument("--poll", type=positive, default=None,
                            help="look for new studies every this many seconds, for ever")
        parser.add_argument("--resume", action="store_true",
                            help="queue again studies left queued or read whose jobs stopped on "
                                 "any error (jobs given up in a PACS outage are queued again "
                                 "without it); with --inline, do them here")
        parser.add_argument("--days", type=days, default=None,
                            help="look for studies dated this many days back "
                                 "(default PACS_LOOKBACK_DAYS)")
        parser.add_argument("--url", default="", help="DICOMweb root (default PACS_DICOMWEB_URL)")
        parser.add_argument("--retry-failed", nargs="*", metavar="UID", default=None,
                            help="read failed studies again (these, or all but those whose "
                                 "reading was deleted on purpose), then stop; a study whose "
                                 "results are in the PACS already is not read again")
        parser.add_argument("--skipped", action="store_true",
                            help="with --retry-failed and no UID: skipped studies too (a named "
                                 "study is read again whether it failed or was skipped)")

    def handle(self, *args, inline, wait, timeout, poll, resume, days, url, retry_failed,
               skipped, **options):
        try:
            web = dicomweb.client(url or None)
            ingest.site_account()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if retry_failed is not None:
            if inline:
                with tasks.held_jobs():  # rows without jobs: this process does the work
                    batch = self._retry(retry_failed, skipped)
                self._inline(batch)
                return
            batch = self._retry(retry_failed, skipped)
            self.stdout.write(f"{len(batch)} studies queued")
            if wait and batch:
                self._wait(batch, timeout)
            return
        while True:
            try:
                self._round(web, inline, wait, timeout, resume, days)
            except dicomweb.PacsRefused as exc:
                raise CommandError(str(exc)) from None
            except Exception as exc:
                if not dicomweb.is_transient(exc):
                    raise
                if not poll:
                    raise CommandError(dicomweb.describe(exc)) from None
                # A PACS restarting or a network outage: try again at the next poll.
                self.stderr.write(f"{dicomweb.describe(exc)}; trying again in {poll:g} s")
            if not poll:
                return
            time.sleep(poll)

    def _round(self, web, inline, wait, timeout, resume, days) -> None:
        try:
            if inline:
                with tasks.held_jobs():  # rows without jobs: this process does the work
                    batch = [s.pk for s in ingest.queue_new_studies(web, days)]
                    if resume:
                        batch += self._stuck(excluding=batch)
                self._inline(batch)
                return
            batch = [s.pk for s in ingest.queue_new_studies(web, days)]
        except Exception as exc:
            dicomweb.refuse_if_not_a_pacs(exc)
            raise
        # Studies whose jobs the queue gave up (the PACS down longer than its retries) would
        # stay queued for ever: each round queues them again, once (not while a job is queued).
        batch += [s.pk for s in tasks.requeue_jobless(any_reason=resume)]
        self.stdout.write(f"{len(batch)} studies queued")
        if wait and batch:
            self._wait(batch, timeout)

    def _inline(self, batch: list[int]) -> None:
        """Do each study's jobs here; one study's error does not stop the others'."""
        stopped = 0
        for number, study in enumerate(PacsStudy.objects.filter(pk__in=batch).order_by("pk"), 1):
            try:
                state = tasks.run_inline(study.pk)
                if state in (PacsStudy.State.SKIPPED, PacsStudy.State.FAILED):
                    study.refresh_from_db()
                    state = f"{state} ({study.reason_code}): {study.reason}"
            except Exception as exc:
                dicomweb.refuse_if_unauthorised(exc)
                stopped += 1
                study.refresh_from_db()
                state = f"stopped ({study.state}): {dicomweb.describe(exc)}"
            self.stdout.write(f"[{number}/{len(batch)}] {study.study_instance_uid}: {state}")
        self.stdout.write(f"{len(batch)} studies read here")
        if stopped:
            raise CommandError(f"{stopped} of {len(batch)} studies stopped on an error and stay "
                               "where they were: run again with --resume (pacs_status says why)")

    def _retry(self, uids: list[str], skipped: bool) -> list[int]:
        """Put failed (and skipped) studies back in the queue, each with its job, and return
        them; not one whose SR is in the PACS already (reading it again would write a second
        SR and capture into the study)."""
        states = [PacsStudy.State.FAILED]
        if skipped or uids:
            states.append(PacsStudy.State.SKIPPED)
        if uids:
            studies = list(PacsStudy.objects.filter(study_instance_uid__in=uids).order_by("pk"))
            missing = sorted(set(uids) - {s.study_instance_uid for s in studies})
            if missing:
                raise CommandError(f"{', '.join(missing)}: no such study (pacs_status and the "
                                   "admin site list the studies)")
        else:
            studies = list(PacsStudy.objects.filter(state__in=states)
                           .exclude(reason_code="reading_deleted").order_by("pk"))
        batch = []
        for study in studies:
            uid = study.study_instance_uid
            if study.state not in states:
                self.stdout.write(f"{uid}: {study.state}, not failed or skipped: left alone")
                continue
            if study.sr_instance_uid:
                self.stdout.write(f"{uid}: not read again: its results are in the PACS already "
                                  f"(SR {study.sr_instance_uid})")
                continue
            with transaction.atomic():  # the row and its job together, as a new study's
                if not PacsStudy.objects.filter(pk=study.pk, state=study.state).update(
                        state=PacsStudy.State.QUEUED, reason_code="", reason="",
                        updated_at=timezone.now()):
                    continue
                tasks.enqueue("read_study", study.pk)
            batch.append(study.pk)
        return batch

    @staticmethod
    def _stuck(excluding: list[int]) -> list[int]:
        """Studies left queued or read (their jobs stopped), except those in `excluding`."""
        return list(PacsStudy.objects.filter(
            state__in=(PacsStudy.State.QUEUED, PacsStudy.State.READ)).exclude(pk__in=excluding)
            .order_by("pk").values_list("pk", flat=True))

    @staticmethod
    def _why_stuck(batch: list[int]) -> str:
        """Why the batch does not move: the reason its stopped jobs left on their rows (a
        worker runs, and the PACS fails), else the likelier cause, no worker."""
        stopped = PacsStudy.objects.filter(
            pk__in=batch, state__in=(PacsStudy.State.QUEUED, PacsStudy.State.READ)).exclude(
            reason="").order_by("-updated_at")
        if not stopped:
            return "is a worker running (make worker, or manage.py qcluster)?"
        return (f"the jobs of {len(stopped)} studies stopped on an error, and the queue tries "
                f"them again: {stopped[0].reason} (pacs_status lists them)")

    def _wait(self, batch: list[int], timeout: float) -> None:
        start = moved = time.monotonic()
        last, hinted = "", False
        while True:
            line, done = progress_line(batch)
            if line != last:
                self.stdout.write(line)
                last, moved = line, time.monotonic()
            if done == len(batch):
                return
            if time.monotonic() - start > timeout:
                raise CommandError(f"not done after {timeout:.0f} s: {line}")
            if not hinted and time.monotonic() - moved > NO_WORKER_HINT_AFTER:
                self.stderr.write(f"Nothing has moved for {NO_WORKER_HINT_AFTER:.0f} s: "
                                  + self._why_stuck(batch))
                hinted = True
            time.sleep(0.5)
