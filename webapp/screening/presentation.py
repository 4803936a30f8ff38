"""What a reading page, its printable report, its PDF and the API show: one place for all four."""
from __future__ import annotations

import logging
import math

from django.utils.translation import gettext, gettext_lazy

from . import engine, engine_text, imaging, outcomes, storage
from .engine import model_card
from .models import OUTCOME_UNCERTAIN, Reading

log = logging.getLogger(__name__)

# What cxr.inference.decode reads (its SUPPORTED; a test checks the two agree), in the order the
# pages name them. The upload page, its script and the file picker's accept list all say these.
ACCEPTED_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "DICOM")


def accepted_formats_text() -> str:
    """"PNG, JPEG, TIFF, BMP or DICOM" in the active language."""
    return gettext("%(items)s or %(last)s") % {"items": ", ".join(ACCEPTED_FORMATS[:-1]),
                                                "last": ACCEPTED_FORMATS[-1]}


# Refusals whose engine sentence only restates their title ("The file is empty" over "The file
# is empty."; in Indonesian the two even use different words): what to do instead.
_INSTEAD_OF_RESTATING = {
    "empty_file": gettext_lazy("It holds no data (0 bytes). Choose the X-ray file again, or get a "
                               "new copy of it: export it again from the imaging system, or ask the "
                               "clinic or hospital that took the X-ray for one."),
}


def refusal_words(refusal) -> tuple[str, str]:
    """A refusal's title and the sentence under it, each thing said once: the engine's sentence
    often restates the title before it says why ("This does not look like a frontal chest X-ray:
    the picture is blank ...", "The image is too large (9000 x 9000 pixels); ...") or only
    restates it ("The file is empty."). The single upload's box and a batch's rows both say it so."""
    if refusal is None:
        return "", ""
    title, message = str(refusal.title or ""), str(refusal.message or "")
    if refusal.code in _INSTEAD_OF_RESTATING:
        return title, str(_INSTEAD_OF_RESTATING[refusal.code])

    def bare(text: str) -> str:
        return " ".join(text.split()).rstrip(".").casefold()

    if bare(message) == bare(title):
        return title, ""
    template = engine_text.TRANSLATIONS.get((refusal.notice or {}).get("code") or "")
    headline = f"{template[0]}: " if isinstance(template, tuple) else None
    if headline and message.startswith(headline):  # "This does not look like ...: <why>"
        why = message[len(headline):]
        return title, why[:1].upper() + why[1:]
    if message.casefold().startswith(title.casefold()):  # the title and more: said as the title
        return message, ""
    return title, message


# Warnings the engine gives every labelled reading of a model (cxr.inference.limitations, or the
# site's own calibration), not because of anything in the image: shown beside the result rather
# than among the image's warnings.
LABEL_CAVEATS = {"label_unverified_unseen_sources", "label_unverified_unseen_class", "site_calibrated"}


def reading_context(reading: Reading) -> dict:
    """Template context of a reading: outcome in words, probability rows, the model's limits."""
    card = model_card()
    warnings = warning_items(reading)
    caveat, image_warnings = split_label_caveat(warnings)
    caveat = caveat or {"message": "", "code": ""}
    return {
        "reading": reading,
        "outcome": reading.outcome,
        "headline": outcomes.headline(reading.outcome),
        "explanation": outcomes.explanation(reading.outcome),
        "probability_rows": outcomes.probability_rows(reading),
        "reason_text": reason_text(reading),
        "reason_detail": reason_detail(reading),
        "warning_texts": [item["message"] for item in warnings],
        "warning_items": warnings,
        # On the page the label's caveat sits with the result it qualifies; the warnings box
        # keeps what is particular to this image.
        "label_caveat": caveat["message"],
        "label_caveat_code": caveat["code"],
        "label_caveat_short": label_caveat_short(reading),
        "calibration_note": calibration_note(reading, card),
        "image_warning_items": image_warnings,
        "set_text": set_text(reading),
        "set_level_text": outcomes.set_level_text(reading.set_confidence, calibrated_at_site(reading),
                                                  measured_set_coverage(reading, card)),
        "limitations": limitations_for(reading, card),
        "model_name": model_name_of(reading, card),
        "next_steps": outcomes.next_steps(reading.outcome),
        # The guide's steps speak to the patient; a doctor reads them as advice to pass on.
        "next_steps_title": (gettext("What the patient should do next") if reading.owner.is_doctor
                             else gettext("What to do next")),
        "disclaimer": outcomes.DISCLAIMER,
        "emergency": outcomes.EMERGENCY,
        **image_descriptions(reading),
        "stored": stored_pictures(reading),
    }


