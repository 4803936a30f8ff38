"""Patient guidance after a screening result, and the public "how it works" page with the model card."""

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from cxr.inference.limitations import guard_false_refusals, unseen_source_caveat
from cxr.inference.site_check import wilson_interval
from webapp.screening import engine, engine_text, site_validation
from webapp.screening.outcomes import CLASS_NAMES, HEADLINES, class_name, percent_text
from webapp.screening.screen import MODEL_UNUSABLE_MESSAGE, MODEL_UNUSABLE_TITLE

from . import card_tables, model_card

# The outcomes the screening app reports (webapp.screening.models.OUTCOMES), each with a page
# titled as the result it follows.
OUTCOMES = HEADLINES
PLOT_TITLES = {
    "roc": _("ROC curves on the test images (one curve per class)"),
    "reliability": _("Reliability diagram: predicted probability against how often it was right"),
    "ood": _("Scores of the guard against images that are not chest X-rays"),
    "risk_coverage": _("Labelled readings right against the share of X-rays given a label, one "
                       "curve per held-out group of sources"),
}
# How to read each plot, in the reader's language. The PNGs are files of the model folder, drawn
# once by `cxr export` and `cxr trust` (matplotlib, the [train] extra) from per-image numbers the
# card does not keep, so the app cannot draw them again in another language: their words stay
# English, the page says so to other readers, and the caption says what each axis is and what a
# good plot looks like. (The site check's calibration plot, whose numbers the app has, is SVG in
# the reader's language: screening/site_validation_detail.html.)
PLOT_READINGS = {
    "roc": _("Across: the share of X-rays without the class that were flagged anyway (1 - "
             "specificity); up: the share with the class that were found (sensitivity). A curve "
             "closer to the top left corner is better; the dashed diagonal is guessing. Measured on "
             "test X-rays from the same collections as the training X-rays."),
    "reliability": _("Across: how sure the model was of the class it named; up: how often that "
                     "class was right. Bars on the dashed diagonal mean the stated chances are honest; "
                     "each whisker is its bar's 95% interval, so a bar built on one or two X-rays could "
                     "stand anywhere within it. The grey bars below count the X-rays at each level. "
                     "The range beside the calibration error (ECE) in the title is only the spread of "
                     "its bootstrap resamples, not a confidence interval. "
                     "Measured on test X-rays from the same collections as the training X-rays."),
    "ood": _("Across: how far an image lies from the training X-rays (larger is less familiar); "
             "up: how many images. Blue: real X-rays; orange: pictures that are not chest X-rays. "
             "Images beyond the dashed threshold are refused; the app's other checks refuse more."),
    "risk_coverage": _("Across: the share of X-rays given a label, those the model was surest of "
                       "first; up: how many of those labels were right. The number beside each "
                       "group of sources is its count of X-rays."),
}
# The card's description of the network's head (cxr.export), in the reader's language; another
# description is shown as the card writes it, marked English.
HEADS = {"global average pooling + one dense layer": _("global average pooling + one dense layer")}
# The chest X-ray verifier's negative families (cxr.data.hard_negatives), for people.
NEGATIVE_FAMILIES = {
    "screen_photo": _("Photos of an X-ray on a screen"),
    "partial_view": _("Parts of an X-ray without both lungs"),
    "degraded": _("Heavily processed X-rays"),
    "pictures": _("Photos, documents and drawings"),
    "film_photo": _("Photos of an X-ray film on a lightbox"),
    "collage": _("Several images side by side (viewer screenshots, slides)"),
    "screen_photo+film_photo": _("Photos of an X-ray on a screen or a lightbox, both kinds left out"),
    "table_photo": _("Photos of an X-ray film lying on a table"),
    "screen_photo+film_photo+table_photo": _("Photos of an X-ray on a screen, a lightbox or a table, "
                                             "all three kinds left out"),
}
# Shown in their own section, not among the other plots.
TRUST_PLOT = "risk_coverage"


@login_not_required  # a worried visitor reads this first, before any account or screening
@require_safe
def next_steps(request, outcome: str | None = None):
    if outcome is not None and outcome not in OUTCOMES:
        raise Http404("unknown outcome")
    return render(request, "guide/next_steps.html", {
        "outcome": outcome,
        "outcome_title": OUTCOMES.get(outcome, ""),
        "outcomes": list(OUTCOMES.items()),
    })


