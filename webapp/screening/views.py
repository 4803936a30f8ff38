"""Pages of the screening flow: upload, reading, history, delete, report, images, and the
administrators' site validation (the API key page is api_keys.py).

Every view that takes a reading id goes through access.get_own_reading_or_404.
"""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.db.models.functions import Lower
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import (
    batches,
    engine_text,
    exports,
    outcomes,
    presentation,
    rate_limits,
    report_pdf,
    site_validation,
    storage,
)
from .access import (
    get_own_batch_or_404,
    get_own_reading_or_404,
    private_headers,
    private_png_bytes,
    private_png_file,
    stored_images_present,
)
from .engine import ModelUnavailable, get_predictor
from .exports import CLASS_ORDER
from .forms import (
    TYPED_REFERENCE_MAX,
    AnnotationForm,
    HistoryFilterForm,
    UploadForm,
    is_doctor,
    xray_day,
)
from .models import Reading, SiteValidation
from .patient_ids import patient_reference, reference_key
from .presentation import overlay_png, reading_context
from .screen import (
    ACCEPT_ATTRIBUTE,
    UploadRefused,
    body_already_parsed,
    human_size,
    max_upload_bytes,
    not_a_cxr_advice,
    refuse_oversized_body,
    screen_upload,
)

HISTORY_PAGE_SIZE = 20
HISTORY_RETURN_KEY = "screening_history_return"
COMPARE_MAX = 12  # readings side by side; more would be too narrow to compare


def _served_card():
    """(the served model's card, None), or (None, why: the ModelUnavailable) when no model can be
    loaded."""
    try:
        return get_predictor().card, None
    except ModelUnavailable as exc:
        return None, exc


def _unavailable_context(unavailable: ModelUnavailable | None) -> dict:
    """`model_missing`, and `site_calibration_unusable` (engine_text's words: title, message, why,
    fix) when the model is there but the site's own calibration cannot be used with it, or
    `model_unusable` when the model folder is damaged or incomplete."""
    problem = unavailable.site_calibration_error if unavailable is not None else None
    return {"model_missing": unavailable is not None,
            "site_calibration_unusable": engine_text.site_calibration_unusable(problem) if problem else None,
            # A folder is there but cannot be used (screen.model_unavailable): not "no model".
            "model_unusable": unavailable is not None and not problem and unavailable.reason != "not_installed"}


MAX_FILES_PER_UPLOAD = 20


def _upload_context(request, refusal: UploadRefused | None = None, form: UploadForm | None = None,
                    typed_not_kept: bool = False) -> dict:
    card, unavailable = _served_card()
    return {
        # Only a verified doctor's page has the reference fields (and speaks of references).
        "doctor": is_doctor(request.user),
        **_unavailable_context(unavailable),
        "model_card": card,
        # What the card measured on children's X-rays (its limitations), said where the upload
        # page says which X-rays read well.
        "children_read_less_reliably": bool(card) and any(
            notice.get("code") == "card_unfamiliar_errors" for notice in card.limitation_notices),
        "max_upload_bytes": max_upload_bytes(),
        "max_upload_human": human_size(max_upload_bytes()),
        "max_files": MAX_FILES_PER_UPLOAD,
        "accept": ACCEPT_ATTRIBUTE,
        "formats": presentation.accepted_formats_text(),
        "refusal": refusal,
        **_refusal_words(refusal),
        "form": form or UploadForm(),
        "typed_not_kept": typed_not_kept,
    }


def _refusal_words(refusal: UploadRefused | None) -> dict:
    """The context _refusal.html says the refusal with: its title and sentence, each once."""
    title, message = presentation.refusal_words(refusal)
    return {"refusal_title": title, "refusal_message": message}


def _refusal_html(request, refusal: UploadRefused) -> str:
    return render_to_string("screening/_refusal.html", {"refusal": refusal, **_refusal_words(refusal)},
                            request=request)