def stored_pictures(reading: Reading) -> dict[str, bool]:
    """Which of the reading's pictures are in storage and whole ({"xray", "heatmap"}): a file lost
    to disk trouble or a partial restore, or there but damaged, is said in words on the page, the
    report and the PDF instead of a broken picture, and logged for the operator (at ERROR once,
    storage.lost_file_log_level: the page is viewed again and again)."""
    stored = {}
    for name, relative in (("xray", reading.original_path), ("heatmap", reading.heatmap_path)):
        try:
            path = storage.absolute_path(relative)
        except ValueError:  # a path outside storage: nothing there to show
            path = None
        if path is None or not path.is_file():
            stored[name] = False
            log.log(storage.lost_file_log_level(relative), "A reading's stored file is missing: %s", relative)
        else:
            stored[name] = imaging.is_whole_picture(path)
            if not stored[name]:
                log.log(storage.lost_file_log_level(relative, "damaged"),
                        "A reading's stored file is damaged (not a whole picture): %s", relative)
            else:
                storage.file_found_whole(relative)
    return stored


def made_by_installed_model(reading: Reading, card) -> bool:
    """Whether the model installed now made `reading`: its card's name, limits and fitted
    figures describe the reading only then (a model swapped or upgraded since made the others)."""
    return card is not None and reading.model_version == card.served_version


def model_name_of(reading: Reading, card=None) -> str:
    """The name of the model that made `reading` ("" when that is not the installed model: only
    its version was stored with the reading)."""
    card = model_card() if card is None else card
    return str(card.name or "") if made_by_installed_model(reading, card) else ""


def limitations_for(reading: Reading, card) -> list[str]:
    """The known limits shown with a reading: the installed model's, opened by a sentence saying
    so when another model made the reading (its own limits were on its card, not stored with the
    reading)."""
    limitations = engine_text.card_limitations(card)[0]
    if limitations and not made_by_installed_model(reading, card):
        limitations = [gettext("These are the limits of the model installed now (version "
                               "%(installed)s). This reading was made by version %(made_by)s, whose "
                               "own measured limits are not stored with the reading.") % {
                           "installed": card.served_version, "made_by": reading.model_version or "—"},
                       *limitations]
    return limitations


def calibration_note(reading: Reading, card) -> str:
    """What the probabilities mean, said under them on the page, the printable report and the
    PDF alike: a number read without it is taken at face value. (The messages the page's template
    had, "%%" and all, so their translations stay.) Only a fit of the model that made the reading
    on hospitals it never saw earns the plain statement; the site's own calibration says what it
    did and that its chances were not measured there."""
    fitted_out_of_source = made_by_installed_model(reading, card) and card.trust
    if not fitted_out_of_source and not calibrated_at_site(reading):
        # Calibrated on the training collections only (no out-of-source fit, no site
        # calibration): there the stated chances held; on other hospitals they were far too high.
        return gettext("Probabilities are calibrated on X-rays of the collections the model learned from: "
                       "there, of many readings shown as 80%%, about 8 in 10 were right. On X-rays from "
                       "other hospitals they were far too high. They describe this image, not the "
                       "person.") % {}
    if calibrated_at_site(reading):
        # validate-site measures the site's sets and labels on held-out halves, not whether the
        # rescaled chances hold there: no "8 in 10 were right" without a measurement behind it.
        return gettext("Probabilities are rescaled on this site's own labelled X-rays; how closely their "
                       "chances hold here has not been measured. They describe this image, not the "
                       "person.")
    return gettext("Calibrated probabilities: of many readings shown as 80%%, about 8 in 10 were right on "
                   "the test images. They describe this image, not the person.") % {}


