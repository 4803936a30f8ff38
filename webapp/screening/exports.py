"""The history as a CSV file (one row per reading), for a spreadsheet or another program.

Columns are stable, English and machine-readable (codes, ISO 8601 times with their offset,
probabilities as 0..1 with a dot); the `result` and `warning_messages` columns say the outcome and
the warnings in the reader's language, as the reading page does, so a spreadsheet keeps each
label's caveat ("Treat with caution: on X-rays from hospitals it did not learn from, a model
trained the same way was right N% of the time (95% CI L-H%), compared with P% on new patients of
the hospitals it learned from.", with the card's numbers: `engine_text.py`) beside it.
Text a person typed is defused for spreadsheets: a cell that would start with = + - @ (a formula
to Excel or LibreOffice) starts with an apostrophe instead.

Every row ends with `disclaimer`: that the reading is a screening aid, not a diagnosis (a
clinician and an RT-PCR test decide), in the reader's language, the words of the reading page,
the PDF and the API's field of that name. A column rather than a line above the header: the
header stays the first line, so `csv.DictReader`, pandas and a spreadsheet's "first row is
headers" read the file unchanged, and the statement stays with each row that is sorted,
filtered or copied elsewhere. It comes last, so columns read by position keep their place.
"""
from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from . import outcomes, presentation
from .access import private_headers

CLASS_ORDER = ("covid", "pneumonia", "normal")
COLUMNS = (
    "id", "created_at", "outcome", "result", "label", *(f"p_{name}" for name in CLASS_ORDER),
    "prediction_set", "warnings", "patient_reference", "note", "model_version", "source_format",
    "image_width", "image_height", "url", "warning_messages",
    # Added after the others (2.4.0): a program that reads columns by position keeps working.
    "taken_on", "disclaimer",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """Text safe to open in a spreadsheet: never read as a formula."""
    text = str(text or "")
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def row(request, reading) -> list:
    probabilities = reading.probabilities or {}
    warnings = [w.get("code") or "" for w in reading.warnings or [] if isinstance(w, dict)]
    return [
        reading.pk,
        timezone.localtime(reading.created_at).isoformat(timespec="seconds"),
        reading.outcome,
        defuse(outcomes.headline(reading.outcome)),
        reading.label or "",
        *("" if probabilities.get(name) is None else f"{float(probabilities[name]):.4f}" for name in CLASS_ORDER),
        "" if reading.prediction_set is None else "|".join(reading.prediction_set),
        "|".join(code for code in warnings if code),
        defuse(reading.patient_reference),
        defuse(reading.note),
        defuse(reading.model_version),
        reading.source_format,
        reading.image_width,
        reading.image_height,
        request.build_absolute_uri(reverse("screening:detail", args=[reading.pk])),
        defuse(" | ".join(presentation.warning_texts(reading))),
        reading.taken_on.isoformat() if reading.taken_on else "",
        str(outcomes.DISCLAIMER),
    ]


def history_csv_response(request, readings) -> HttpResponse:
    """`readings` (already the owner's own, filtered) as a private CSV download, UTF-8 with a
    byte-order mark so that spreadsheet programs read accented references right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for reading in readings.iterator(chunk_size=500):
        writer.writerow(row(request, reading))
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="cxr-readings-{stamp}.csv"'
    return private_headers(response)
