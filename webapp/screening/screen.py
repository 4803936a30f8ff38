"""Screening one upload: the rules the upload page and the API share.

`screen_upload` checks the file, asks the model, and stores the reading; every way it can say
no is an UploadRefused with a stable code, an HTTP status and plain words for the person.
Images the model refuses as "not a chest X-ray" are not stored at all.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxr.inference.notices import Notice

from . import engine_text, imaging, storage
from .engine import ModelUnavailable, get_predictor
from .forms import is_doctor  # refusals tell a verified doctor to export from the imaging system
from .models import Reading
from .taken_on import taken_on

log = logging.getLogger(__name__)

# Every format cxr.inference.decode reads (a hint to the file picker; the server sniffs bytes).
ACCEPT_ATTRIBUTE = (".png,.jpg,.jpeg,.tif,.tiff,.bmp,.dcm,.dicom,image/png,image/jpeg,image/tiff,image/bmp,"
                    "application/dicom")

# What to upload instead of a picture refused as "not a chest X-ray": a verified doctor exports
# it from the imaging system; a patient, who has none, asks the clinic that took it for the file.
NOT_A_CXR_ADVICE = (
    gettext_lazy("Upload a frontal (PA or AP) chest X-ray: photos of people, documents, CT slices, "
                 "side views and X-rays of other body parts are refused."),
    gettext_lazy("If it is a chest X-ray, export it again from the imaging system as DICOM or "
                 "PNG instead of photographing the screen or film."),
)
NOT_A_CXR_ADVICE_FOR_PATIENTS = (
    NOT_A_CXR_ADVICE[0],
    gettext_lazy("If it is a chest X-ray, ask the clinic or hospital that took it for the image file "
                 "or a digital copy (on a CD, by e-mail or through their patient website), and "
                 "upload that instead of a photo of the screen or film."),
)


def not_a_cxr_advice(doctor: bool) -> tuple[str, ...]:
    return tuple(str(a) for a in (NOT_A_CXR_ADVICE if doctor else NOT_A_CXR_ADVICE_FOR_PATIENTS))


@dataclass
class UploadRefused(Exception):
    """Why an upload produced no reading: `code` is stable (API), `message` is for people."""

    code: str
    message: str
    status: int
    title: str = ""
    advice: tuple = field(default_factory=tuple)
    # The engine's notice behind `message` ({"code", "params", "text"}), when there is one: a
    # refusal kept for later (a batch's file) is worded again in the reader's language then.
    notice: dict | None = None
    # Seconds to wait before sending again (a rate limit's refusal, status 429): Retry-After.
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def max_upload_bytes() -> int:
    return int(settings.MAX_UPLOAD_BYTES)


def human_size(n_bytes: int) -> str:
    """67108864 -> '64 MB', 10000 -> '10 KB' (binary units, as the limit is set)."""
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.0f} KB"
    mib = n_bytes / (1024 * 1024)
    return f"{mib:.0f} MB" if mib >= 10 or mib == int(mib) else f"{mib:.1f} MB"


def too_large(size: int) -> UploadRefused:
    return UploadRefused(
        code="too_large",
        status=413,
        title=_("The file is too large"),
        message=_("The file is %(size)s; the limit is %(limit)s.")
        % {"size": human_size(size), "limit": human_size(max_upload_bytes())},
        notice=Notice("file_too_large", size_mib=size / 2**20, limit_mib=max_upload_bytes() / 2**20).as_dict(),
    )


MODEL_UNUSABLE_TITLE = gettext_lazy("The screening model cannot be used")
MODEL_UNUSABLE_MESSAGE = gettext_lazy("The model installed on this server is damaged or incomplete, so it cannot "
                           "read X-rays until an administrator repairs it.")
MODEL_UNUSABLE_FIX = gettext_lazy("Administrators: “python manage.py model_status” names what is wrong with the "
                       "model folder.")


def model_unavailable(unavailable: ModelUnavailable | None = None) -> UploadRefused:
    """No reading can be made: no model is installed, or (`unavailable` says) the site's own
    calibration cannot be used with the installed one, which an administrator fixes otherwise."""
    problem = unavailable.site_calibration_error if unavailable is not None else None
    if problem is not None:
        words = engine_text.site_calibration_unusable(problem)
        return UploadRefused(code="site_calibration_unusable", status=503, title=words["title"],
                             message=f"{words['message']} {words['why']}", advice=(words["fix"],))
    if unavailable is not None and unavailable.reason != "not_installed":
        # A folder is there but cannot be used (a part its card names is missing, a card that
        # does not fit its network or cannot be read): "no model is installed" would send the
        # administrator to export one, not to repair this one.
        return UploadRefused(code="model_unusable", status=503, title=str(MODEL_UNUSABLE_TITLE),
                             message=str(MODEL_UNUSABLE_MESSAGE), advice=(str(MODEL_UNUSABLE_FIX),))
    return UploadRefused(
        code="model_not_installed",
        status=503,
        title=_("No model is installed"),
        message=_("This server has no screening model installed, so it cannot read X-rays yet. "
                  "Ask the administrator to install one."),
    )


def storage_missing() -> UploadRefused:
    """The private media folder is not there (storage.StorageMissing): nothing can be kept."""
    log.error("An upload was refused: the private media root %s is missing (not mounted?)", storage.media_root())
    return UploadRefused(
        code="storage_unavailable",
        status=503,
        title=_("X-rays cannot be stored right now"),
        message=_("This server cannot store X-rays right now, so nothing was read or kept. Try again "
                  "later; if it goes on, tell the administrator."),
        advice=(_("Administrators: the private media folder (PRIVATE_MEDIA_ROOT) is not there; "
                  "/healthz says “storage”: “missing”. Mount it: uploads are refused "
                  "until it is back."),),
    )


def _stored_notice(notice) -> dict | None:
    """An engine Notice as UploadRefused keeps it; None for plain text (no code to word again)."""
    return notice.as_dict() if isinstance(notice, Notice) else None


def _refusal_for_image_error(exc, doctor: bool = False) -> UploadRefused:
    from cxr.inference import EmptyFile, ImageTooLarge, UnsupportedFormat

    notice = getattr(exc, "message", "") or str(exc)
    message = engine_text.notice_text(notice, doctor=doctor)
    stored = _stored_notice(notice)
    code = getattr(exc, "code", "") or "unreadable_image"
    if isinstance(exc, UnsupportedFormat):
        return UploadRefused(code, message, 415, _("This file type is not supported"), notice=stored)
    if isinstance(exc, ImageTooLarge):
        return UploadRefused(code, message, 413, _("The image is too large"), notice=stored)
    if isinstance(exc, EmptyFile):
        return UploadRefused(code, message, 422, _("The file is empty"), notice=stored)
    return UploadRefused(code, message, 422, _("The image cannot be read"), notice=stored)


# A multipart body carries a little more than the file: boundaries and the CSRF field.
MULTIPART_SLACK_BYTES = 64 * 1024


def too_large_together(size: int) -> UploadRefused:
    """Several files of one request, over the limit together (each may be under it)."""
    return UploadRefused(
        code="too_large",
        status=413,
        title=_("The files are too large together"),
        message=_("The files are %(size)s together; one upload of several files takes at most "
                  "%(limit)s in all. Send fewer files at a time.")
        % {"size": human_size(size), "limit": human_size(max_upload_bytes())},
    )


def refuse_oversized_body(request, several: bool | None = None) -> None:
    """Refuse a body whose declared size is over the limit without parsing it here. The API's
    uploads (csrf_exempt) reach this unparsed; a browser's form POST has been parsed already by
    CsrfViewMiddleware, which reads request.POST for its token (views.upload keeps its fields).
    The limit is for the whole body: `several` (a batch; None: count the files where the body was
    parsed already) words the refusal for files together, not as one file's size."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared <= max_upload_bytes() + MULTIPART_SLACK_BYTES:
        return
    if several is None:
        # lists() gives (field, [files]) pairs: the files are the second of each.
        several = body_already_parsed(request) and sum(
            len(files) for _field, files in request.FILES.lists()) > 1
    raise too_large_together(declared) if several else too_large(declared)