def _guard_counts(card) -> dict:
    """How many real test X-rays the guard refused of how many, and how many of the card's
    negative test pictures (made from how many distinct images); None where the card lacks them."""
    refusals = guard_false_refusals(card)
    negatives = dict((card.ood.negative_set or {}) if card.ood else {})
    rate = card.ood.negative_refusal_rate if card.ood else None
    n, distinct = negatives.get("n"), negatives.get("distinct_base_images")
    counted = isinstance(n, int) and isinstance(distinct, int) and rate is not None
    # The interval the card holds for the whole served guard's refusals (a Wilson interval), or
    # the Wilson interval of the feature guard's own counts.
    whole = (card.verifier.served_guard_patient_split_test or {}) if card.verifier else {}
    interval = card_tables.cell(dict(whole), "refusal_rate").ci if whole.get("n") == refusals.tested else ""
    if not interval and refusals.refused is not None:
        low, high = wilson_interval(refusals.refused, refusals.tested)
        interval = card_tables.cell({"value": 0, "ci95": [low, high]}, "refusal_rate").ci
    all_refused = counted and round(rate * n) == n
    return {
        "false_refusal_count": refusals.refused,
        "false_refusal_tested": refusals.tested,
        "false_refusal_ci": interval,
        # Every variant of every distinct image refused: the interval over the distinct images
        # alone (the variants are not independent pictures).
        "negative_distinct_ci": card_tables.cell({"value": 1.0, "ci95": wilson_interval(distinct, distinct)},
                                                 "refusal_rate").ci if all_refused and distinct else "",
        "negative_refused": round(rate * n) if counted else None,
        "negative_n": n if counted else None,
        "negative_distinct": distinct if counted else None,
        # The chest X-ray verifier (cxr.data.hard_negatives) is fitted on these very pictures: for
        # the guard as served they are no test of pictures it never saw.
        "negatives_fitted": bool(card.verifier and (card.verifier.fitted_on or {}).get("negatives", {})
                                 .get("pictures")),
    }


def _calibration_step(card) -> dict:
    """What the method's calibration step says of the installed model: its temperature and the
    calibration error before and after it on validation and test images, and whether it lowered
    the error on both (None: the card lacks a number)."""
    calibration = card.calibration
    test_before = calibration.test_ece_before if calibration else None
    test_after = calibration.test_ece_after if calibration else None
    pairs = [(card.ece_before, card.ece_after)]
    if test_before is not None and test_after is not None:
        pairs.append((test_before, test_after))
    measured = card.temperature is not None and None not in pairs[0]
    # The source split's calibration error (after its own temperature where measured) against
    # the validation error after temperature: "further off" only where the card shows it.
    source = card.metrics.get("source") if isinstance(card.metrics.get("source"), dict) else {}
    unseen = source.get("ece_after_temperature", source.get("ece"))
    unseen = unseen.get("value") if isinstance(unseen, dict) else unseen
    return {
        "calibration_unseen_worse": isinstance(unseen, int | float) and card.ece_after is not None
        and unseen > card.ece_after,
        "calibration_measured": measured,
        "calibration_temperature": card_tables.format_temperature(card.temperature) if measured else "",
        "calibration_test": len(pairs) == 2,
        "test_ece_before": card_tables.format_number(test_before, "ece"),
        "test_ece_after": card_tables.format_number(test_after, "ece"),
        "calibration_lowered": all(after < before for before, after in pairs) if measured else None,
    }


def _label_figures(card, class_names: dict) -> list[dict]:
    """What each label quotes when the model has no out-of-source fit: how often a model trained
    the same way was right when it gave that label on the source split (the reading's own
    caveat, cxr.inference.limitations). [] where the card lacks the per-class counts (the labels
    then quote the overall accuracy)."""
    figures = []
    for label, name in class_names.items():
        notice = unseen_source_caveat(card, label)
        if notice is None or notice.code != "label_unverified_unseen_class":
            continue
        p = notice.params
        figures.append({
            "name": name, "right": p["right"], "said": p["said"],
            "percent": percent_text(p["source_percent"], 0),
            "ci": f"{number_format(round(p['source_low_percent']))}–{percent_text(p['source_high_percent'], 0)}",
        })
    return figures


def not_serving(card) -> dict | None:
    """{"title", "message"[, "why"]} when the installed model's card can be read but no reading can be
    made (a file of the folder or a part its card names is missing, a site calibration that does
    not fit it): How it works then describes a model as it was measured, not a service that works;
    None otherwise. Told from the files, as the predictor's own checks tell it, without loading
    the model on a public page (a card that does not fit its network shows only when loaded)."""
    if card is None:
        return None
    from cxr.inference.predictor import parts_the_card_names
    from cxr.inference.site_calibration import SiteCalibrationError

    folder = engine.configured_model_dir()
    needed = ["model.onnx", "ood.npz", *(name for name, _what in parts_the_card_names(card))]
    if not all((folder / name).is_file() for name in needed):
        return {"title": str(MODEL_UNUSABLE_TITLE), "message": str(MODEL_UNUSABLE_MESSAGE)}
    try:
        engine.load_site_calibration(card)
    except SiteCalibrationError as problem:
        words = engine_text.site_calibration_unusable(problem)
        return {"title": words["title"], "message": words["message"], "why": words["why"]}
    return None


