"""The inference engine's sentences (cxr.inference.notices) in the reader's language.

The engine gives every refusal reason, "uncertain" explanation, warning and error message a
stable code and parameters besides its English text. Here each code has a translatable sentence
with the same parameters (Django's %(name)s form), so an Indonesian page shows Indonesian words.
Readings store the code and parameters (`Notice.as_dict()`), not only the English text, so a
stored reading is shown in the language of whoever opens it later. An unknown code (a newer
engine) falls back to the engine's English text rather than failing.
"""
from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from cxr.inference.decode import SUPPORTED

from .outcomes import class_name

if TYPE_CHECKING:
    from cxr.inference import ModelCard

_NOT_A_CXR = _("This does not look like a frontal chest X-ray")

TRANSLATIONS = {
    "not_cxr_too_small": (_NOT_A_CXR, _("the picture is only %(width)s x %(height)s pixels.")),
    "not_cxr_blank": (_NOT_A_CXR, _("the picture is blank or nearly uniform.")),
    "not_cxr_colour": (_NOT_A_CXR, _("%(percent)s%% of the picture is strongly coloured "
                                     "(X-rays are grey).")),
    "not_cxr_tinted": (_NOT_A_CXR, _("the whole picture has a colour tint, as a phone photo of a "
                                     "screen or of a film has (X-ray files are grey). Please upload "
                                     "the original X-ray file.")),
    "not_cxr_camera_photo": (_NOT_A_CXR, _("its file says a camera took it (%(camera)s). A photo of "
                                           "an X-ray film or screen cannot be read reliably. Please "
                                           "upload the X-ray's own image file: ask the clinic or "
                                           "hospital that took the X-ray for a digital copy.")),
    "not_cxr_camera_photo_unnamed": (_NOT_A_CXR, _("its file says a camera took it. A photo of an "
                                                   "X-ray film or screen cannot be read reliably. "
                                                   "Please upload the X-ray's own image file: ask the "
                                                   "clinic or hospital that took the X-ray for a "
                                                   "digital copy.")),
    "not_cxr_modality": (_NOT_A_CXR, _("the DICOM header says its modality is %(modality)s, not a "
                                       "radiograph.")),
    "not_cxr_lateral": (_NOT_A_CXR, _("the DICOM header says it is a lateral view (%(view)s).")),
    "not_cxr_unlike_training": (_NOT_A_CXR, _("it differs too much from the X-rays the model was "
                                              "trained on.")),
    "not_cxr_verifier": (_NOT_A_CXR, _("it does not show a whole chest X-ray. It may be a photo "
                                       "of a screen, a part of an X-ray without both lungs, or a "
                                       "heavily processed picture. Please upload the original X-ray "
                                       "file.")),
    "not_cxr_orientation": _("This X-ray seems to be turned sideways or upside down, or stored as a "
                             "negative (bones dark), and it could not be turned the right way up "
                             "with confidence. Please upload it upright, with bones light and air "
                             "dark."),
    "uncertain": _("Uncertain: the highest probability (%(percent).1f%%, %(label)s) is below "
                   "%(threshold_percent)s%%, so no label is given."),
    "uncertain_measured": _("Uncertain: a radiologist should read this. The model leans to "
                            "%(label)s (%(percent).1f%%), but on X-rays from hospitals it never saw, "
                            "readings this unsure could not be shown to be right at least "
                            "%(target_percent)s%% of the time, so no label is given."),
    "refused_all_labels": _("Uncertain: a radiologist should read this. On X-rays from hospitals it "
                            "never saw, no confidence level could be shown to make this model's "
                            "readings right at least %(target_percent)s%% of the time, so it gives "
                            "no label at all."),
    "uncertain_site": _("Uncertain: a radiologist should read this. The model leans to %(label)s "
                        "(%(percent).1f%%), but on this site's own labelled X-rays, readings this "
                        "unsure could not be shown to be right at least %(target_percent)s%% of the "
                        "time, so no label is given."),
    "uncertain_site_set": _("Uncertain: a radiologist should read this. The model leans to "
                            "%(label)s (%(percent).1f%%), but calibrated on this site's own labelled "
                            "X-rays, its prediction set does not keep that class, so no label is "
                            "given."),
    "site_labels_nothing": _("Uncertain: a radiologist should read this. On this site's own "
                             "%(cases)s labelled X-rays, no confidence level could be shown to "
                             "make this model's readings right at least %(target_percent)s%% of the "
                             "time, so it gives no label at all."),
    "site_calibrated": _("Calibrated at this site on %(cases)s labelled X-rays (%(fitted)s): on "
                         "held-out halves of them, its labels were right %(labelled_percent).0f%% "
                         "of the time."),
    "site_calibrated_unmeasured": _("Calibrated at this site on %(cases)s labelled X-rays "
                                    "(%(fitted)s); too few of them to measure how often its labels "
                                    "are right."),
    "unfamiliar_image": _("This X-ray is unlike the images the model was trained on. On such "
                          "images from hospitals it never "
                          "saw, its readings were less accurate: treat this result with extra "
                          "caution."),
    "label_unverified_unseen_sources": _(
        "Treat with caution: on X-rays from hospitals it did not learn from, a model trained the "
        "same way was right %(source_percent).0f%% of the time (95%% CI "
        "%(source_low_percent).0f-%(source_high_percent).0f%%), compared with "
        "%(patient_percent).0f%% on new patients of the hospitals it learned from."),
    "label_unverified_unseen_class": _(
        "Treat with caution: when a model trained the same way said “%(label)s” on X-rays from "
        "hospitals it did not learn from, it was right %(right)s of %(said)s times "
        "(%(source_percent).0f%%; 95%% CI %(source_low_percent).0f-%(source_high_percent).0f%%), "
        "compared with %(patient_percent).0f%% on new patients of the hospitals it learned from."),
    "heatmap_off_lungs": _("Most of the heat map lies outside the lungs (only %(on_lungs_percent)s%% "
                           "on them): the reading may rest on something other than the lungs, such "
                           "as text, borders or devices. Look at where the heat map points before "
                           "giving the result any weight."),
    "corrected_rotation": _("The X-ray appeared to be turned %(angle)s degrees clockwise; it was "
                            "turned back before reading. Check that the picture shown is the right "
                            "way up."),
    "jpeg_strongly_compressed": _("This JPEG is strongly compressed (quality about %(quality)s; "
                                  "the model's training images were saved at %(training_quality)s "
                                  "or without loss). Compression changes the pixels, and in tests "
                                  "the model's readings changed with it: upload the original DICOM "
                                  "or PNG where you can."),
    "corrected_inversion": _("The X-ray appeared to be a negative (bones dark, air light); its grey "
                             "levels were inverted back before reading. Check that the picture "
                             "shown looks right."),
    "extra_frames": _("The file holds %(frames)s pictures; only the first was read."),
    "exif_unreadable": _("The EXIF orientation could not be read; the picture is shown as stored."),
    "high_bit_depth": _("High bit-depth image scaled to 8 bits."),
    "dicom_extra_frames": _("The DICOM file holds %(frames)s frames; only the first was read."),
    "dicom_window_invalid": _("The DICOM window width is invalid; the full range of values is "
                              "shown."),
    "dicom_body_part": _("The DICOM header names the body part %(body_part)s, not the chest."),
    "dicom_burned_in_text": _("The DICOM header says text is burned into the picture (Burned In "
                              "Annotation: YES): it may show the patient's name or other "
                              "identifying details, and it stays in the picture. Text on an X-ray "
                              "can also mislead the model."),
    "format_not_supported": _("%(format)s files are not supported; please upload %(supported)s."),
    "heic_not_supported": _("This is an HEIC photo (the format iPhones save photos in), which "
                            "cannot be read here; please upload %(supported)s. On an iPhone, share "
                            "or export the photo as JPEG, or choose Settings > Camera > Formats > "
                            "Most Compatible so that new photos are saved as JPEG. A photo of an "
                            "X-ray film or screen reads worse than the X-ray's own image file: "
                            "where you can, ask the clinic or hospital that took the X-ray for a "
                            "digital copy."),
    "not_an_image": _("This file is not a recognised image; please upload %(supported)s."),
    "dicom_no_image": _("This DICOM file holds no image (perhaps a report or a structured "
                        "document)."),
    "dicom_directory": _("This is the index of a CD or DVD (DICOMDIR), not an image: choose the "
                         "X-ray's own file in the disc's DICOM folder."),
    "dicom_cut_short": _("The DICOM file ends before its image is complete: it was probably cut "
                         "short while it was copied or sent. Please copy or export it again."),
    "dicom_colour_layout": _("DICOM colour layout %(layout)s is not supported."),
    "dicom_compression": _("This DICOM file is compressed as %(compression)s, which this server "
                           "cannot decode; please export it uncompressed or as PNG."),
    "empty_file": _("The file is empty."),
    "file_too_large": _("The file is too large (%(size_mib).1f MiB); the limit is "
                        "%(limit_mib).0f MiB."),
    "too_many_pixels": _("The image is too large; the limit is %(limit_megapixels).0f "
                         "megapixels."),
    "too_many_pixels_sized": _("The image is too large (%(width)s x %(height)s pixels); the limit "
                               "is %(limit_megapixels).0f megapixels."),
    "dicom_inflates_too_large": _("The DICOM file is compressed (deflate) and unpacks to more "
                                  "than %(limit_mib).0f MiB, the limit."),
    "too_large_to_decode": _("The image is too large to decode on this server."),
    "impossible_size": _("The image declares an impossible size (%(width)s x %(height)s)."),
    "damaged_file": _("The %(format)s file is damaged or incomplete: it may have been cut off "
                      "while it was copied or uploaded. Please copy or export it again, or ask for "
                      "a new copy of the file."),
    "no_picture": _("The %(format)s file holds no readable picture."),
    "card_intended_use": _("A screening aid that sorts frontal chest X-rays for review. It does "
                           "not diagnose: a clinician and an RT-PCR test decide."),
    "card_not_a_diagnosis": _("This is a screening aid, not a diagnosis. A clinician and an RT-PCR "
                              "test decide."),
    "card_source_shortcut": _("It was trained on public image collections in which the hospital "
                              "or collection is strongly tied to the class (COVID images from "
                              "COVID-only collections, normals mostly from NIH/RSNA). Part of its "
                              "accuracy may come from recognising the source; on images from other "
                              "hospitals or scanners it can be much less accurate."),
    "card_unfamiliar_errors": _("On X-rays unlike its training collections it can be wrong in any "
                               "direction, depending on the hospital. Trained the same way "
                               "without one group of collections at a time, it called about two "
                               "in three normal films of the largest collection 'pneumonia' and "
                               "half of one hospital's healthy children 'covid'; trained without "
                               "two collections, it called 245 of 268 adults with pneumonia "
                               "'normal'. For an image from an unfamiliar source no result is "
                               "reliable, 'normal' included."),
    "card_covid_meaning": _("'covid' means 'looks like the COVID-positive X-rays of the training "
                            "collections'. Many people with COVID-19 have a normal chest X-ray: a "
                            "'normal' result does not rule it out."),
    "card_label_noise": _("Pneumonia labels of the NIH images were mined from report text and are "
                          "partly wrong; the paediatric pneumonia images come from children aged "
                          "1-5 in one hospital."),
    "card_frontal_only": _("Only frontal (PA/AP) chest radiographs are in scope. Lateral views, CT, "
                           "other body parts, photos of screens or films give unreliable results "
                           "or are refused; the guard does not catch every phone photo of a film "
                           "lying on a table. Upload the X-ray's own image file."),
    "card_ood_guard": _("The guard against wrong pictures refused %(refused)s of %(test_images)s real "
                        "test X-rays and %(negative_refusal_percent).1f%% of a small set of non-X-ray "
                        "pictures. It refuses more X-rays from hospitals it never saw, and it cannot "
                        "recognise every wrong input."),
    "card_calibration": _("Probabilities are calibrated on validation images from the same "
                          "collections; on other sources they may be over-confident."),
    "card_calibration_unseen_sources": _(
        "Probabilities are calibrated on validation images from the same collections. On "
        "%(images)s X-rays from collections it never saw, the stated confidence of a model trained "
        "the same way was off by %(ece_points).0f percentage points on average (calibration error "
        "%(ece).2f), so its percentages cannot be taken at face value on X-rays from other "
        "hospitals."),
    "card_calibration_out_of_source": _(
        "Probabilities are calibrated on X-rays from hospitals the model never saw: %(groups)s "
        "groups of sources, each read by a model trained without it. There, "
        "%(coverage_percent).0f%% of X-rays got a label and %(accuracy_percent).0f%% of those "
        "labels were right (target %(target_percent).0f%%); calibration error %(ece).2f. A new "
        "hospital can differ from all of them: check the model on your own X-rays first."),
    "card_heatmap": _("The heat map shows which regions raised the score, not where disease is; "
                      "it may highlight text, markers or borders, which is a warning sign, not an "
                      "explanation."),
    "card_heatmap_measured": _("The heat map shows which regions raised the score, not where "
                               "disease is. On %(images)s X-rays with outlined lungs, "
                               "%(on_lungs_percent).0f%% of it lay on the lungs (an even spread: "
                               "%(even_percent).0f%%; a map of the lungs alone, at its coarse "
                               "resolution: %(best_percent).0f%%), and its hottest point was off "
                               "the lungs in %(peak_off_percent).0f%% of them "
                               "(%(covid_peak_off_percent).0f%% of the COVID images). Highlighted "
                               "text, markers or borders are a warning sign, not an explanation."),
    "not_a_file": _("%(path)s is not a file."),
    "cannot_read_file": _("Cannot read %(path)s: %(error)s."),
    "wrong_input_type": _("Expected bytes or a file path, got %(type)s."),
}