def _uploaded_files(request) -> list | None:
    """The files of the "image" field (one or several); None when there were more than Django
    parses (DATA_UPLOAD_MAX_NUMBER_FILES), which also drops the form's other fields."""
    try:
        return request.FILES.getlist("image")
    except TooManyFilesSent:
        return None


def _form_as_typed(request) -> UploadForm | None:
    """The text fields of an upload refused for its body's size, as the person filled them in,
    when Django has read the body already; else None.

    CsrfViewMiddleware reads request.POST of every form POST to find its token, so a browser's
    upload (with or without JavaScript) reaches the view parsed, and the reference typed is there
    to keep. A body that no one has parsed yet (a client without the CSRF check, or a size check
    moved before the middleware) is not parsed for it: reading a body refused for its size only to
    recover a reference would undo the refusal. The page then asks for the reference again."""
    if not body_already_parsed(request):
        return None
    return UploadForm(request.POST)


def _refuse_too_many(files: list | None) -> None:
    if files is None or len(files) > MAX_FILES_PER_UPLOAD:
        raise UploadRefused(
            code="too_many_files", status=400, title=_("Too many files"),
            message=_("Choose at most %(count)s files at a time.") % {"count": MAX_FILES_PER_UPLOAD})


def _refuse_past_the_limit(user, files: int) -> None:
    """Count the upload's `files` against the account's limit (rate_limits.UPLOAD); refuse it,
    with the seconds to wait, when it goes past: nothing is read or kept."""
    if not files:
        return  # nothing to read: the refusal for no file says so
    allowed, retry_after = rate_limits.count(user, rate_limits.UPLOAD, amount=files)
    if not allowed:
        raise UploadRefused(
            code="rate_limited", status=429, title=_("Too many uploads at once"),
            message=_("This account may send %(limit)s X-rays a minute, so nothing was read or kept. "
                      "Try again in %(seconds)s seconds, choosing the file again.")
            % {"limit": rate_limits.limit_for(rate_limits.UPLOAD), "seconds": retry_after},
            retry_after=retry_after)


def _screen_with_reference(user, uploaded, form: UploadForm) -> Reading:
    """screen_upload, then keep the reference the person typed (or the DICOM PatientID they
    opted in to): never the file's name."""
    reading = screen_upload(user, uploaded)
    reference = form.reference_for(uploaded)
    if reference:
        Reading.objects.filter(pk=reading.pk).update(patient_reference=reference)
        reading.patient_reference = reference
    return reading


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request):
    """Choose one or more X-rays; a POST screens each and shows the reading (or says why not).

    upload.js sends one file per request (a progress bar each) and asks for JSON; without
    JavaScript the form posts every chosen file at once and gets one page of results."""
    if request.method in ("GET", "HEAD"):
        return render(request, "screening/upload.html", _upload_context(request))

    wants_json = request.headers.get("x-requested-with") == "XMLHttpRequest"
    doctor = is_doctor(request.user)
    form, typed_not_kept = UploadForm(), False
    try:
        try:
            refuse_oversized_body(request)
        except UploadRefused:
            # Keep the reference typed where the body was read anyway; else say it was not kept.
            typed = _form_as_typed(request)
            if typed is None:
                typed_not_kept = doctor  # no one else's page has a reference to type
            else:
                form = typed
            raise
        files = _uploaded_files(request)
        form = UploadForm(request.POST)  # first, so a refused upload keeps the reference typed
        _refuse_too_many(files)
        if not doctor and form.asks_for_reference():
            # As the API's reference_for_doctors: refused, not dropped, so that a reference typed
            # on a page loaded while the account was a verified doctor's is never lost unseen.
            raise UploadRefused(
                code="reference_for_doctors", status=403,
                title=_("Only a verified doctor's account keeps a reference"),
                message=_("A patient reference is kept only on a verified doctor's account, so "
                          "nothing was stored: send the X-ray again without a reference."))
        if not form.is_valid():
            raise UploadRefused(code="invalid_reference", status=400, title=_("Check the reference"),
                                message=" ".join(e for errors in form.errors.values() for e in errors))
        _refuse_past_the_limit(request.user, len(files))
        if len(files) > 1:
            return _upload_many(request, files, form)
        reading = _screen_with_reference(request.user, files[0] if files else None, form)
    except UploadRefused as refusal:
        if wants_json:
            body = {"error": {"code": refusal.code, "message": refusal.message},
                    "html": _refusal_html(request, refusal)}
            response = JsonResponse(body, status=refusal.status)
        else:
            response = render(request, "screening/upload.html",
                              _upload_context(request, refusal, form, typed_not_kept=typed_not_kept),
                              status=refusal.status)
        if refusal.retry_after:
            response["Retry-After"] = str(refusal.retry_after)
        return response

    url = reverse("screening:detail", args=[reading.pk])
    if wants_json:
        # upload.js lists each file's headline with its caveat, as the reading's page gives it.
        return JsonResponse({"id": reading.pk, "redirect": url, "outcome": reading.outcome,
                             "headline": outcomes.headline(reading.outcome),
                             "label_caveat_short": presentation.label_caveat_short(reading)},
                            status=201)
    return redirect(url)


