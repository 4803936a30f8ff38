"""Remove reading folders without a row, and rows whose X-ray file is gone.

Both can be left behind by a crash between writing files and committing the row, or by files
removed by hand. Folders younger than --min-age-minutes are skipped: they may belong to an
upload that is still being saved. A batch's waiting files (pending-uploads/) are removed only
when no item of a batch still names them: a queue with a backlog keeps its files however old.

Only folders named as the app names them are ever removed: a reading's `<owner id>/<storage
key>` (storage.reading_folder: digits, then a UUID) and a batch's `pending-uploads/<32 hex
digits>` (batches.create_batch). The root may be a mounted volume with other folders in it:
ext4's lost+found/, where fsck puts the files it recovers, or an operator's copy; a run removed
those as folders "without a reading". Now they are named as not the app's and left alone.

A file of a multi-file upload whose job the queue gave up on (it failed QUEUE_MAX_ATTEMPTS
times: its waiting file was where a release before 8e61e1f looked, say) stays "Being read" for
good, and /healthz "stalled": such items (not done or refused, no job on the queue, unchanged for
--min-age-minutes) are queued again. The job reads the file, or refuses the item with a message
to upload it again when the file is gone (webapp.screening.batches).

A reading is deleted only when its X-ray (original.png) is gone, with an audit event
(Action.CLEANUP_DELETE) in the same transaction. Any missing file used to count: a lost
thumbnail cost the reading, its X-ray and its heat map. A missing thumbnail is now made again
from the X-ray; a missing heat map (only the model makes one) is reported and left.

Readings are deleted only when the image storage is plainly there: a storage folder that is
missing (a disk not mounted, PRIVATE_MEDIA_ROOT unset on this machine) made every reading look
"without files", and a run deleted them all. The command stops, removing nothing, when the folder
is missing or when more than MAX_SHARE_WITHOUT_FILES of the readings would go (--force to
remove them anyway, after checking that their files really are gone).
"""
from __future__ import annotations

import datetime
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from cxr.files import atomic_target
from webapp.audit.models import Action, AuditEvent
from webapp.screening import batches, imaging, storage
from webapp.screening.models import BatchItem, Reading

# More readings than this share (and more than MAX_COUNT_WITHOUT_FILES) without files looks like
# storage that is not there, not like files lost one by one.
MAX_SHARE_WITHOUT_FILES = 0.1
MAX_COUNT_WITHOUT_FILES = 5