# The sentences above that tell a patient where the X-ray's own file comes from (the clinic that
# took it), worded for a verified doctor, who exports it from the imaging system instead.
FOR_DOCTORS = {
    "not_cxr_camera_photo": (_NOT_A_CXR, _("its file says a camera took it (%(camera)s). A photo of "
                                           "an X-ray film or screen cannot be read reliably. Please "
                                           "upload the X-ray's own image file: export it from the "
                                           "imaging system (PACS) as DICOM or PNG instead of "
                                           "photographing the film or screen.")),
    "not_cxr_camera_photo_unnamed": (_NOT_A_CXR, _("its file says a camera took it. A photo of an "
                                                   "X-ray film or screen cannot be read reliably. "
                                                   "Please upload the X-ray's own image file: export "
                                                   "it from the imaging system (PACS) as DICOM or PNG "
                                                   "instead of photographing the film or screen.")),
    "heic_not_supported": _("This is an HEIC photo (the format iPhones save photos in), which "
                            "cannot be read here; please upload %(supported)s. On an iPhone, share "
                            "or export the photo as JPEG, or choose Settings > Camera > Formats > "
                            "Most Compatible so that new photos are saved as JPEG. A photo of an "
                            "X-ray film or screen reads worse than the X-ray's own image file: "
                            "where you can, export the X-ray from the imaging system (PACS) as "
                            "DICOM or PNG instead of photographing it."),
}


