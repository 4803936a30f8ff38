"""How far the PACS link has come: studies per state, the last skips and failures, and the
studies whose jobs stopped on an error."""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.db.models import Count

from webapp.pacs import ingest, tasks
from webapp.pacs.models import PacsStudy


class Command(BaseCommand):
    help = "Count the PACS studies per state (queued, read, written, skipped, failed)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options):
        counts = {state: 0 for state in PacsStudy.State.values}
        for row in PacsStudy.objects.values("state").annotate(n=Count("id")):
            counts[row["state"]] = row["n"]
        from django_q.models import OrmQ

        queued_jobs = OrmQ.objects.count()
        if options["json"]:
            from webapp.screening.models import Reading

            readings = Reading.objects.filter(pacs_study__isnull=False).count()
            self.stdout.write(json.dumps({"studies": counts, "jobs_in_queue": queued_jobs,
                                          "readings": readings, "capped": ingest.capped_windows()}))
            return
        self.stdout.write(", ".join(f"{state}: {n}" for state, n in counts.items())
                          + f"; jobs in the queue: {queued_jobs}")
        for study in PacsStudy.objects.filter(
                state__in=(PacsStudy.State.SKIPPED, PacsStudy.State.FAILED))[:10]:
            self.stdout.write(f"  {study.state} {study.study_instance_uid}: {study.reason}")
        # Jobs that stopped on an error leave their study queued or read, with the reason:
        # `pacs_ingest --resume` queues them again.
        # While its job is still in the queue, the queue tries it again and --resume does nothing.
        in_queue = tasks.jobs_in_queue()
        for study in PacsStudy.objects.filter(
                state__in=(PacsStudy.State.QUEUED, PacsStudy.State.READ)).exclude(reason="")[:10]:
            waits = tasks.job_name(tasks.job_left(study), study.pk) in in_queue
            self.stdout.write(f"  stopped ({study.state}, {study.reason_code or 'no code'}) "
                              f"{study.study_instance_uid}: {study.reason} "
                              + ("(its job is in the queue, which tries it again)" if waits
                                 else "(pacs_ingest --resume queues it again)"))
        # A job killed from outside (the queue's timeout, kill -9 once too often) leaves no
        # reason; with no job left in the queue, nothing will move these studies.
        capped = ingest.capped_windows()
        for window in (capped or {}).get("windows", []):
            when = ", ".join(f"{key} {value}" for key, value in window.items() if key != "answered")
            self.stdout.write(
                f"  studies may be missed: the poll round of {capped['checked_at']} got "
                f"{window['answered']} studies for {when}, the most one query returns (PACS_QUERY_LIMIT "
                f"{capped['query_limit']}); raise the PACS's cap (Orthanc: LimitFindResults) and "
                "PACS_QUERY_LIMIT, or look for that minute's studies by hand")
        waiting = counts[PacsStudy.State.QUEUED] + counts[PacsStudy.State.READ]
        if waiting and not queued_jobs:
            self.stdout.write(f"  {waiting} studies are queued or read but no job is in the "
                              "queue: their jobs stopped or were given up; pacs_ingest --resume "
                              "queues them again")