@login_not_required
@require_safe
def how_it_works(request):
    card = model_card.load_card()
    context = {"card": card, "site_validations": site_validation.latest(5),
               "site_calibration": site_calibration_summary(engine.site_calibration(card)),
               "not_serving": not_serving(card)}
    if card:
        limitations, context["limitations_in_english"] = engine_text.card_limitations(card)
        context["limitations"] = limitations
        class_names = {c: CLASS_NAMES.get(c, c) for c in card.classes}
        training_data = card.training.data if card.training else None
        training_rows = card_tables.data_rows(training_data, class_names)
        ood = card.ood
        context.update({
            "class_names": list(class_names.values()),
            "splits": (splits := card_tables.all_split_tables(card, class_names)),
            "interval_methods": card_tables.interval_methods(card),
            "without_interval": "; ".join(card_tables.without_interval(splits)),
            "has_source_split": "source" in card.metrics,
            # The temperatures readings use and the card's, without trailing zeros.
            "temperature": card_tables.format_temperature(card.temperature) if card.temperature else "",
            "trust_temperature": card_tables.format_temperature(card.trust.temperature)
            if card.trust and card.trust.temperature else "",
            # The out-of-source figures of a card without a trust fit: its overall accuracy, and
            # what each label quotes.
            "unseen_accuracy": card_tables.cell(card.metric("source", "accuracy"), "accuracy"),
            "label_figures": _label_figures(card, class_names),
            "labels_quote_accuracy": any(
                getattr(unseen_source_caveat(card, label), "code", None) == "label_unverified_unseen_sources"
                for label in card.classes),
            "plots": [
                {"title": PLOT_TITLES.get(name, name), "file": path, "reading": PLOT_READINGS.get(name)}
                for name, path in model_card.plot_files(card).items() if name != TRUST_PLOT
            ],
            "trust": card_tables.trust_tables(card.trust, pooled_name=_("All groups pooled")),
            # Measured and not served: shown only where no fit is installed.
            "trust_not_installed": None if card.trust else card_tables.trust_tables(
                card.trust_not_installed, pooled_name=_("All groups pooled")),
            "checks": card_tables.guard_checks(card, pooled_name=_("All groups pooled"),
                                               family_names=NEGATIVE_FAMILIES),
            "trust_plot": model_card.plot_files(card).get(TRUST_PLOT),
            "trust_plot_title": PLOT_TITLES[TRUST_PLOT],
            "trust_plot_reading": PLOT_READINGS[TRUST_PLOT],
            "architecture": card.architecture,
            "head": HEADS.get(getattr(card.architecture, "head", None) or ""),
            "training": card.training,
            # The card stores ISO 8601; shown as every other date of the site, in the reader's
            # language and time zone.
            "trained_at": parse_datetime(card.training.date or "") if card.training else None,
            "training_data": training_rows,
            # A card of another shape (older exports): its data as plain rows.
            "training_details": [] if training_rows else card_tables.detail_rows(training_data),
            "ood": ood,
            "intended_use": engine_text.card_intended_use(card),
            "ece_before": card_tables.format_number(card.ece_before, "ece"),
            "ece_after": card_tables.format_number(card.ece_after, "ece"),
            **_calibration_step(card),
            "false_refusal": card_tables.format_number(guard_false_refusals(card).share, "refusal_rate"),
            "negative_refusal": card_tables.format_number(ood.negative_refusal_rate if ood else None, "refusal_rate"),
            # Counts beside the rates: "100.0%" of a few hundred pictures made from a few dozen
            # images is a small test, and the page should say how small.
            **_guard_counts(card),
        })
    return render(request, "guide/how_it_works.html", context)


@login_not_required
@require_safe
def model_plot(request, filename: str):
    """One PNG the installed card lists in `plots`; nothing else from the model directory."""
    path = model_card.plot_path(model_card.load_card(), filename)
    if path is None:
        raise Http404("not a plot of the installed model")
    return FileResponse(path.open("rb"), content_type="image/png")


def site_calibration_summary(calibration) -> dict | None:
    """What the page says of the site calibration readings go through (None: there is none):
    its counts and date, and what the same fit gave on held-out halves of the site's cases."""
    if calibration is None:
        return None

    def mean(key: str, as_percent: bool = True) -> str:
        value = ((calibration.measured or {}).get(key) or {}).get("mean")
        if value is None:
            return ""
        return percent_text(100 * value, 0) if as_percent else number_format(round(value, 2), decimal_pos=2)

    return {
        "cases": calibration.cases, "fitted": engine_text.calibration_date(calibration.fitted_at), "site": calibration.site,
        "by_class": ", ".join(f"{class_name(c)} {n}" for c, n in calibration.cases_by_class.items()),
        "set_percent": round(100 * calibration.set_confidence), "target_percent": round(100 * calibration.target_accuracy),
        "set_coverage": mean("set_coverage"), "set_size": mean("mean_set_size_seen", as_percent=False),
        "coverage": mean("coverage"), "labelled_accuracy": mean("labelled_accuracy"),
        "labels_nothing": calibration.label_threshold is None,
    }