# A fixed-point field such as %(limit).1f: Python's %-format always writes a decimal point.
_DECIMAL_FIELD = re.compile(r"%\((\w+)\)\.(\d+)f")


def _fill(template: str, params: dict) -> str:
    """`template % params`, with each %(name).Nf number written the active language's way
    (95,9 in Indonesian, 95.9 in English), as the page's own numbers are."""
    params = dict(params)
    for name, digits in _DECIMAL_FIELD.findall(template):
        if isinstance(params.get(name), (int, float)) and not isinstance(params[name], bool):
            # number_format cuts extra digits off; round first, as %-format does.
            params[name] = number_format(round(params[name], int(digits)), decimal_pos=int(digits))
    return _DECIMAL_FIELD.sub(r"%(\1)s", template) % params


def calibration_date(fitted_at: str) -> str:
    """A site calibration's fitting date (ISO, as `validate-site --calibration-out` writes it) as
    the pages write dates; a date that is not ISO is shown as written rather than dropped."""
    try:
        return date_format(datetime.date.fromisoformat(fitted_at), "DATE_FORMAT")
    except ValueError:
        return fitted_at


def translate(code: str | None, params: dict | None, english: str, *, doctor: bool = False) -> str:
    """The sentence for `code` in the active language; `english` if the code is unknown. A
    `doctor` (the uploader is a verified doctor) gets the FOR_DOCTORS wording where there is one."""
    template = (FOR_DOCTORS.get(code or "") if doctor else None) or TRANSLATIONS.get(code or "")
    if template is None:
        return english
    params = dict(params or {})
    if "label" in params:
        params["label"] = class_name(params["label"])
    if params.get("supported") == SUPPORTED:  # the decoder's list, in English ("... or DICOM")
        params["supported"] = _("PNG, JPEG, TIFF, BMP or DICOM")
    if isinstance(params.get("fitted"), str):
        params["fitted"] = calibration_date(params["fitted"])
    try:
        if isinstance(template, tuple):  # "This does not look like ...: <why>"
            headline, why = template
            return f"{headline}: {_fill(str(why), params)}"
        return _fill(str(template), params)
    except (KeyError, TypeError, ValueError):  # parameters from another engine version
        return english