def image_descriptions(reading: Reading) -> dict:
    """Text alternatives of the X-ray and its heat map: what each shows for this reading, not
    only what kind of picture it is (the viewer also reads them out as its own name)."""
    xray = gettext("The uploaded chest X-ray (%(format)s, %(width)s × %(height)s pixels).") % {
        "format": reading.source_format.upper() or "—", "width": reading.image_width,
        "height": reading.image_height}
    caption_note = ""
    if reading.outcome == OUTCOME_UNCERTAIN and reading.probabilities:
        # No label to name, but the map is still one class's (the engine draws the most likely
        # class's map): say which, rather than "Uncertain", which no map can show; in the
        # visible caption too, or a doctor reads a hot spot without knowing whose it is.
        leaned_to = outcomes.class_name(reading.sorted_probabilities()[0][0])
        heatmap = gettext("Heat map over it: the warmer a region, the more it raised the model's "
                          "score for %(label)s, the class it leaned to without giving a label. A "
                          "hint for a clinician, not a finding.") % {"label": leaned_to}
        caption_note = gettext("No label was given: this map is of %(label)s, the class the model "
                               "leaned to.") % {"label": leaned_to}
    else:
        heatmap = gettext("Heat map over it: the warmer a region, the more it drove the result "
                          "“%(headline)s”. A hint for a clinician, not a finding.") % {
            "headline": outcomes.headline(reading.outcome)}
    codes = {w.get("code") for w in reading.warnings or [] if isinstance(w, dict)}
    if "heatmap_off_lungs" in codes:
        heatmap += " " + gettext("Most of it lies outside the lungs.")
    return {"xray_alt": xray, "heatmap_alt": heatmap, "heatmap_caption_note": caption_note}


# What the engine says of a reading made through the site's own calibration (labelled, or not).
SITE_CALIBRATION_CODES = {"site_calibrated", "site_calibrated_unmeasured", "uncertain_site",
                          "uncertain_site_set", "site_labels_nothing"}


def calibrated_at_site(reading: Reading) -> bool:
    """Whether the reading went through this site's calibration (its sets were fitted there)."""
    codes = {w.get("code") for w in reading.warnings or [] if isinstance(w, dict)} | {reading.reason_code}
    return bool(codes & SITE_CALIBRATION_CODES)


def measured_set_coverage(reading: Reading, card) -> outcomes.SetCoverage | None:
    """How often sets like this reading's held the true class where they were measured: on
    hospitals the model never saw (the installed card's fit), or on held-out halves of the site's
    own X-rays (its calibration). None when the reading has no set, or was made by another model
    or at another level than the installed fit (its figures would describe other sets)."""
    if reading.set_confidence is None or card is None or reading.model_version != card.served_version:
        return None
    if calibrated_at_site(reading):
        calibration = engine.site_calibration(card)
        coverage = (((calibration.measured or {}).get("set_coverage") or {}).get("mean")
                    if calibration and math.isclose(calibration.set_confidence, reading.set_confidence)
                    else None)
        return outcomes.SetCoverage(coverage) if isinstance(coverage, int | float) else None
    if card.trust is None or card.trust.set_confidence is None or not math.isclose(
            card.trust.set_confidence, reading.set_confidence):
        return None
    return outcomes.measured_set_coverage(card.trust)


def reason_text(reading: Reading) -> str:
    """Why the reading has no label, in the active language ("" when it has one)."""
    if not reading.reason:
        return ""
    return engine_text.translate(reading.reason_code, reading.reason_params, reading.reason)


def reason_detail(reading: Reading) -> str:
    """The reason under the headline, never repeating it: without its opening sentence when that
    is the headline ("Uncertain: a radiologist should read this."), or without the headline's
    first word when it opens with that ("Uncertain: the highest probability ..." reads "The
    highest probability ..."), in either language. The API's `reason` keeps the whole sentence:
    a program reads it alone."""
    text = reason_text(reading)
    if reading.outcome == OUTCOME_UNCERTAIN:
        headline = outcomes.headline(OUTCOME_UNCERTAIN)
        opening = headline + ". "
        if text.startswith(opening):
            return text[len(opening):]
        word = headline.split(": ", 1)[0] + ": "  # "Uncertain: ", "Tidak pasti: "
        if ": " in headline and text.startswith(word) and len(text) > len(word):
            rest = text[len(word):]
            return rest[0].upper() + rest[1:]
    return text


def warning_texts(reading: Reading) -> list[str]:
    return [item["message"] for item in warning_items(reading)]


def warning_items(reading: Reading) -> list[dict]:
    """The warnings as {code, message} (as `python -m cxr predict --json` gives them), the
    message in the active language; code is None for a warning stored as plain text."""
    return [
        {"code": (warning.get("code") if isinstance(warning, dict) else None) or None,
         "message": engine_text.notice_text(warning)}
        for warning in reading.warnings or []
    ]