def body_already_parsed(request) -> bool:
    """Whether Django has read and parsed the request's body already (CsrfViewMiddleware does for
    every browser form POST): its fields and files can then be looked at without reading a body
    refused for its size. HttpRequest keeps the parsed fields and files in _post and _files."""
    return hasattr(request, "_files")


def screen_upload(owner, uploaded_file) -> Reading:
    """Read an uploaded file (Django UploadedFile), predict, store; raise UploadRefused."""
    if uploaded_file is None:
        raise UploadRefused("no_file", _("Choose an image file to upload."), 400, _("No file chosen"))
    if uploaded_file.size > max_upload_bytes():
        raise too_large(uploaded_file.size)
    try:
        predictor = get_predictor()
    except ModelUnavailable as exc:
        raise model_unavailable(exc) from exc

    # Large uploads are read one at a time in each process (see LARGE_UPLOAD_BYTES).
    one_at_a_time = _large_uploads if heavy_to_read(uploaded_file) else contextlib.nullcontext()
    with one_at_a_time:
        return _predict_and_store(owner, uploaded_file, predictor)


def heavy_to_read(uploaded_file) -> bool:
    """Whether reading `uploaded_file` takes much memory: a large file, or a small one whose
    header declares many decoded bytes (a 190 KB PNG of 7,000 x 7,000 RGBA pixels takes 700 MB
    while it is turned grey; four of them at once in one worker's threads, 2.8 GB)."""
    from cxr.inference.decode import decoded_bytes

    if uploaded_file.size > LARGE_UPLOAD_BYTES:
        return True
    head = uploaded_file.read(1 << 20)
    uploaded_file.seek(0)
    return (decoded_bytes(head) or 0) > LARGE_DECODED_BYTES