def notice_text(notice, *, doctor: bool = False) -> str:
    """A live Notice, a stored one (`as_dict()`) or plain text, in the active language; worded
    for a verified doctor when `doctor` (see `translate`)."""
    if isinstance(notice, dict):
        return translate(notice.get("code"), notice.get("params"), notice.get("text", ""), doctor=doctor)
    return translate(getattr(notice, "code", None), getattr(notice, "params", None), str(notice),
                     doctor=doctor)


# A class key quoted in the card's prose ('covid', “normal”): the model's label, to be shown as
# the rest of the app names it.
QUOTED_CLASS = re.compile(r"['‘“](covid|pneumonia|normal)['’”]")


def with_class_names(text: str) -> str:
    """`text` (a limitation of the card, in English or translated) with each quoted class key
    written as the app writes that class: 'covid' -> “COVID-19”."""
    return QUOTED_CLASS.sub(lambda m: f"“{class_name(m.group(1))}”", str(text))


def card_limitations(card: ModelCard | None) -> tuple[list[str], bool]:
    """The model card's limitations in the active language, classes named as the app names them
    (How it works, the reading page, the printable report and the PDF alike), and whether they
    are still English (a card exported before limitations carried codes has only the English
    `limitations`)."""
    texts, in_english = _card_limitations(card)
    return [with_class_names(text) for text in texts], in_english


