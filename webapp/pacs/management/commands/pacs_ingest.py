"""Find new studies in the PACS and queue them (or read them here with --inline).

    manage.py pacs_ingest                 # queue new studies; workers (manage.py qcluster) do them
    manage.py pacs_ingest --wait          # ... and show the batch's progress until it is done
    manage.py pacs_ingest --poll 30       # look again every 30 s, for ever
    manage.py pacs_ingest --inline        # no worker: read and write back in this process
    manage.py pacs_ingest --resume        # queue again studies whose jobs were given up
"""
from __future__ import annotations

import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from webapp.pacs import dicomweb, ingest, tasks
from webapp.pacs.models import PacsStudy

DONE = (PacsStudy.State.WRITTEN, PacsStudy.State.SKIPPED, PacsStudy.State.FAILED)


def progress_line(studies) -> tuple[str, int]:
    counts = {state: 0 for state in PacsStudy.State.values}
    for state in PacsStudy.objects.filter(pk__in=studies).values_list("state", flat=True):
        counts[state] += 1
    done = sum(counts[s] for s in DONE)
    line = (f"{done}/{len(studies)} done: {counts['written']} written back, "
            f"{counts['skipped']} skipped, {counts['failed']} failed; "
            f"{counts['read']} read and waiting for write-back, {counts['queued']} queued")
    return line, done


class Command(BaseCommand):
    help = "Find new chest X-ray studies in the PACS (DICOMweb) and queue them for reading."

    def add_arguments(self, parser):
        parser.add_argument("--inline", action="store_true",
                            help="read and write back in this process (no worker needed)")
        parser.add_argument("--wait", action="store_true",
                            help="show progress until the queued studies are done")
        parser.add_argument("--timeout", type=float, default=3600,
                            help="seconds --wait waits at most")
        parser.add_argument("--poll", type=float, default=0,
                            help="look for new studies every this many seconds, for ever")
        parser.add_argument("--resume", action="store_true",
                            help="queue again studies left queued or read (jobs given up)")
        parser.add_argument("--url", default="", help="DICOMweb root (default PACS_DICOMWEB_URL)")

    def handle(self, *args, inline, wait, timeout, poll, resume, url, **options):
        try:
            web = dicomweb.client(url or None)
            ingest.site_account()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        while True:
            batch = [s.pk for s in ingest.queue_new_studies(web)] if not inline else []
            if inline:
                batch = self._inline(web)
            if resume:
                batch += self._resume()
            self.stdout.write(f"{len(batch)} studies queued" if not inline
                              else f"{len(batch)} studies read here")
            if wait and batch and not inline:
                self._wait(batch, timeout)
            if not poll:
                return
            time.sleep(poll)

    def _inline(self, web) -> list[int]:
        # Queue rows without jobs: this process does the work (tasks.run_inline).
        with tasks.held_jobs():
            new = ingest.queue_new_studies(web)
        for number, study in enumerate(new, 1):
            state = tasks.run_inline(study.pk)
            self.stdout.write(f"[{number}/{len(new)}] {study.study_instance_uid}: {state}")
        return [s.pk for s in new]

    def _resume(self) -> list[int]:
        stuck = list(PacsStudy.objects.filter(
            state__in=(PacsStudy.State.QUEUED, PacsStudy.State.READ)))
        for study in stuck:
            job = "read_study" if study.state == PacsStudy.State.QUEUED else "write_back"
            tasks.enqueue(job, study.pk)
        return [s.pk for s in stuck]

    def _wait(self, batch: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            line, done = progress_line(batch)
            if line != last:
                self.stdout.write(line)
                last = line
            if done == len(batch):
                return
            if time.monotonic() > deadline:
                raise CommandError(f"not done after {timeout:.0f} s: {line}")
            time.sleep(0.5)