def _upload_many(request, files: list, form: UploadForm):
    """Several files of one plain form POST: stored and queued, one job per file
    (batches.py); the batch's page shows each file's progress."""
    references = [form.reference_for(uploaded) for uploaded in files]
    batch, _replayed = batches.create_batch(request.user, files, references)
    return redirect("screening:batch", pk=batch.pk)


# How often batch.js asks for the progress (live updates in place). Without JavaScript the page
# never reloads itself (a meta refresh restarted screen readers every few seconds): its reload
# link does.
BATCH_REFRESH_SECONDS = 3
# A file is read in seconds: when no file of an unfinished batch has moved for this long, the
# queue's worker is most likely stopped, and the page says so rather than wait without end.
BATCH_STALLED_SECONDS = 40 * BATCH_REFRESH_SECONDS


def _batch_refusal_words(item, doctor: bool) -> tuple[str, str]:
    """A refused file's title and sentence, said once as a single upload's box says them, in
    the reader's language (the batch kept them in English)."""
    title, message = batches.refusal_words(item, doctor)
    return presentation.refusal_words(UploadRefused(item.refusal_code, message, item.refusal_status or 422,
                                                    title, notice=item.refusal_notice))


def _batch_context(request, pk) -> dict:
    batch = get_own_batch_or_404(request, pk)
    progress = batches.status(batch, request, api=False)
    items = list(batch.items.select_related("reading"))
    doctor = is_doctor(batch.owner)
    for item in items:
        if item.reading_id:
            item.headline = outcomes.headline(item.reading.outcome)
            # As the compare page's cards: no label given bare (how often such labels were right).
            item.label_caveat_short = presentation.label_caveat_short(item.reading)
        item.refusal_shown_title, item.refusal_shown_message = _batch_refusal_words(item, doctor)
        # A file lost before it was read is kept as refused (batches.LOST_CODE), but "Refused" beside
        # it would say the picture was judged and turned down.
        item.state_shown = (_("Lost") if item.refusal_code == batches.LOST_CODE
                            else item.get_state_display())
        # The advice a single upload of the file would have given (_refusal.html).
        item.refusal_advice = not_a_cxr_advice(doctor) if item.refusal_code == "not_a_chest_xray" else ()
    finished = progress["state"] == "finished"
    last_move = max((item.updated_at for item in items), default=batch.created_at)
    stalled = not finished and (timezone.now() - last_move).total_seconds() > BATCH_STALLED_SECONDS
    return {"batch": batch, "progress": progress, "items": items, "finished": finished,
            "stalled": stalled, "stalled_minutes": BATCH_STALLED_SECONDS // 60,
            "refresh_seconds": BATCH_REFRESH_SECONDS}


