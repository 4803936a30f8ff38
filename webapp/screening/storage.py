"""Where a reading's images live on disk, and how a reading is created and deleted atomically.

Layout: settings.PRIVATE_MEDIA_ROOT/<owner id>/<storage key>/{original,thumbnail,heatmap}.png.
The root is never under a public URL; views that check ownership serve the files.

Creation writes every file first (each to a temporary name, then renamed, so no reader ever sees
half a file), makes them durable (fsync, all at once), then inserts the row in a transaction; if
the insert fails the files are removed.
Every file and folder written under the root is the app's user's alone (files 0600, folders
0700, whatever the umask): they are medical images, and other local users of the server must
not read them. The web and queue processes therefore run as the same user (docs/deploy.md).
Deleting a row removes its folder once the deletion is committed (also for cascades, e.g. when
a user is deleted). `manage.py cleanup_orphans` repairs what a crash in between leaves behind.
"""
from __future__ import annotations

import datetime
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from cxr.files import atomic_target

from . import engine_text, imaging
from .models import Reading

ORIGINAL, THUMBNAIL, HEATMAP = "original.png", "thumbnail.png", "heatmap.png"
FILE_NAMES = (ORIGINAL, THUMBNAIL, HEATMAP)
# The class activation map is 7 x 7 cells upscaled: 256 px holds all its detail, and the
# browser stretches it smoothly over the X-ray. A full-size copy would only cost encoding time.
HEATMAP_MAX_SIDE = 256
# Owner-only, like settings.FILE_UPLOAD_PERMISSIONS / FILE_UPLOAD_DIRECTORY_PERMISSIONS (which
# only Django's storage classes read; these files are written here, not through them).
FILE_MODE, FOLDER_MODE = 0o600, 0o700


def media_root() -> Path:
    # Read at call time, not import time: tests and deployments point it elsewhere.
    return Path(settings.PRIVATE_MEDIA_ROOT)


def absolute_path(relative: str) -> Path:
    """The absolute path of a stored file; refuses anything that would leave the media root."""
    root = media_root().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"stored path {relative!r} is outside the private media root")
    return path


def reading_folder(owner_id: int, storage_key: uuid.UUID | str) -> Path:
    return media_root() / str(owner_id) / str(storage_key)


class StorageMissing(OSError):
    """PRIVATE_MEDIA_ROOT is not there: a share that is not mounted, most likely. It is never
    made here: made on the local disk, it would take the X-rays that belong on the share (and
    /healthz would say "ok" again), and once the share was back their readings would have no
    files, for cleanup_orphans to delete. settings.py makes the development default."""


def make_private_folder(path: Path, exist_ok: bool = False) -> None:
    """Make the folder `path` (mode 0700), and any missing folder above it the same way, up to
    the media root, which must be there (StorageMissing). Like Path.mkdir(parents=True), whose
    parents get the umask's mode (0755: readable by every local user) rather than `mode`."""
    if path == media_root():
        if exist_ok and path.is_dir():
            return
        raise StorageMissing(f"the private media root {path} is missing (not mounted?)")
    if not path.parent.is_dir():
        make_private_folder(path.parent, exist_ok=True)
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileExistsError:
        if not exist_ok or not path.is_dir():
            raise


def open_private(path: Path):
    """A new file at `path` (mode 0600), open for writing bytes; refuses an existing one."""
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


def _write_atomically(path: Path, data: bytes) -> None:
    """`data` under a temporary name, then renamed to `path`: a reader sees all of it or none.
    Durability is `_sync`'s, for all of a reading's files at once."""
    with atomic_target(path) as tmp, open_private(tmp) as out:
        out.write(data)


def _fsync(path: Path, errors: list[BaseException]) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException as exc:  # re-raised by _sync in the request's thread
        errors.append(exc)


