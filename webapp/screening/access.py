"""Ownership: the only way a view gets at a reading or a multi-file upload (batch), and how a
reading's private images are sent.

Every view that takes a reading id calls get_own_reading_or_404, and every view that takes a
batch id get_own_batch_or_404. Another user's reading or batch answers 404, exactly like one
that does not exist, so ids cannot be probed.
"""
from __future__ import annotations

import contextlib
import logging

from django.http import FileResponse, Http404, HttpResponse

from . import storage
from .batch_models import UploadBatch
from .models import Reading

log = logging.getLogger(__name__)


class StoredFileMissing(Http404):
    """A reading that exists, one of whose stored files does not (disk trouble, a partial
    restore): still a 404 on the pages, but the API says so apart from "no such reading" (code
    file_missing), and the operator finds it in the error log (once per server process,
    storage.lost_file_log_level)."""


def _own_or_404(model, request, pk, missing: str):
    """The signed-in user's `model` row `pk`; 404 for anyone else's, a malformed or an absurd id."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Http404(missing)
    try:
        return model.objects.get(pk=pk, owner=user)
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(missing) from None


def get_own_reading_or_404(request, pk) -> Reading:
    return _own_or_404(Reading, request, pk, "No such reading")


def get_own_batch_or_404(request, pk) -> UploadBatch:
    return _own_or_404(UploadBatch, request, pk, "No such batch")


def private_headers(response: HttpResponse) -> HttpResponse:
    """Medical images must not linger in shared caches or be sniffed as another type."""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def private_png_file(relative_path: str, download_name: str | None = None) -> FileResponse:
    try:
        path = storage.absolute_path(relative_path)
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (ValueError, FileNotFoundError):
        log.log(storage.lost_file_log_level(relative_path), "A reading's stored file is missing: %s", relative_path)
        raise StoredFileMissing("A file of this reading is missing from storage") from None
    response = FileResponse(handle, content_type="image/png")
    if download_name:
        response["Content-Disposition"] = f'inline; filename="{download_name}"'
    return private_headers(response)


def private_png_bytes(data: bytes) -> HttpResponse:
    return private_headers(HttpResponse(data, content_type="image/png"))


@contextlib.contextmanager
def stored_images_present():
    """Around building something from a reading's stored images (the overlay, the PDF): a lost
    file (disk trouble, a partial restore) answers 404 as the image itself does, not a 500."""
    try:
        yield
    except OSError as missing:  # lost, unreadable, or damaged (PIL's UnidentifiedImageError)
        filename = getattr(missing, "filename", None)
        level = storage.lost_file_log_level(filename, "unreadable") if filename else logging.ERROR
        log.log(level, "A reading's stored file is missing or damaged: %s (%s)", filename, missing)
        raise StoredFileMissing("A file of this reading is missing from storage") from None