@never_cache  # health data: no copies in any cache
@require_safe
def batch(request, pk):
    """One multi-file upload's progress: a row per file (queued, reading, done, refused) with
    links to the readings. batch.js polls batch_status; without JavaScript a link reloads the
    page (no automatic reload: it restarted screen readers)."""
    return render(request, "screening/batch.html", _batch_context(request, pk))


@never_cache
@require_safe
def batch_status(request, pk):
    """The batch page's progress as JSON, with the rows rendered for batch.js to put in place."""
    context = _batch_context(request, pk)
    body = dict(context["progress"])
    body["html"] = render_to_string("screening/_batch_items.html", context, request=request)
    return JsonResponse(body)


@never_cache  # health data: no copies in any cache
@require_safe
def history(request):
    doctor = is_doctor(request.user)
    filters = HistoryFilterForm(request.GET or None, doctor=doctor)
    readings = filters.filter(Reading.objects.filter(owner=request.user))
    page = Paginator(readings, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for reading in page:
        reading.headline = outcomes.headline(reading.outcome)
        classes = [label for label, _p in reading.sorted_probabilities()]
        reading.set_summary = outcomes.prediction_set_text(reading.prediction_set, classes, compact=True)
        # As the compare page's cards: no label given bare (how often such labels were right).
        reading.label_caveat_short = presentation.label_caveat_short(reading)
    # Where a deletion returns to: this list, with its filters and page (delete's `next`); not a
    # list whose filters are invalid, which would greet the deletion with their error instead.
    if filters.errors:
        request.session.pop(HISTORY_RETURN_KEY, None)
    elif request.session.get(HISTORY_RETURN_KEY) != request.get_full_path():  # saved when it changes
        request.session[HISTORY_RETURN_KEY] = request.get_full_path()
    # The list runs by the X-ray's date, so an old film uploaded now sits with its year, maybe on
    # a later page: the latest upload is named with a link wherever it is not on this page.
    latest = None
    if not filters.is_filtering():
        latest = Reading.objects.filter(owner=request.user).order_by("-created_at", "-id").first()
        if latest is not None and (not latest.taken_on or latest in page.object_list):
            latest = None
    return render(request, "screening/history.html", {
        "page": page, "filters": filters, "doctor": doctor, "latest_upload": latest,
        "filtering": filters.is_filtering(), "oldest_first": filters.oldest_first(),
        "compare_reference": _compare_reference(request.user, filters) if doctor else "",
    })


def _compare_reference(user, filters) -> str:
    """The reference the compare link opens: the patient filter when it names a reference
    exactly (any case); else none, and the link opens the list of references to choose from
    (the filter matches parts of references, the compare page whole ones). The filter's value is
    cleaned as every reference is (forms.HistoryFilterForm.clean_patient)."""
    wanted = (filters.cleaned_data.get("patient") or "") if filters.is_filtering() else ""
    if wanted and Reading.objects.filter(owner=user, patient_reference__iexact=wanted).exists():
        return wanted
    return ""


@never_cache  # health data: no copies in any cache
@require_safe
def history_csv(request):
    """The history as CSV: the same readings as the history page with the same filters and order
    (the owner's own; patient and note filters for doctors only), every page at once."""
    filters = HistoryFilterForm(request.GET or None, doctor=is_doctor(request.user))
    if filters.is_bound and not filters.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
        return HttpResponseBadRequest(_("The filters are not valid, so nothing was exported: %(problems)s")
                                      % {"problems": problems}, content_type="text/plain; charset=utf-8")
    readings = filters.filter(Reading.objects.filter(owner=request.user))
    return exports.history_csv_response(request, readings)


@never_cache  # health data: no copies in any cache
@require_safe
def compare(request):
    """A doctor's readings of one patient (by the patient reference) side by side, oldest first;
    without a reference, the doctor's references to choose from."""
    if not is_doctor(request.user):
        raise PermissionDenied
    own = Reading.objects.filter(owner=request.user).exclude(patient_reference="")
    reference = patient_reference(request.GET.get("patient"))  # as every reference is kept
    # The newest COMPARE_MAX, shown oldest first; one more is fetched to know whether any are left out.
    # By the day each X-ray was taken (a DICOM file's date), else the day it was uploaded: an old
    # film uploaded today is the older X-ray. Then by upload time.
    matched = own.filter(patient_reference__iexact=reference)
    newest = list(matched.annotate(taken=xray_day()).order_by("-taken", "-created_at", "-id")
                  [:COMPARE_MAX + 1]) if reference else []
    readings, more = newest[:COMPARE_MAX][::-1], len(newest) > COMPARE_MAX
    # The match ignores case ("MRN-9" and "mrn-9" are one patient, as in the history's filter and
    # a reading's count of the patient's readings); where the readings spell it more than one
    # way, the page names every spelling and each card its own, so that two patients whose
    # references differ only in case are not taken for one unseen.
    spellings = list(matched.values("patient_reference").annotate(count=Count("id"))
                     .order_by("patient_reference")) if readings else []
    for reading in readings:
        reading.headline = outcomes.headline(reading.outcome)
        # One class order on every card, so that the eye can run along a row.
        reading.rows = sorted(outcomes.probability_rows(reading), key=lambda row: CLASS_ORDER.index(row["label"])
                              if row["label"] in CLASS_ORDER else len(CLASS_ORDER))
        # What the reading page says of the label (how often such labels were right on
        # collections the model never saw), so that no card gives "COVID-19 99.9%" bare, and the
        # warnings of each image in words, not a count.
        reading.label_caveat_short = presentation.label_caveat_short(reading)
        reading.warning_items = presentation.image_warning_items(reading)
        reading.stored = presentation.stored_pictures(reading)
    # A caveat every card would repeat (the same label's, or the model's) is said once, above
    # the cards; the ones true of some readings only, and each image's warnings, stay on the cards.
    caveats = presentation.caveats_said_once(readings)
    # One entry per reference whatever its case, as the compare page matches it ("MRN-9" and
    # "mrn-9" are one patient there), named by one of its spellings.
    references = [] if reference else list(
        own.annotate(key=Lower("patient_reference")).values("key")
        .annotate(shown=Min("patient_reference"), count=Count("id"), latest=Max("created_at"),
                  spelt=Count("patient_reference", distinct=True))
        .order_by("-latest")[:200])
    _other_spellings(own, references)
    similar = _similar_references(own, matched, reference, references)
    return render(request, "screening/compare.html", {
        "reference": reference, "readings": readings, "references": references, "similar": similar,
        "caveats": caveats,
        "compare_max": COMPARE_MAX, "more": more, "typed_reference_max": TYPED_REFERENCE_MAX,
        # One spelling: the header names it as stored; several: the typed one, and the list.
        "shown_reference": spellings[0]["patient_reference"] if len(spellings) == 1 else reference,
        "spellings": spellings if len(spellings) > 1 else [],
    })


def _similar_references(own, matched, reference: str, references: list[dict]) -> list[dict]:
    """References that differ from `reference`, or in the list from each other, only in spaces or
    punctuation ("RM 001234" and "RM-001234"): likely one patient filed two ways, never merged
    (two patients may differ by a hyphen) but named, so that the doctor can check.

    With a reference: the look-alikes of it outside its `matched` readings (`shown` spelling,
    reading `count`), for the page to name, also when no reading has the typed one. Without: each
    entry of `references` gets its look-alikes among all the doctor's references as `similar`.
    The comparison runs here because SQLite has no regular expressions to strip punctuation
    with; the keys are the database's own Lower(), as in the list, so that a group is never
    taken for a look-alike of itself."""
    lower = Lower("patient_reference")
    by_key: dict[str, list[dict]] = {}
    for group in (own.annotate(key=lower).values("key")
                  .annotate(shown=Min("patient_reference"), count=Count("id")).order_by("key")):
        if key := reference_key(group["key"]):  # "---" resembles nothing
            by_key.setdefault(key, []).append(group)
    if reference:
        compared = set(matched.annotate(key=lower).values_list("key", flat=True))
        return [group for group in by_key.get(reference_key(reference), []) if group["key"] not in compared]
    for row in references:
        row["similar"] = [group["shown"] for group in by_key.get(reference_key(row["key"]), [])
                          if group["key"] != row["key"]]
    return []


def _other_spellings(own, references: list[dict]) -> None:
    """Give each entry of the compare page's list of references that its readings spell in more
    than one way (`spelt` > 1) its other spellings (`others`), in one query."""
    keys = [row["key"] for row in references if row["spelt"] > 1]
    if not keys:
        return
    found: dict[str, list[str]] = {}
    for key, spelling in (own.annotate(key=Lower("patient_reference")).filter(key__in=keys)
                          .values_list("key", "patient_reference").distinct().order_by("patient_reference")):
        found.setdefault(key, []).append(spelling)
    for row in references:
        row["others"] = [s for s in found.get(row["key"], []) if s != row["shown"]]


@never_cache  # health data: no copies in any cache
@require_safe
def detail(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    context = _detail_context(request, reading)
    if context["doctor"]:
        context["annotation_form"] = AnnotationForm(instance=reading)
    return render(request, "screening/detail.html", context)


def _detail_context(request, reading: Reading) -> dict:
    context = reading_context(reading)
    context["doctor"] = is_doctor(request.user)
    if context["doctor"] and reading.patient_reference:
        context["same_patient_count"] = Reading.objects.filter(
            owner=request.user, patient_reference__iexact=reading.patient_reference).count()
    # A reading of a PACS study (webapp.pacs) names its examination: the site account's readings
    # are otherwise a list of X-rays told apart only by the patient ID.
    study = getattr(reading, "pacs_study", None)
    if study is not None:
        try:
            study_date = datetime.datetime.strptime(study.study_date, "%Y%m%d").date()
        except ValueError:
            study_date = None
        context.update(pacs_study=study, pacs_study_date=study_date)
    context["notes_anchor"] = NOTES_ANCHOR
    return context


NOTES_ANCHOR = "your-notes"  # the id of the reading page's notes section (detail.html's notes_anchor)


@require_POST
def annotate(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    if not is_doctor(request.user):
        raise PermissionDenied
    form = AnnotationForm(request.POST, instance=reading)
    if form.is_valid():
        form.save()
        # Said beside the form, where the page comes back to (NOTES_ANCHOR): at the page's top, a
        # phone user who saved at the bottom of a long page was sent up past the reading.
        messages.success(request, _("Patient reference and note saved."), extra_tags=f"in-place {NOTES_ANCHOR}")
        return redirect(f"{reverse('screening:detail', args=[reading.pk])}#{NOTES_ANCHOR}")
    context = _detail_context(request, reading)
    context["annotation_form"] = form
    return render(request, "screening/detail.html", context, status=400)


def _history_return(request) -> str:
    """The history list to go back to after a deletion: the `next` asked for, else the list
    this session last showed (its filters and page), when it is a history URL of this site;
    else the history's first page. The reading's own page is gone by then."""
    history_url = reverse("screening:history")
    for wanted in (request.POST.get("next") or request.GET.get("next"),
                   request.session.get(HISTORY_RETURN_KEY)):
        if (wanted and wanted.split("?")[0] == history_url and url_has_allowed_host_and_scheme(
                wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
            return wanted
    return history_url


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    back = _history_return(request)
    if request.method == "POST":
        storage.delete_reading(reading)
        messages.success(request, _("The reading and its images were deleted."))
        return redirect(back)
    return render(request, "screening/delete.html", {
        "reading": reading, "headline": outcomes.headline(reading.outcome), "next": back,
    })


@require_safe
def original_image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).original_path)


@require_safe
def thumbnail_image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).thumbnail_path)


@require_safe
def heatmap_image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).heatmap_path)