def _card_limitations(card: ModelCard | None) -> tuple[list[str], bool]:
    if card is None:
        return [], True
    if card.limitation_notices:
        return [notice_text(item) for item in card.limitation_notices], False
    return [str(text) for text in card.limitations], True


def card_intended_use(card: ModelCard | None) -> str:
    """The card's intended use, translated when it is the engine's standard sentence."""
    from cxr.inference.notices import ENGLISH

    text = str((card.intended_use if card else None) or "")
    return translate("card_intended_use", {}, text) if text == ENGLISH["card_intended_use"] else text


def stored(notice) -> dict:
    """What a reading stores for a notice: code, parameters and the English text."""
    if hasattr(notice, "as_dict"):
        return notice.as_dict()
    return {"code": "", "params": {}, "text": str(notice)}


# While the site's own calibration (CXR_SITE_CALIBRATION) cannot be used, screening is off: the
# model is installed, so "no model is installed" would send the administrator the wrong way.
SITE_CALIBRATION_PROBLEMS = {
    "other_model": _("It was fitted on the readings of model %(fitted)s, and the installed model "
                     "is %(installed)s."),
    "other_classes": _("It is for the classes %(fitted)s, and the installed model has the classes "
                       "%(installed)s."),
    "unusable": _("Its file cannot be read, or it is not a site calibration."),
}


def site_calibration_unusable(error) -> dict[str, str]:
    """What screening says, in the active language, while the configured site calibration cannot
    be used: `title`, `message` (for everyone), `why` (the engine's SiteCalibrationError, worded
    by its code, as `manage.py model_status` says it in English) and `fix` (for administrators)."""
    code = getattr(error, "code", "unusable")
    params = dict(getattr(error, "params", None) or {})
    if code == "other_classes":  # the card's class keys, as model_status and the files name them
        params = {key: ", ".join(map(str, value)) for key, value in params.items()}
    try:
        why = str(SITE_CALIBRATION_PROBLEMS[code]) % params
    except (KeyError, TypeError, ValueError):  # a code or parameters of another engine version
        why = str(SITE_CALIBRATION_PROBLEMS["unusable"])
    return {
        "title": str(_("The site calibration cannot be used")),
        "message": str(_("This server is set to read X-rays through this site's own calibration, "
                         "which cannot be used with the installed model, so it cannot read X-rays "
                         "until an administrator fixes it.")),
        "why": why,
        "fix": str(_("Administrators: fit it again for the installed model (python -m cxr "
                     "validate-site … --calibration-out), or unset CXR_SITE_CALIBRATION to read "
                     "X-rays with the model card's own calibration.")),
    }