def _sync(paths: list[Path]) -> None:
    """fsync every file at the same time, before the row that names them is committed. One
    after another each waited for its own journal commit (12 ms for three files on the
    development machine's ext4); together they share one (1.5 ms)."""
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_fsync, args=(path, errors)) for path in paths[1:]]
    for thread in threads:
        thread.start()
    _fsync(paths[0], errors)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def create_reading(owner, prediction, taken_on: datetime.date | None = None) -> Reading:
    """Store a prediction (a cxr.inference.Prediction that was not rejected) for `owner`.

    Writes the decoded pixels as PNG (never the uploaded bytes: no EXIF, no DICOM patient tags;
    at most DISPLAY_MAX_SIDE px, cxr.inference.rendering), a thumbnail and the transparent heat
    map (same aspect ratio, at most HEATMAP_MAX_SIDE px), then the row, with the day the X-ray was
    taken where its DICOM header says (webapp.screening.taken_on). Returns the saved Reading.
    The upload's file name is never passed in: names often hold the patient's name (issue 17).
    """
    if prediction.rejected:
        raise ValueError("refused images are not stored")
    storage_key = uuid.uuid4()
    folder = reading_folder(owner.pk, storage_key)
    relative = Path(str(owner.pk)) / str(storage_key)
    height, width = prediction.image.shape[:2]
    display, thumbnail = imaging.display_files(prediction.image)  # perhaps made during predict
    files = {
        ORIGINAL: display,
        THUMBNAIL: thumbnail,
        HEATMAP: imaging.heatmap_png(prediction.heatmap, prediction.image.shape, HEATMAP_MAX_SIDE),
    }
    make_private_folder(folder)
    try:
        for name, data in files.items():
            _write_atomically(folder / name, data)
        _sync([folder / name for name in files])
        with transaction.atomic():
            return Reading.objects.create(
                owner=owner,
                storage_key=storage_key,
                label=prediction.label,
                probabilities={k: float(v) for k, v in prediction.probabilities.items()},
                reason=str(prediction.reason or ""),
                reason_code=getattr(prediction.reason, "code", ""),
                reason_params=getattr(prediction.reason, "params", {}),
                low_confidence=bool(prediction.low_confidence),
                ood_score=None if prediction.ood_score is None else float(prediction.ood_score),
                warnings=[engine_text.stored(w) for w in (prediction.warnings or [])],
                prediction_set=_prediction_set(prediction),
                set_confidence=_set_confidence(prediction),
                model_version=str(prediction.model_version or ""),
                source_format=str(prediction.source_format or ""),
                image_width=int(width),
                image_height=int(height),
                original_path=str(relative / ORIGINAL),
                thumbnail_path=str(relative / THUMBNAIL),
                heatmap_path=str(relative / HEATMAP),
                taken_on=taken_on,
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _prediction_set(prediction) -> list[str] | None:
    classes = getattr(prediction, "prediction_set", None)
    return None if classes is None else [str(c) for c in classes]


def _set_confidence(prediction) -> float | None:
    """The level the prediction's set was fitted at, as the predictor that made it says (the
    card's trust fit or the site's calibration); None without a set."""
    if getattr(prediction, "prediction_set", None) is None or prediction.set_confidence is None:
        return None
    return float(prediction.set_confidence)


def delete_reading(reading: Reading) -> None:
    """Delete the row; its files go once the deletion is committed (see the signal below)."""
    with transaction.atomic():
        reading.delete()


def remove_files(owner_id: int, storage_key) -> None:
    shutil.rmtree(reading_folder(owner_id, storage_key), ignore_errors=True)


@receiver(post_delete, sender=Reading, dispatch_uid="screening.remove_reading_files")
def _remove_files_after_delete(sender, instance: Reading, **kwargs) -> None:
    # After commit: a rolled-back deletion must keep its images.
    owner_id, key = instance.owner_id, instance.storage_key
    transaction.on_commit(lambda: remove_files(owner_id, key))


def missing_files(reading: Reading) -> list[str]:
    """The stored paths of the reading's files that are not on disk. Only a missing original is
    a lost reading (cleanup_orphans): the thumbnail is made from it, the heat map is extra."""
    missing = []
    for relative in (reading.original_path, reading.thumbnail_path, reading.heatmap_path):
        try:
            if not absolute_path(relative).is_file():
                missing.append(relative)
        except ValueError:
            missing.append(relative)
    return missing


# The stored files (and how each was found wanting) this server process has already logged at
# ERROR: a lost picture is found again at every view of its reading, and one error line per
# view filled the error log with one incident and hid the next. Bounded: when full it starts
# over, and a file still lost is then said at ERROR once more (a reminder, not a flood).
_LOST_FILES_SAID: set[tuple[str, str]] = set()
LOST_FILES_REMEMBERED = 10_000


def lost_file_log_level(relative: str, how: str = "missing") -> int:
    """The level to log the stored file `relative` found `how` ("missing", "damaged") at:
    ERROR the first time this process finds it so, INFO after that (still there to trace a
    view, not another error to act on). Each process of the server says it once."""
    key = (str(relative), how)
    if key in _LOST_FILES_SAID:
        return logging.INFO
    if len(_LOST_FILES_SAID) >= LOST_FILES_REMEMBERED:
        _LOST_FILES_SAID.clear()
    _LOST_FILES_SAID.add(key)
    return logging.ERROR


def file_found_whole(relative: str) -> None:
    """`relative` is there and whole (restored, say): should it be lost again, that is a new
    error."""
    if _LOST_FILES_SAID:
        for how in ("missing", "damaged"):
            _LOST_FILES_SAID.discard((str(relative), how))
