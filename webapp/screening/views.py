"""Pages of the screening flow: upload, reading, history, delete, report, images, and the
administrators' site validation (the API key page is api_keys.py).

Every view that takes a reading id goes through access.get_own_reading_or_404.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import outcomes, report_pdf, site_validation, storage
from .access import get_own_reading_or_404, private_headers, private_png_bytes, private_png_file
from .engine import ModelUnavailable, get_predictor
from .forms import AnnotationForm, HistoryFilterForm, is_doctor
from .models import Reading, SiteValidation
from .presentation import overlay_png, reading_context
from .screen import (
    ACCEPT_ATTRIBUTE,
    UploadRefused,
    human_size,
    max_upload_bytes,
    refuse_oversized_body,
    screen_upload,
)

HISTORY_PAGE_SIZE = 20


def _served_card():
    """(the served model's card, False), or (None, True) when no model can be loaded."""
    try:
        return get_predictor().card, False
    except ModelUnavailable:
        return None, True


def _upload_context(refusal: UploadRefused | None = None) -> dict:
    card, model_missing = _served_card()
    return {
        "model_missing": model_missing,
        "model_card": card,
        "max_upload_bytes": max_upload_bytes(),
        "max_upload_human": human_size(max_upload_bytes()),
        "accept": ACCEPT_ATTRIBUTE,
        "refusal": refusal,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def upload(request):
    """Choose an X-ray; a POST screens it and shows the reading (or says why not)."""
    if request.method == "GET":
        return render(request, "screening/upload.html", _upload_context())

    # upload.js asks for JSON so it can show progress and stay on the page on errors.
    wants_json = request.headers.get("x-requested-with") == "XMLHttpRequest"
    try:
        refuse_oversized_body(request)
        reading = screen_upload(request.user, request.FILES.get("image"))
    except UploadRefused as refusal:
        if wants_json:
            html = render_to_string("screening/_refusal.html", {"refusal": refusal}, request=request)
            body = {"error": {"code": refusal.code, "message": refusal.message}, "html": html}
            return JsonResponse(body, status=refusal.status)
        return render(request, "screening/upload.html", _upload_context(refusal), status=refusal.status)

    url = reverse("screening:detail", args=[reading.pk])
    if wants_json:
        return JsonResponse({"id": reading.pk, "redirect": url}, status=201)
    return redirect(url)


@never_cache  # health data: no copies in any cache
@require_GET
def history(request):
    doctor = is_doctor(request.user)
    filters = HistoryFilterForm(request.GET or None, doctor=doctor)
    readings = filters.filter(Reading.objects.filter(owner=request.user))
    page = Paginator(readings, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for reading in page:
        reading.headline = outcomes.headline(reading.outcome)
        classes = [label for label, _p in reading.sorted_probabilities()]
        reading.set_summary = outcomes.prediction_set_text(reading.prediction_set, classes, compact=True)
    return render(request, "screening/history.html", {
        "page": page, "filters": filters, "doctor": doctor,
        "filtering": filters.is_filtering(),
    })


@never_cache  # health data: no copies in any cache
@require_GET
def detail(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    context = reading_context(reading)
    context["doctor"] = is_doctor(request.user)
    if context["doctor"]:
        context["annotation_form"] = AnnotationForm(instance=reading)
    return render(request, "screening/detail.html", context)


@require_POST
def annotate(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    if not is_doctor(request.user):
        raise PermissionDenied
    form = AnnotationForm(request.POST, instance=reading)
    if form.is_valid():
        form.save()
        messages.success(request, _("Patient reference and note saved."))
        return redirect("screening:detail", pk=reading.pk)
    context = reading_context(reading)
    context.update(doctor=True, annotation_form=form)
    return render(request, "screening/detail.html", context, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def delete(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    if request.method == "POST":
        storage.delete_reading(reading)
        messages.success(request, _("The reading and its images were deleted."))
        return redirect("screening:history")
    return render(request, "screening/delete.html", {
        "reading": reading, "headline": outcomes.headline(reading.outcome),
    })


@require_GET
def original_image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).original_path)


@require_GET
def thumbnail_image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).thumbnail_path)


@require_GET
def heatmap_image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).heatmap_path)


@require_GET
def overlay_image(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    return private_png_bytes(overlay_png(reading))


@require_GET
def report(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    response = render(request, "screening/report.html", reading_context(reading))
    return private_headers(response)


@require_GET
def report_pdf_view(request, pk: int):
    return report_pdf.response(get_own_reading_or_404(request, pk))


# --- site validation (administrators only) ----------------------------------------------------

def _staff_only(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


def _site_validation_context(problems=None) -> dict:
    card, model_missing = _served_card()
    return {
        "model_missing": model_missing,
        "model_card": card,
        "has_trust": bool(card and card.trust),
        "classes": list(card.classes) if card else [],
        "max_files": site_validation.max_files(),
        "max_file_human": human_size(site_validation.max_file_bytes()),
        "max_total_human": human_size(site_validation.max_total_bytes()),
        "accept": ACCEPT_ATTRIBUTE,
        "problems": problems or [],
        "validations": site_validation.latest(10),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def site_validation_page(request):
    """An administrator checks the model on this site's own labelled X-rays."""
    _staff_only(request)
    if request.method == "GET":
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
@require_GET
def site_validation_detail(request, pk: int):
    _staff_only(request)
    validation = get_object_or_404(SiteValidation, pk=pk)
    report = validation.report
    card_names = outcomes.CLASS_NAMES
    per_class = [
        {"name": str(card_names.get(name, name)), "cases": values.get("cases"),
         "sensitivity": site_validation.estimate(values.get("sensitivity")),
         "specificity": site_validation.estimate(values.get("specificity"))}
        for name, values in (report.get("per_class") or {}).items()
    ]
    card = report.get("card") or {}
    return render(request, "screening/site_validation_detail.html", {
        "validation": validation,
        "summary": site_validation.summary(validation),
        "report": report,
        "set_coverage": site_validation.estimate(report.get("set_coverage")),
        "per_class": per_class,
        "card_accuracy": site_validation.percent(card.get("labelled_accuracy")),
        "card_coverage": site_validation.percent(card.get("coverage")),
        "target": site_validation.percent(card.get("target_accuracy"), 0),
        "cases_needed": [(key.removeprefix("+/-"), n) for key, n in (report.get("cases_needed") or {}).items()],
        "disclaimer": outcomes.DISCLAIMER,
    })