def split_label_caveat(items: list[dict]) -> tuple[dict | None, list[dict]]:
    """`warning_items` split in two: what every label of this model says of itself (how such
    readings did on collections it never saw, or at this site; an item {code, message}, None when
    there is none), and the warnings particular to this image."""
    caveat = next((item for item in items if item["code"] in LABEL_CAVEATS), None)
    return caveat, [item for item in items if item["code"] not in LABEL_CAVEATS]


def label_caveat_short(reading: Reading) -> str:
    """The caveat's headline, shown as a caution right under the result box (not inside it: in a
    "normal" box a warning would read as part of the result), where a phone has room for two lines;
    the whole sentence (interval, comparison) follows with the probabilities."""
    notice = next((w for w in reading.warnings or [] if isinstance(w, dict) and w.get("code") in LABEL_CAVEATS), None)
    code, params = (notice or {}).get("code"), (notice or {}).get("params", {})
    if code == "site_calibrated" and isinstance(params.get("labelled_percent"), (int, float)):
        return gettext("Calibrated at this site: its labels were right %(percent)s of the time on its own "
                       "X-rays.") % {"percent": outcomes.percent_text(params["labelled_percent"], 0)}
    percent = params.get("source_percent")
    if not isinstance(percent, (int, float)):
        return ""
    if code == "label_unverified_unseen_class":
        return gettext("Caution: “%(label)s” was right %(right)s of %(said)s times (%(percent)s) on "
                       "hospitals it did not learn from.") % {
            "label": outcomes.class_name(str(params.get("label", ""))),
            "percent": outcomes.percent_text(percent, 0), "right": params.get("right"),
            "said": params.get("said")}
    return gettext("Caution: its results were right %(percent)s of the time on hospitals it did "
                   "not learn from.") % {"percent": outcomes.percent_text(percent, 0)}


def caveats_said_once(readings: list[Reading]) -> list[str]:
    """The label caveats a page of several readings (the compare page) says once, above them,
    rather than on every card: each `label_caveat_short` line (set on the readings beforehand)
    that every reading it speaks of carries alike. A line about one label ("Normal" was right
    130 of 402 times) speaks of the readings with that label; one about every label (its results,
    the site's calibration), of every labelled reading. Those readings' `label_caveat_short` is
    emptied. A line that some of them lack or word otherwise (read by another model version, or
    before the site's calibration) stays on its own readings' cards: said for the page, it would
    be said of readings it is not true of. The image's own warnings are never among them."""
    def caveat_label(reading) -> str | None:
        notice = next((w for w in reading.warnings or [] if isinstance(w, dict)
                       and w.get("code") == "label_unverified_unseen_class"), None)
        return str((notice.get("params") or {}).get("label", "")) if notice else None

    def speaks_of(reading, label: str | None) -> bool:
        if label is None:  # a line about every label
            return bool(reading.label_caveat_short) or (bool(reading.label) and reading.outcome == reading.label)
        return reading.outcome == label or caveat_label(reading) == label

    lines: dict[str, list[Reading]] = {}
    for reading in readings:
        if reading.label_caveat_short:
            lines.setdefault(reading.label_caveat_short, []).append(reading)
    said = [line for line, carriers in lines.items()
            if all(r.label_caveat_short == line for r in readings if speaks_of(r, caveat_label(carriers[0])))]
    for line in said:
        for reading in lines[line]:
            reading.label_caveat_short = ""
    return said


def image_warning_items(reading: Reading) -> list[dict]:
    """The warnings particular to this image: all of them but the label's caveat."""
    return split_label_caveat(warning_items(reading))[1]


def set_text(reading: Reading) -> str:
    """The reading's prediction set, in words ("" for a reading without one)."""
    classes = [label for label, _p in reading.sorted_probabilities()]
    return outcomes.prediction_set_text(reading.prediction_set, classes)


def overlay_png(reading: Reading, max_side: int | None = None) -> bytes:
    """The stored X-ray with its stored heat map composited on top, for reports."""
    return imaging.overlay_png(
        storage.absolute_path(reading.original_path),
        storage.absolute_path(reading.heatmap_path),
        max_side=max_side,
    )