class Command(BaseCommand):
    help = "Remove private image folders without a reading, and readings without their images."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report what would be removed, remove nothing")
        parser.add_argument("--min-age-minutes", type=float, default=60.0,
                            help="skip folders modified more recently than this, 0 or more (default 60)")
        parser.add_argument("--force", action="store_true",
                            help="remove readings without files even when many of them are missing "
                                 "(check first that the image storage is mounted)")

    def handle(self, *args, dry_run: bool = False, min_age_minutes: float = 60.0, force: bool = False,
               **options):
        # Not >= 0 is also NaN, under which every folder looked old enough to remove.
        if not min_age_minutes >= 0:
            raise CommandError(f"--min-age-minutes must be a number of minutes, 0 or more (got "
                               f"{min_age_minutes:g}): folders younger than that are left alone, "
                               "as they may belong to an upload still being saved. Nothing was removed.")
        verb = "would remove" if dry_run else "removed"
        root = storage.media_root()
        readings = Reading.objects.count()
        if readings and not root.is_dir():
            raise CommandError(f"The image storage {root} does not exist (not mounted, or PRIVATE_MEDIA_ROOT "
                               f"not set on this machine?): every one of the {readings} readings would look "
                               "like it had lost its files. Nothing was removed.")
        broken, incomplete = [], []  # without their X-ray; with it, but missing another file
        for reading in Reading.objects.only("id", "owner_id", "storage_key", "original_path",
                                            "thumbnail_path", "heatmap_path").iterator():
            missing = storage.missing_files(reading)
            if reading.original_path in missing:
                broken.append(reading)
            elif missing:
                incomplete.append((reading, missing))
        if (len(broken) > MAX_COUNT_WITHOUT_FILES and len(broken) > MAX_SHARE_WITHOUT_FILES * readings
                and not force):
            raise CommandError(f"{len(broken)} of {readings} readings have no files in {root}: that looks like "
                               "storage that is not mounted or a wrong PRIVATE_MEDIA_ROOT, not files lost one by "
                               "one. Nothing was removed; if the files really are gone, run again with --force.")
        orphan_folders, foreign = self._orphan_folders(min_age_minutes * 60)
        for folder in foreign:
            self.stdout.write(f"not the app's, left alone: {folder}")
        for folder in orphan_folders:
            self.stdout.write(f"{verb} folder without a reading: {folder}")
            if not dry_run:
                shutil.rmtree(folder, ignore_errors=True)

        stale_temporaries = self._stale_temporaries(min_age_minutes * 60)
        for path in stale_temporaries:
            self.stdout.write(f"{verb} unfinished temporary file: {path}")
            if not dry_run:
                path.unlink(missing_ok=True)

        for reading, missing in incomplete:
            self._repair(reading, missing, dry_run)

        stranded = self._stranded_items(min_age_minutes * 60)
        for item in stranded:
            self.stdout.write(f"{'would queue' if dry_run else 'queued'} again file {item.index} of upload "
                              f"batch {item.batch_id} ({item.state}, no job on the queue)")
            if not dry_run:
                batches.enqueue(item.pk)

        for reading in broken:
            self.stdout.write(f"{verb} reading {reading.pk} without its X-ray")
            if not dry_run:
                # Deleting the row also removes whatever is left of its folder; the event and the
                # deletion are committed together.
                with transaction.atomic():
                    AuditEvent.objects.create(action=Action.CLEANUP_DELETE, reading_id=reading.pk,
                                              reading_owner_id=reading.owner_id, via="command")
                    storage.delete_reading(reading)

        self.stdout.write(self.style.SUCCESS(
            f"{'Dry run: ' if dry_run else ''}{len(orphan_folders)} folder(s) without a reading, "
            f"{len(broken)} reading(s) without their X-ray, {len(stale_temporaries)} temporary file(s) "
            f"{'would be removed' if dry_run else 'removed'}"
            + (f"; {len(stranded)} waiting file(s) of uploads {'would be ' if dry_run else ''}queued again."
               if stranded else ".")
        ))

    def _stranded_items(self, min_age_seconds: float) -> list[BatchItem]:
        """Items still waiting to be read whose job is no longer on the queue."""
        from django_q.models import OrmQ

        waiting = list(BatchItem.objects.exclude(state__in=batches.FINAL).filter(
            updated_at__lt=timezone.now() - datetime.timedelta(seconds=min_age_seconds)))
        if not waiting:
            return []
        queued = {job.name() for job in OrmQ.objects.all()}
        return [item for item in waiting if batches.job_name(item.pk) not in queued]

    def _repair(self, reading: Reading, missing: list[str], dry_run: bool) -> None:
        """A reading whose X-ray is there: make its thumbnail again from the X-ray; a heat map
        only the model can make, so a missing one is said, and the reading kept."""
        if reading.thumbnail_path in missing:
            if dry_run:
                self.stdout.write(f"would make the thumbnail of reading {reading.pk} again")
            else:
                try:
                    _remake_thumbnail(reading)
                    self.stdout.write(f"made the thumbnail of reading {reading.pk} again")
                except (OSError, ValueError, UnidentifiedImageError) as exc:
                    self.stderr.write(f"could not make the thumbnail of reading {reading.pk} again: {exc}")
        if reading.heatmap_path in missing:
            self.stdout.write(f"reading {reading.pk} has lost its heat map: kept without it "
                              "(its X-ray and outcome are there; restore heatmap.png from a backup)")

    def _orphan_folders(self, min_age_seconds: float) -> tuple[list, list]:
        """(the app's folders that nothing names, older than `min_age_seconds`; the folders two
        levels down that the app did not make, which are never removed)."""
        root = storage.media_root()
        if not root.is_dir():
            return [], []
        in_use: dict[str, set[str]] = {}
        for owner, key in Reading.objects.values_list("owner_id", "storage_key"):
            in_use.setdefault(str(owner), set()).add(str(key))
        # A batch's folder is in use while one of its items still waits to be read.
        in_use[batches.PENDING] = {
            _normalised_key(Path(path).parent.name) for path in BatchItem.objects.exclude(upload_path="")
            .exclude(state__in=batches.FINAL).values_list("upload_path", flat=True)}
        now = time.time()
        orphans, foreign = [], []
        for owner_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for folder in sorted(p for p in owner_dir.iterdir() if p.is_dir()):
                if not _is_app_folder(owner_dir.name, folder.name):
                    foreign.append(folder)
                    continue
                if _normalised_key(folder.name) in in_use.get(owner_dir.name, set()):
                    continue
                if now - folder.stat().st_mtime < min_age_seconds:
                    continue
                orphans.append(folder)
        return orphans, foreign

    def _stale_temporaries(self, min_age_seconds: float) -> list:
        """Temporary files (storage._write_atomically) left by a crash before their rename."""
        root = storage.media_root()
        now = time.time()
        return sorted(p for p in root.glob("*/*/.*.tmp")
                      if p.is_file() and _is_app_folder(p.parent.parent.name, p.parent.name)
                      and now - p.stat().st_mtime >= min_age_seconds) if root.is_dir() else []


def _remake_thumbnail(reading: Reading) -> None:
    """The thumbnail from the stored X-ray (a grey display copy), as an upload makes it."""
    with Image.open(storage.absolute_path(reading.original_path)) as original:
        gray = np.asarray(original.convert("L"))
    with atomic_target(storage.absolute_path(reading.thumbnail_path)) as tmp, storage.open_private(tmp) as out:
        out.write(imaging.thumbnail_png(gray))


def _is_app_folder(parent: str, name: str) -> bool:
    """Whether `parent/name` is named as the app names its folders: a reading's
    `<owner id>/<storage key>` (str of a UUID) or a batch's `pending-uploads/<uuid4 hex>`."""
    try:
        key = uuid.UUID(name)
    except ValueError:
        return False
    if parent == batches.PENDING:
        return name == key.hex
    return parent.isascii() and parent.isdigit() and name == str(key)


def _normalised_key(name: str) -> str:
    try:
        return str(uuid.UUID(name))
    except ValueError:
        return name