# Reading a 64 MiB DICOM takes about 130 MB on top of the worker (the upload, the 8-bit image,
# the display copies), and a 3,000 px JPEG Lossless DICOM (6-8 MiB) about 100 MB while GDCM
# decodes it; four at once in one worker's four threads would take four times that (900 MB
# per worker with 8 users sending such DICOMs, docs/performance.md). One at a time costs little
# throughput: each worker runs on one core. 8-bit PNGs of 2,000 px (1-2 MiB) are not held up.
LARGE_UPLOAD_BYTES = 4 * 1024 * 1024
# A file that decodes to more than this is read one at a time as well, however small: a 12
# megapixel phone photo in colour (36 MB) is not, a 7,000 px RGBA PNG (196 MB) is.
LARGE_DECODED_BYTES = 64 * 1024 * 1024
_large_uploads = threading.Lock()


def _predict_and_store(owner, uploaded_file, predictor) -> Reading:
    from cxr.inference import ImageError

    try:
        # The upload's bytes are not kept past decoding: a 64 MiB file would otherwise be held
        # while the model runs and the display images are made and stored.
        decoded = predictor.decode(uploaded_file.read())
    except ImageError as exc:
        raise _refusal_for_image_error(exc, is_doctor(owner)) from exc
    # The display copies need only the decoded pixels: made on another core while the model runs.
    with imaging.display_files_started(decoded.gray):
        prediction = predictor.predict_decoded([decoded])[0]
        return _store(owner, uploaded_file, prediction, taken_on(decoded.dicom))


def _store(owner, uploaded_file, prediction, taken: date | None = None) -> Reading:
    if prediction.rejected:
        doctor = is_doctor(owner)
        raise UploadRefused(
            code="not_a_chest_xray",
            status=422,
            title=_("This does not look like a chest X-ray"),
            message=engine_text.notice_text(prediction.reason, doctor=doctor) if prediction.reason else _(
                "The model refused this image: it does not look like a frontal chest X-ray."),
            advice=not_a_cxr_advice(doctor),
            notice=_stored_notice(prediction.reason),
        )
    try:
        return storage.create_reading(owner, prediction, taken)
    except storage.StorageMissing:
        raise storage_missing() from None
