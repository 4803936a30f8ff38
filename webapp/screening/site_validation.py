"""Site validation in the web app: an administrator uploads labelled local X-rays and gets the
report of cxr.inference.site_check, read with the served Predictor.

Upload format: several X-ray files (PNG, JPEG, TIFF, BMP or DICOM) in one form field, and a labels CSV with
the columns `file` (the uploaded file's name) and `label` (covid, pneumonia or normal: the
diagnosis established independently of this model). Every uploaded file must be listed and every
listed file uploaded, so a mistake is found before anything is read.

Labels may be spelt as `cxr data import` and `cxr validate-site` accept them (COVID-19, Viral
Pneumonia, healthy...: cxr.labels.class_label, one mapping for all three).

The images live only for the request (Django keeps small files in memory and larger ones in a
temporary file it deletes at the end); only the counts, the report and the verdict are stored
(models.SiteValidation), the report with one small row per case (`per_case`: the file's name,
its known class and what the model said, no image) so that the report's page offers the same
per-case list as the command line's cases.csv. Any bad input refuses the whole run with every
problem named, and nothing is stored: a partial report would describe a different set of cases.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .engine import ModelUnavailable, get_predictor
from .models import SiteValidation
from .outcomes import percent_text
from .screen import human_size

# The labels CSV is a list of names: 1 MB holds tens of thousands of rows.
MAX_LABELS_BYTES = 1024 * 1024
# Problems listed by name before "and N more".
MAX_LISTED_PROBLEMS = 20

VERDICT_TITLES = {
    "consistent_with_card": gettext_lazy("Consistent with the model card"),
    "not_validated": gettext_lazy("Not validated for use at this site"),
    "inconclusive": gettext_lazy("Inconclusive"),
    "too_few_cases": gettext_lazy("Too few cases to judge"),
}


def max_files() -> int:
    """X-rays per run: Django's limit on files in one request (DATA_UPLOAD_MAX_NUMBER_FILES),
    less one for the labels file. Django refuses a request over its limit before any view runs
    (the 400 page says what to do); one over ours gets this page's own message."""
    return max(1, int(getattr(settings, "DATA_UPLOAD_MAX_NUMBER_FILES", None) or 100) - 1)


def max_file_bytes() -> int:
    """Per image: the same limit as a screening upload (MAX_UPLOAD_BYTES)."""
    return int(settings.MAX_UPLOAD_BYTES)


def max_total_bytes() -> int:
    """All images together: SITE_VALIDATION_MAX_BYTES, else eight single uploads."""
    return int(getattr(settings, "SITE_VALIDATION_MAX_BYTES", 0) or 8 * max_file_bytes())


@dataclass
class ValidationRefused(Exception):
    """Why a run produced no report: every problem found, in plain words."""

    problems: list[str] = field(default_factory=list)
    status: int = 400

    def __str__(self) -> str:
        return "; ".join(self.problems)