@require_safe
def overlay_image(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    with stored_images_present():
        return private_png_bytes(overlay_png(reading))


@require_safe
def report(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    context = reading_context(reading)
    context["shows_reference"] = report_pdf.shows_reference(reading)
    response = render(request, "screening/report.html", context)
    return private_headers(response)


@require_safe
def report_pdf_view(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    # Drawing a PDF takes a worker about a second: counted per account (rate_limits.PDF_REPORT).
    allowed, retry_after = rate_limits.count(request.user, rate_limits.PDF_REPORT)
    if not allowed:
        response = render(request, "screening/report_pdf_wait.html", {
            "reading": reading, "seconds": retry_after,
            "limit": rate_limits.limit_for(rate_limits.PDF_REPORT)}, status=429)
        response["Retry-After"] = str(retry_after)
        return private_headers(response)
    return report_pdf.response(reading, request)  # a lost picture is said in words in it


# --- site validation (administrators only) ----------------------------------------------------

def _staff_only(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


def _site_validation_context(problems=None) -> dict:
    card, unavailable = _served_card()
    return {
        **_unavailable_context(unavailable),
        "model_card": card,
        "has_trust": bool(card and card.trust),
        "comparison": site_validation.card_comparison(card),
        "classes": list(card.classes) if card else [],
        "max_files": site_validation.max_files(),
        "max_file_human": human_size(site_validation.max_file_bytes()),
        "max_total_human": human_size(site_validation.max_total_bytes()),
        "accept": ACCEPT_ATTRIBUTE,
        "problems": problems or [],
        "validations": site_validation.latest(10),
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def site_validation_page(request):
    """An administrator checks the model on this site's own labelled X-rays."""
    _staff_only(request)
    if request.method in ("GET", "HEAD"):
        return render(request, "screening/site_validation.html", _site_validation_context())
    try:
        images, labels = request.FILES.getlist("images"), request.FILES.get("labels")
    except TooManyFilesSent:
        refused = site_validation.ValidationRefused([site_validation.too_many_files()], status=400)
    except RequestDataTooBig:
        refused = site_validation.ValidationRefused([_("The upload is too large.")], status=413)
    else:
        try:
            validation = site_validation.run(request.user, images, labels)
        except site_validation.ValidationRefused as exc:
            refused = exc
        else:
            return redirect("screening:site_validation_detail", pk=validation.pk)
    return render(request, "screening/site_validation.html",
                  _site_validation_context(refused.problems), status=refused.status)


@never_cache
@require_safe
def site_validation_detail(request, pk: int):
    _staff_only(request)
    validation = get_object_or_404(SiteValidation, pk=pk)
    if request.GET.get("download") == "cases":  # the per-case list, as validate-site's cases.csv
        return site_validation.cases_csv_response(validation)
    report = validation.report
    card_names = outcomes.CLASS_NAMES
    per_class = [
        {"name": str(card_names.get(name, name)), "cases": values.get("cases"),
         "sensitivity": site_validation.estimate(values.get("sensitivity")),
         "specificity": site_validation.estimate(values.get("specificity"))}
        for name, values in (report.get("per_class") or {}).items()
    ]
    refusal_check = report.get("refusal_check") or {}
    return render(request, "screening/site_validation_detail.html", {
        "validation": validation,
        "summary": site_validation.summary(validation),
        "report": report,
        "set_coverage": site_validation.estimate(report.get("set_coverage")),
        "refused_share": site_validation.estimate(report.get("refused_share")),
        "calibration_fitted": engine_text.calibration_date(str((report.get("site_calibration") or {}).get("fitted_at", ""))),
        "refusal_code": refusal_check.get("code", ""),
        "refusal_text": site_validation.refusal_text(validation),
        "refusal_budget": site_validation.percent((refusal_check.get("params") or {}).get("budget"), 0),
        "per_class": per_class,
        "calibration": site_validation.calibration_plot(report),
        "card_column": site_validation.card_column(report),
        "top_class_accuracy": site_validation.estimate(report.get("top_class_accuracy")),
        "cases_needed": site_validation.cases_needed(report),
        "disclaimer": outcomes.DISCLAIMER,
    })