def _listed(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    rest = len(problems) - MAX_LISTED_PROBLEMS
    more = _("… and %(count)s more.") % {"count": number_format(rest, force_grouping=True)}
    return problems[:MAX_LISTED_PROBLEMS] + [more]


def read_labels(labels_file, classes: list[str]) -> tuple[list[tuple[str, str]], set[str], list[str]]:
    """(file name, label) rows of the uploaded CSV that are right, every file name it lists, and
    the problems of its other lines. ValidationRefused when it cannot be read as such a CSV. Read
    as `cxr validate-site` reads its labels (cxr.inference.site_check.read_labels_csv: a comma,
    semicolon or tab between the columns, their names in any case, Windows paths), of which the
    page keeps each file's name: the uploads carry no folders."""
    from cxr.inference.site_check import LabelsFileError, read_labels_csv

    if labels_file is None:
        raise ValidationRefused([_("Choose the labels file (a CSV with the columns file,label).")])
    if labels_file.size > MAX_LABELS_BYTES:
        raise ValidationRefused([_("The labels file is %(size)s; the limit is %(limit)s.") % {
            "size": human_size(labels_file.size), "limit": human_size(MAX_LABELS_BYTES)}])
    data = labels_file.read()
    if not data.decode("utf-8-sig", errors="replace").strip():  # nothing, blank lines, a lone BOM
        raise ValidationRefused([_("The labels file is empty.")])
    try:
        label_rows = read_labels_csv(data)
    except LabelsFileError as exc:
        if exc.code == "not_utf8":
            problem = _("The labels file is not a text (UTF-8) CSV file.")
        elif exc.code == "no_columns":
            problem = _("The labels file needs the columns file and label in its first line; it has: "
                        "%(columns)s.") % {"columns": ", ".join(exc.params["columns"]) or "—"}
        else:  # a stray quote, a field over the csv module's size limit
            problem = _("The labels file is not a CSV file this page can read: line %(line)s: "
                        "%(problem)s.") % exc.params
        raise ValidationRefused([problem]) from None
    rows, listed, problems = [], [], []
    for row in label_rows:
        name = PurePath(row.file).name
        if name:
            listed.append(name)
        if not name:
            problems.append(_("Line %(line)s: no file name.") % {"line": row.line})
        elif row.truth not in classes:  # COVID-19, Viral Pneumonia...: cxr.labels.class_label's spellings
            problems.append(_("Line %(line)s: the label “%(label)s” of %(file)s is not one of: "
                              "%(classes)s (or a spelling of one such as COVID-19 or Viral Pneumonia).") % {
                "line": row.line, "label": row.label, "file": name, "classes": ", ".join(classes)})
        else:
            rows.append((name, row.truth))
    if not listed and not problems:
        raise ValidationRefused([_("The labels file lists no files.")])
    repeated = sorted(name for name, count in Counter(listed).items() if count > 1)
    problems += [_("%(file)s is listed more than once in the labels file.") % {"file": name}
                 for name in repeated]
    return rows, set(listed), problems


def check_images(images: list) -> dict:
    """{file name: uploaded file}; ValidationRefused for no, too many, too large or repeated files."""
    if not images:
        raise ValidationRefused([_("Choose the X-ray files to check.")])
    if len(images) > max_files():
        raise ValidationRefused([too_many_files()])
    problems = [
        _("%(file)s is %(size)s; the limit per file is %(limit)s.") % {
            "file": f.name, "size": human_size(f.size), "limit": human_size(max_file_bytes())}
        for f in images if f.size > max_file_bytes()
    ]
    total = sum(f.size for f in images)
    if total > max_total_bytes():
        problems.append(_("The files add up to %(size)s; the limit for one check is %(limit)s. Check "
                          "the X-rays in several smaller runs.") % {
                              "size": human_size(total), "limit": human_size(max_total_bytes())})
    by_name: dict[str, object] = {}
    for f in images:
        name = PurePath(f.name or "").name
        if name in by_name:
            problems.append(_("Two uploaded files are called %(file)s.") % {"file": name})
        by_name[name] = f
    if problems:
        raise ValidationRefused(_listed(problems))
    return by_name


def too_many_files() -> str:
    return _("At most %(count)s X-ray files can be checked at once. Check the X-rays in several "
             "smaller runs.") % {"count": number_format(max_files(), force_grouping=True)}


def unmatched(listed: set[str], files: dict) -> list[str]:
    """Problems of names that do not pair up between the labels file and the uploaded files. Names
    are matched exactly, as `cxr validate-site` finds them on a server's disk; a pair that differs
    only in case (COV-000.PNG listed by a Windows export, cov-000.png uploaded) is one problem that
    says so, not one "not uploaded" and one "not listed"."""
    missing = [name for name in sorted(listed) if name not in files]
    extra = [name for name in files if name not in listed]
    extra_by_case = {name.casefold(): name for name in extra}
    problems, paired = [], set()
    for name in missing:
        twin = extra_by_case.get(name.casefold())
        if twin is not None and twin not in paired:
            paired.add(twin)
            problems.append(_("The labels file lists %(listed)s and the uploaded file is called "
                              "%(file)s: the names differ only in upper and lower case. Write the "
                              "name in the labels file as the file is named.") % {"listed": name, "file": twin})
        else:
            problems.append(_("%(file)s is listed in the labels file but was not uploaded.") % {"file": name})
    problems += [_("%(file)s was uploaded but is not listed in the labels file.") % {"file": name}
                 for name in extra if name not in paired]
    return problems


def run(user, images: list, labels_file) -> SiteValidation:
    """Check, read every X-ray with the served model, judge, store; raise ValidationRefused."""
    try:
        predictor = get_predictor()
    except ModelUnavailable:
        raise ValidationRefused([_("This server has no screening model installed, so there is "
                                   "nothing to check.")], status=503) from None
    from cxr.inference import ImageError
    from cxr.inference.site_check import SiteCase, card_figures, site_report

    classes = list(predictor.classes)
    files = check_images(images)
    rows, listed, problems = read_labels(labels_file, classes)
    problems += unmatched(listed, files)
    if problems:  # every problem of the labels file and the names at once
        raise ValidationRefused(_listed(problems))
    pairs = [(files[name], label) for name, label in rows]
    cases, per_case = [], []
    for uploaded, truth in pairs:
        try:
            prediction = predictor.predict(uploaded.read())
        except ImageError as exc:
            from . import engine_text

            # Only staff use this page: the engine's advice is worded for someone at the imaging
            # system (export from the PACS), never a patient's ("ask the clinic"). The reason is
            # sentences of its own ("The file is empty."), so it follows a full stop, not a colon.
            problems.append(_("%(file)s cannot be read as an X-ray. %(reason)s") % {
                "file": PurePath(uploaded.name).name,
                "reason": engine_text.notice_text(getattr(exc, "message", "") or str(exc), doctor=True)})
            continue
        # A refused X-ray ("not a chest X-ray") counts as refused, not read: no probabilities.
        cases.append(SiteCase(truth, prediction.label, prediction.rejected,
                              {} if prediction.rejected else dict(prediction.probabilities),
                              None if prediction.prediction_set is None else list(prediction.prediction_set)))
        per_case.append(case_record(PurePath(uploaded.name).name, truth, prediction, classes))
    if problems:
        # The page adds "Nothing was stored." under every list of problems.
        problems.append(_("Remove these files or export them again (PNG, JPEG, TIFF, BMP or DICOM), then "
                          "upload everything again."))
        raise ValidationRefused(_listed(problems[:-1]) + problems[-1:], status=422)
    # The card's figures as `cxr validate-site` reads them (site_check.card_figures).
    report = site_report(cases, classes, **card_figures(predictor.card))
    # The classes in the model's order with the rows: PostgreSQL's jsonb keeps no key order.
    report["per_case"] = {"classes": classes, "cases": per_case}
    if predictor.site:  # these readings went through the site's own calibration: the report says so
        report["site_calibration"] = {"cases": predictor.site.cases, "fitted_at": predictor.site.fitted_at,
                                      "site": predictor.site.site}
    return SiteValidation.objects.create(
        run_by=user, model_version=predictor.version or "", cases=report["cases"], read=report["read"],
        refused=report["refused"], labelled=report["labelled"], right=report["right"], report=report,
        verdict_code=report["verdict"]["code"], verdict_text=report["verdict"]["text"],
    )


# --- the verdict and the numbers in the reader's language -------------------------------------

def percent(share, digits: int = 1) -> str:
    """A share (0.9) as a percentage the reader's way (outcomes.percent_text); "—" for none."""
    return percent_text(100 * share, digits) if isinstance(share, int | float) else "—"


def cases_needed(report: dict) -> list[tuple[str, int]]:
    """(half-width as a percentage in the reader's number format, cases) from the report's
    {"+/-0.10": 97, ...}, widest first: the rest of the page speaks in percentages, not
    fractions, and PostgreSQL's jsonb keeps keys in its own order, not the report's."""
    rows = []
    for key, cases in (report.get("cases_needed") or {}).items():
        try:
            width = float(key.removeprefix("+/-"))
        except ValueError:
            continue  # not a width this page can state
        rows.append((width, cases))
    return [(percent(width, 0), cases) for width, cases in sorted(rows, reverse=True)]


def estimate(proportion: dict | None) -> dict:
    """{"value": "91.2%", "ci": "85.0% – 95.1%", "n": 120} of a report proportion."""
    proportion = proportion or {}
    lo, hi = (proportion.get("ci95") or [None, None])[:2]
    return {"value": percent(proportion.get("value")),
            "ci": f"{percent(lo)} – {percent(hi)}" if lo is not None and hi is not None else "",
            "n": proportion.get("n")}


def verdict_title(code: str) -> str:
    return str(VERDICT_TITLES.get(code, code))


# How the report names the model card's splits (cxr.inference.site_check.SPLIT_WORDS), and what
# every verdict says to do next (site_check.NOT_VALIDATED_NEXT, CONSISTENT_NEXT), in the reader's
# language; a test keeps the English equal to the report's.
SPLIT_WORDS = {
    "patient": gettext_lazy("new patients of the collections it was trained on (its patient split)"),
    "random": gettext_lazy("X-rays of the collections it was trained on (its random split)"),
    "source": gettext_lazy("collections it never saw (a model trained the same way without them)"),
}
NOT_VALIDATED_NEXT = gettext_lazy(
    "Do not rely on its readings here: the per-class figures show which classes it misses. Calibrating "
    "it on this site's own X-rays can make its stated chances honest here; it cannot make it tell the "
    "classes apart better.")
CONSISTENT_NEXT = gettext_lazy(
    "It remains a screening aid: a clinician and an RT-PCR test decide. Check again with new cases when "
    "the X-ray equipment, its export settings or the patients change.")


def verdict_text(validation: SiteValidation) -> str:
    """The verdict sentence in the active language, from the code and the stored numbers
    (cxr.inference.site_check.verdict): what the numbers say and what to do next. A card without
    an out-of-source fit is judged by its accuracy on new patients of its training collections
    (`measure` "top_class_accuracy"); otherwise by the site's labelled readings. The stored
    English text when the numbers are not ones this page knows."""
    report = validation.report or {}
    params = (report.get("verdict") or {}).get("params") or {}
    code = validation.verdict_code
    if params.get("measure") == "top_class_accuracy":
        return _top_class_verdict_text(code, params) or validation.verdict_text
    if code == "too_few_cases" and "n" in params:
        minimum = params.get("minimum", 30)
        return _("Not enough cases to judge: %(n)s labelled readings; at least %(minimum)s are needed, a few "
                 "hundred for a useful interval. Add at least %(more)s more labelled readings (more X-rays "
                 "than that: the model labels only some) and run the check again.") % {
            "n": params["n"], "minimum": minimum, "more": max(0, minimum - params["n"])}
    if not {"n", "value", "lo", "hi"} <= set(params):
        return validation.verdict_text
    observed = _("labelled readings right %(value)s (95%% CI %(lo)s – %(hi)s, %(n)s readings)") % {
        "value": percent(params["value"]), "lo": percent(params["lo"]), "hi": percent(params["hi"]),
        "n": params["n"]}
    bar = percent(params.get("bar"), 0)
    if code == "not_validated":
        return _("Not validated for use at this site: %(observed)s, below the %(bar)s the model card states "
                 "for hospitals it never saw. %(next)s") % {
            "observed": observed, "bar": bar, "next": NOT_VALIDATED_NEXT}
    if code == "consistent_with_card":
        return _("Consistent with the model card at this site: %(observed)s, at or above its %(bar)s target. "
                 "%(next)s") % {"observed": observed, "bar": bar, "next": CONSISTENT_NEXT}
    if code == "inconclusive" and params.get("bar") is None:
        if "cases_to_decide" not in params:  # stored before cards were judged by their splits
            return _("The model card has no out-of-source figure for labelled readings to compare with; "
                     "%(observed)s.") % {"observed": observed}
        return _("The model card has no out-of-source figure for labelled readings, and no accuracy of any "
                 "split, to compare with; %(observed)s. Judge these numbers against what your service needs; "
                 "the cases a tighter interval needs are given with them.") % {"observed": observed}
    if code == "inconclusive":
        needed = (params["cases_to_decide"] if "cases_to_decide" in params
                  else _labelled_cases_to_decide(params, report.get("card") or {}))
        return _("Inconclusive: %(observed)s; the interval includes the %(bar)s target. %(decide)s") % {
            "observed": observed, "bar": bar, "decide": _decide_text(params["value"], params["n"], needed, True)}
    return validation.verdict_text


def _labelled_cases_to_decide(params: dict, card: dict) -> int | None:
    """For a report stored before the verdict said it: how many labelled readings in all would decide
    an inconclusive verdict, by the rule the report uses now (site_check.verdict)."""
    from cxr.inference.site_check import cases_to_decide

    value, bar = params["value"], params.get("bar")
    if bar is None:
        return None
    if value > bar:
        return cases_to_decide(value, bar, above=True)
    compare = card.get("labelled_accuracy")
    return cases_to_decide(value, bar if compare is None else compare, above=False)


def _decide_text(value: float, n: int, needed: int | None, labelled: bool) -> str:
    """What an inconclusive verdict asks of the site (site_check._decide_text)."""
    from cxr.inference.site_check import MAX_CASES_TO_DECIDE

    if needed is None:
        return _("At %(value)s the accuracy here is too close to that figure for more cases to decide it "
                 "(not even %(limit)s would): treat the model as not checked at this site.") % {
            "value": percent(value), "limit": number_format(MAX_CASES_TO_DECIDE, force_grouping=True)}
    numbers = {"value": percent(value), "needed": needed, "more": max(0, needed - n)}
    if labelled:
        return _("If it stays at %(value)s, about %(needed)s labelled readings in all (%(more)s more) would "
                 "decide it; until then, treat the model as not checked at this site.") % numbers
    return _("If it stays at %(value)s, about %(needed)s read X-rays in all (%(more)s more) would decide it; "
             "until then, treat the model as not checked at this site.") % numbers


def _top_class_verdict_text(code: str, params: dict) -> str:
    """The verdict for a card without an out-of-source fit (site_check._top_class_verdict): the
    site's most likely class against the card's accuracy on new patients of its training
    collections, with its accuracy on collections it never saw beside it. "" for numbers this page
    does not know."""
    if not {"read", "bar", "split"} <= set(params) or params["split"] not in SPLIT_WORDS:
        return ""
    unseen = params.get("unseen")
    if unseen is None:
        basis = _("The model card has no out-of-source figure for labelled readings, so the most likely class "
                  "of every read X-ray is compared with its accuracy on new patients of the collections it "
                  "was trained on.")
    elif params.get("unseen_lo") is None or params.get("unseen_hi") is None:
        basis = _("The model card has no out-of-source figure for labelled readings, so the most likely class "
                  "of every read X-ray is compared with its accuracy on new patients of the collections it "
                  "was trained on; on collections it never saw, a model trained the same way was right "
                  "%(unseen)s.") % {"unseen": percent(unseen)}
    else:
        basis = _("The model card has no out-of-source figure for labelled readings, so the most likely class "
                  "of every read X-ray is compared with its accuracy on new patients of the collections it "
                  "was trained on; on collections it never saw, a model trained the same way was right "
                  "%(unseen)s (95%% CI %(lo)s – %(hi)s).") % {
            "unseen": percent(unseen), "lo": percent(params["unseen_lo"]), "hi": percent(params["unseen_hi"])}
    read, minimum = params["read"], params.get("minimum", 30)
    if code == "too_few_cases":
        return _("Not enough cases to judge: %(read)s X-rays read; at least %(minimum)s are needed (%(more)s "
                 "more), a few hundred for a useful interval. %(basis)s") % {
            "read": read, "minimum": minimum, "more": max(0, minimum - read), "basis": basis}
    if not {"share", "share_lo", "share_hi"} <= set(params):
        return ""
    observed = _("the most likely class was right %(share)s here (95%% CI %(lo)s – %(hi)s, %(read)s X-rays "
                 "read)") % {"share": percent(params["share"]), "lo": percent(params["share_lo"]),
                             "hi": percent(params["share_hi"]), "read": read}
    figure = {"bar": percent(params["bar"]), "split": SPLIT_WORDS[params["split"]]}
    if params.get("bar_lo") is None or params.get("bar_hi") is None:
        reference = _("the %(bar)s the model card measured on %(split)s") % figure
    else:
        reference = _("the %(bar)s (95%% CI %(lo)s – %(hi)s) the model card measured on %(split)s") % {
            **figure, "lo": percent(params["bar_lo"]), "hi": percent(params["bar_hi"])}
    words = {"observed": observed, "reference": reference, "basis": basis}
    if code == "not_validated":
        return _("Not validated for use at this site: %(observed)s, below %(reference)s. %(next)s "
                 "%(basis)s") % {**words, "next": NOT_VALIDATED_NEXT}
    if code == "consistent_with_card":
        return _("Consistent with the model card at this site: %(observed)s, at or above %(reference)s. "
                 "%(next)s %(basis)s") % {**words, "next": CONSISTENT_NEXT}
    if code == "inconclusive" and "cases_to_decide" in params:
        decide = _decide_text(params["share"], read, params["cases_to_decide"], False)
        return _("Inconclusive: %(observed)s; the interval includes %(reference)s. %(decide)s "
                 "%(basis)s") % {**words, "decide": decide}
    return ""


def refusal_text(validation: SiteValidation) -> str:
    """How many of the site's readable X-rays the guard refused, judged against the share it is
    built to refuse of a hospital it never saw (cxr.inference.site_check.refusal_check), in the
    active language; "" for reports made before refusals were judged. Not yet judged, it says
    how many X-rays in all would tell (`cases_to_decide`), and says plainly when none was refused."""
    check = validation.report.get("refusal_check") or {}
    params = check.get("params") or {}
    code = check.get("code")
    if code == "none_read" or not {"k", "n", "value", "lo", "hi", "budget"} <= set(params):
        return ""
    numbers = {"k": params["k"], "n": params["n"], "value": percent(params["value"]),
               "lo": percent(params["lo"]), "hi": percent(params["hi"]), "budget": percent(params["budget"], 0)}
    observed = _("the guard refused %(k)s of %(n)s X-rays as not a chest X-ray (%(value)s, 95%% CI "
                 "%(lo)s – %(hi)s)") % numbers
    if code == "above_budget":
        return _("Too many refused: %(observed)s, above the target of at most %(budget)s for hospitals "
                 "it never saw. If these are whole frontal chest X-rays, this site's films look unlike "
                 "the training sources: check how they are exported (whole film, no photographs of "
                 "screens, no burned-in frames); refused X-rays get no reading.") % {
            "observed": observed, "budget": numbers["budget"]}
    if code == "within_budget":
        return _("Refusals as expected: %(observed)s, within the target of at most %(budget)s for "
                 "hospitals it never saw.") % {"observed": observed, "budget": numbers["budget"]}
    needed = params["cases_to_decide"] if "cases_to_decide" in params else _refusal_cases_to_decide(params)
    target = _("the target of at most %(budget)s for hospitals it never saw") % numbers
    if needed is None:
        tell = _("More X-rays will not tell: the share refused here sits on the target.")
    elif params["k"] == 0:
        tell = _("About %(needed)s X-rays with none refused would show that (%(more)s more).") % {
            "needed": needed, "more": max(0, needed - params["n"])}
    else:
        tell = _("If the share stays at %(value)s, about %(needed)s X-rays in all would tell (%(more)s "
                 "more).") % {"value": numbers["value"], "needed": needed, "more": max(0, needed - params["n"])}
    if params["k"] == 0:
        return _("No X-ray was refused as not a chest X-ray (0 of %(n)s; 95%% CI %(lo)s – %(hi)s), but %(n)s "
                 "are too few to show that the guard keeps within %(target)s. %(tell)s") % {
            **numbers, "target": target, "tell": tell}
    return _("Too few X-rays to judge refusals yet: %(observed)s; the interval includes %(target)s. "
             "%(tell)s") % {"observed": observed, "target": target, "tell": tell}


def _refusal_cases_to_decide(params: dict) -> int | None:
    """For a report stored before refusals said it: how many X-rays in all would tell, if the share
    refused held, by the rule the report uses now (site_check.refusal_check)."""
    from cxr.inference.site_check import cases_to_decide

    value, budget = params["value"], params["budget"]
    if value == budget:
        return None
    return cases_to_decide(value, budget, above=value > budget)


def refusal_measured(report: dict) -> str:
    """What the model card measured beside the refusal target (report["card"]
    ["refused_unseen_sources"], cxr.inference.site_check.refused_unseen_range), in the active
    language; "" when the card had no such figure or the report predates it."""
    measured = (report.get("card") or {}).get("refused_unseen_sources") or {}
    if not {"low", "high", "groups"} <= set(measured):
        return ""
    return _("measured: %(low)s – %(high)s of the test X-rays of %(groups)s collections, each left "
             "out of the chest X-ray check's fit") % {
        "low": percent(measured["low"]), "high": percent(measured["high"]), "groups": measured["groups"]}


def _seen_split(splits: dict) -> str | None:
    """The card's split of new patients of its training collections that a card without an
    out-of-source fit is judged by (site_check.SEEN_SPLITS: patient, else random)."""
    from cxr.inference.site_check import SEEN_SPLITS

    return next((split for split in SEEN_SPLITS if (splits.get(split) or {}).get("value") is not None), None)


def card_column(report: dict) -> dict:
    """The report table's model-card column in the reader's language: the out-of-source fit's
    labelled readings and coverage (None without a fit), and beside the most likely class the
    card's accuracy on new patients of its training collections (what the verdict compares with
    when the card has no fit, marked `compared`) and on collections it never saw, each named."""
    card = report.get("card") or {}
    fitted = card.get("out_of_source") or {}

    def fit(name: str) -> dict | None:
        figure = fitted.get(name) or ({"value": card[name]} if card.get(name) is not None else None)
        return estimate(figure) if figure else None

    params = (report.get("verdict") or {}).get("params") or {}
    splits = card.get("split_accuracy") or {}
    seen = _seen_split(splits)
    top_class = []
    if seen:
        top_class.append({"split": seen, "words": SPLIT_WORDS[seen], "figure": estimate(splits[seen]),
                          "compared": params.get("measure") == "top_class_accuracy" and params.get("split") == seen})
    # Reports stored before the card's splits were: only the source split's value.
    unseen = splits.get("source") or ({"value": card["unseen_accuracy"]} if card.get("unseen_accuracy") is not None
                                      else None)
    if unseen and unseen.get("value") is not None:
        top_class.append({"split": "source", "words": SPLIT_WORDS["source"], "figure": estimate(unseen),
                          "compared": False})
    return {"labelled_accuracy": fit("labelled_accuracy"), "coverage": fit("coverage"),
            "target": percent(card.get("target_accuracy"), 0) if card.get("target_accuracy") is not None else "",
            "top_class": top_class}


def card_comparison(card) -> dict | None:
    """What the verdict will compare this site with when the served card has no out-of-source fit:
    its accuracy on new patients of its training collections ({"split", "words", "value", "ci"}),
    for the form page; None when the card has a fit, or measured no such split."""
    if card is None or card.trust:
        return None
    from cxr.inference.site_check import card_figures

    splits = card_figures(card)["card_split_accuracy"] or {}
    seen = _seen_split(splits)
    if seen is None:
        return None
    return {"split": seen, "words": SPLIT_WORDS[seen], **estimate(splits[seen])}


# --- the per-case list ------------------------------------------------------------------------
# One row per case, the columns of `cxr validate-site`'s cases.csv (a test keeps them equal).

def case_record(name: str, truth: str, prediction, classes: list[str]) -> dict:
    """What the report keeps of one case (no image): the file's name, its known class, the label
    given (None: uncertain or refused), whether refused, the most likely class and the chances
    (none when refused: no reading), the prediction set, the warnings' codes and the reason."""
    from . import engine_text

    read = not prediction.rejected
    chances = {k: float(prediction.probabilities[k]) for k in classes} if read else {}
    return {
        "file": name, "truth": truth, "label": prediction.label, "rejected": bool(prediction.rejected),
        "top_class": max(classes, key=chances.__getitem__) if read else None,
        "probabilities": {k: round(p, 4) for k, p in chances.items()},
        "prediction_set": (list(prediction.prediction_set) if read and prediction.prediction_set is not None
                           else None),
        "warnings": [code for code in (getattr(w, "code", None) for w in prediction.warnings or []) if code],
        "reason": engine_text.stored(prediction.reason) if prediction.reason else None,
    }


def case_columns(classes: list[str]) -> list[str]:
    return ["file", "true_label", "reading", "label_right", "top_class", "top_class_right",
            *(f"p_{name}" for name in classes), "prediction_set", "set_holds_true_label",
            "warnings", "reason", "reason_text"]


def case_row(case: dict, classes: list[str]) -> list[str]:
    """One stored case as the CSV row cxr validate-site writes for it; the reason's sentence in the
    active language, worded for staff (as this page's problems are)."""
    from . import engine_text
    from .exports import defuse

    def yes_no(flag: bool) -> str:
        return "yes" if flag else "no"

    truth, label, read = case.get("truth") or "", case.get("label"), not case.get("rejected")
    chances, sets, reason = case.get("probabilities") or {}, case.get("prediction_set"), case.get("reason")
    top = case.get("top_class") or ""
    return [
        defuse(case.get("file") or ""), truth, label or ("refused" if not read else "uncertain"),
        yes_no(label == truth) if label else "", top, yes_no(top == truth) if read and top else "",
        *(f"{float(chances[k]):.4f}" if read and chances.get(k) is not None else "" for k in classes),
        "" if sets is None else ";".join(sets), "" if sets is None else yes_no(truth in sets),
        ";".join(case.get("warnings") or []),
        (reason or {}).get("code") or "", defuse(engine_text.notice_text(reason, doctor=True)) if reason else "",
    ]


def cases_csv_response(validation: SiteValidation) -> HttpResponse:
    """The report's per-case list as a private CSV download (UTF-8 with a byte-order mark, as the
    history's); 404 for a report stored before it kept its cases."""
    from .access import private_headers

    stored = (validation.report or {}).get("per_case") or {}
    classes, cases = stored.get("classes"), stored.get("cases")
    if not classes or cases is None:
        raise Http404("This report was stored before it kept a list of its cases.")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(case_columns(classes))
    for case in cases:
        writer.writerow(case_row(case, classes))
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="site-check-{validation.pk}-cases.csv"'
    return private_headers(response)


# The calibration plot's frame in SVG user units (the template's viewBox is 0 0 360 290): room
# on the left and at the bottom for the tick labels and axis titles.
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56.0, 344.0, 12.0, 236.0
PLOT_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _plot_x(chance: float) -> str:
    # Strings, not floats: a float in a template is localised ("12,5" in Indonesian), which SVG
    # cannot read.
    return f"{PLOT_LEFT + chance * (PLOT_RIGHT - PLOT_LEFT):.1f}"


def _plot_y(share: float) -> str:
    return f"{PLOT_BOTTOM - share * (PLOT_BOTTOM - PLOT_TOP):.1f}"


def calibration_plot(report: dict) -> dict | None:
    """The site's calibration plot (cxr.inference.site_check.calibration_bins) drawn by the
    template as SVG, so its axes are in the reader's language and the web app needs no plotting
    library, with the same numbers as a table. None for reports made before it was recorded."""
    bins = [b for b in report.get("calibration") or [] if (b.get("right") or {}).get("value") is not None]
    if not bins:
        return None
    points = []
    for b in bins:
        lo, hi = b["right"]["ci95"]
        points.append({
            "x": _plot_x(b["stated"]), "y": _plot_y(b["right"]["value"]),
            "y_low": _plot_y(lo), "y_high": _plot_y(hi),
            "range": f"{percent(b['low'], 0)} – {percent(b['high'], 0)}", "cases": b["right"]["n"],
            "stated": percent(b["stated"]), "right": estimate(b["right"]),
        })
    return {
        "points": points,
        "ticks": [{"label": percent(t, 0), "x": _plot_x(t), "y": _plot_y(t)} for t in PLOT_TICKS],
        "left": f"{PLOT_LEFT:.1f}", "right": f"{PLOT_RIGHT:.1f}",
        "top": f"{PLOT_TOP:.1f}", "bottom": f"{PLOT_BOTTOM:.1f}",
        # Where the tick labels and axis titles go: below the frame and to its left.
        "below": f"{PLOT_BOTTOM + 16:.1f}", "beside": f"{PLOT_LEFT - 6:.1f}",
        "x_title_x": f"{(PLOT_LEFT + PLOT_RIGHT) / 2:.1f}", "x_title_y": f"{PLOT_BOTTOM + 40:.1f}",
        "y_title_y": f"{(PLOT_TOP + PLOT_BOTTOM) / 2:.1f}",
    }


def verdict_basis(validation: SiteValidation) -> str:
    """The figure the verdict rests on, with its interval, and the card's figure it was compared
    with ("Most likely class right 85.0% (95% CI 70.9% – 92.9%), against the card's 94.9%"), for a
    list of validations: a card without an out-of-source fit is judged by the most likely class of
    every read X-ray, not by the labelled readings the list also shows. "" when the verdict
    compared nothing (no card figure) or the report does not hold the figure."""
    report = validation.report or {}
    params = (report.get("verdict") or {}).get("params") or {}
    if params.get("bar") is None:
        return ""
    top_class = params.get("measure") == "top_class_accuracy"
    figure = estimate(report.get("top_class_accuracy" if top_class else "labelled_accuracy"))
    if figure["value"] == "—":
        return ""
    value = (_("%(value)s (95%% CI %(ci)s)") % {"value": figure["value"], "ci": figure["ci"]}
             if figure["ci"] else figure["value"])
    words = {"value": value, "bar": percent(params["bar"])}
    if top_class:
        return _("Most likely class right %(value)s, against the card's %(bar)s") % words
    return _("Labelled readings right %(value)s, against the card's %(bar)s") % words


def summary(validation: SiteValidation) -> dict:
    """What a list of validations shows per row."""
    return {
        "validation": validation,
        "title": verdict_title(validation.verdict_code),
        "text": verdict_text(validation),
        "basis": verdict_basis(validation),
        "labelled_accuracy": estimate(validation.report.get("labelled_accuracy")),
        "coverage": estimate(validation.report.get("coverage")),
        "refusal_measured": refusal_measured(validation.report),
    }


def latest(count: int = 5) -> list[dict]:
    return [summary(v) for v in SiteValidation.objects.all()[:count]]
