"""Notices: the engine's sentences for people, each with a stable code and its parameters.

Every refusal reason, "uncertain" explanation, warning and error message that `cxr.inference`
produces is a `Notice`: a plain `str` holding the English sentence (what the CLI prints, what logs
and JSON see), which also carries `code` and `params`. An application that speaks other languages
translates by code and fills in the parameters (the web app does: webapp/screening/engine_text.py);
everything else can ignore the codes and use the text.

All English sentences live in `ENGLISH` below, so the list of codes is the engine's interface:
renaming a code makes translations fall back to English (a web test checks every code has one).
Parameters are plain JSON values (numbers, short strings), so a stored notice can be translated
again later, in whatever language the reader chooses then.
"""
from __future__ import annotations

NOT_A_CXR = "This does not look like a frontal chest X-ray"

ENGLISH: dict[str, str] = {
    # Why a picture is refused as "not a chest X-ray" (cxr.inference.guard.detectors, predictor).
    "not_cxr_too_small": NOT_A_CXR + ": the picture is only {width} x {height} pixels.",
    "not_cxr_blank": NOT_A_CXR + ": the picture is blank or nearly uniform.",
    "not_cxr_colour": NOT_A_CXR + ": {percent}% of the picture is strongly coloured (X-rays are grey).",
    "not_cxr_tinted": NOT_A_CXR + ": the whole picture has a colour tint, as a phone photo of a "
    "screen or of a film has (X-ray files are grey). Please upload the original X-ray file.",
    "not_cxr_camera_photo": NOT_A_CXR + ": its file says a camera took it ({camera}). A photo of an "
    "X-ray film or screen cannot be read reliably. Please upload the X-ray's own image file: ask "
    "the clinic or hospital that took the X-ray for a digital copy.",
    "not_cxr_camera_photo_unnamed": NOT_A_CXR + ": its file says a camera took it. A photo of an "
    "X-ray film or screen cannot be read reliably. Please upload the X-ray's own image file: ask "
    "the clinic or hospital that took the X-ray for a digital copy.",
    "not_cxr_modality": NOT_A_CXR + ": the DICOM header says its modality is {modality}, not a radiograph.",
    "not_cxr_lateral": NOT_A_CXR + ": the DICOM header says it is a lateral view ({view}).",
    "not_cxr_unlike_training": NOT_A_CXR + ": it differs too much from the X-rays the model was "
    "trained on.",
    "not_cxr_verifier": NOT_A_CXR + ": it does not show a whole chest X-ray. It may be a photo of a "
    "screen, a part of an X-ray without both lungs, or a heavily processed picture. Please upload "
    "the original X-ray file.",
    "not_cxr_orientation": "This X-ray seems to be turned sideways or upside down, or stored as a "
    "negative (bones dark), and it could not be turned the right way up with confidence. Please "
    "upload it upright, with bones light and air dark.",
    # Why a chest X-ray gets no label.
    "uncertain": "Uncertain: the highest probability ({percent:.1f}%, {label}) is below "
    "{threshold_percent}%, so no label is given.",
    "uncertain_measured": "Uncertain: a radiologist should read this. The model leans to {label} "
    "({percent:.1f}%), but on X-rays from hospitals it never saw, readings this unsure could not be "
    "shown to be right at least {target_percent}% of the time, so no label is given.",
    "refused_all_labels": "Uncertain: a radiologist should read this. On X-rays from hospitals it "
    "never saw, no confidence level could be shown to make this model's readings right at least "
    "{target_percent}% of the time, so it gives no label at all.",
    "uncertain_site": "Uncertain: a radiologist should read this. The model leans to {label} "
    "({percent:.1f}%), but on this site's own labelled X-rays, readings this unsure could not be "
    "shown to be right at least {target_percent}% of the time, so no label is given.",
    "uncertain_site_set": "Uncertain: a radiologist should read this. The model leans to {label} "
    "({percent:.1f}%), but calibrated on this site's own labelled X-rays, its prediction set does "
    "not keep that class, so no label is given.",
    "site_labels_nothing": "Uncertain: a radiologist should read this. On this site's own {cases} "
    "labelled X-rays, no confidence level could be shown to make this model's readings right at "
    "least {target_percent}% of the time, so it gives no label at all.",
    # Warnings: the picture was read, with a caveat.
    "extra_frames": "The file holds {frames} pictures; only the first was read.",
    "exif_unreadable": "The EXIF orientation could not be read; the picture is shown as stored.",
    "high_bit_depth": "High bit-depth image scaled to 8 bits.",
    "dicom_extra_frames": "The DICOM file holds {frames} frames; only the first was read.",
    "dicom_window_invalid": "The DICOM window width is invalid; the full range of values is shown.",
    "dicom_body_part": "The DICOM header names the body part {body_part}, not the chest.",
    "dicom_burned_in_text": "The DICOM header says text is burned into the picture (Burned In "
    "Annotation: YES): it may show the patient's name or other identifying details, and it stays "
    "in the picture. Text on an X-ray can also mislead the model.",
    "unfamiliar_image": "This X-ray is unlike the images the model was trained on. On such "
    "images from hospitals it never saw, its readings "
    "were less accurate: treat this result with extra caution.",
    # Under every label of a model without an out-of-source fit, patients read it too: plain words.
    "label_unverified_unseen_sources": "Treat with caution: on X-rays from hospitals it did not "
    "learn from, a model trained the same way was right {source_percent:.0f}% of the time (95% CI "
    "{source_low_percent:.0f}-{source_high_percent:.0f}%), compared with {patient_percent:.0f}% on "
    "new patients of the hospitals it learned from.",
    "label_unverified_unseen_class": "Treat with caution: when a model trained the same way said "
    "“{label}” on X-rays from hospitals it did not learn from, it was right {right} of {said} "
    "times ({source_percent:.0f}%; 95% CI {source_low_percent:.0f}-{source_high_percent:.0f}%), "
    "compared with {patient_percent:.0f}% on new patients of the hospitals it learned from.",
    "site_calibrated": "Calibrated at this site on {cases} labelled X-rays ({fitted}): on held-out "
    "halves of them, its labels were right {labelled_percent:.0f}% of the time.",
    "site_calibrated_unmeasured": "Calibrated at this site on {cases} labelled X-rays ({fitted}); too "
    "few of them to measure how often its labels are right.",
    "heatmap_off_lungs": "Most of the heat map lies outside the lungs (only {on_lungs_percent}% "
    "on them): the reading may rest on something other than the lungs, such as text, borders or "
    "devices. Look at where the heat map points before giving the result any weight.",
    "corrected_rotation": "The X-ray appeared to be turned {angle} degrees clockwise; it was turned "
    "back before reading. Check that the picture shown is the right way up.",
    "jpeg_strongly_compressed": "This JPEG is strongly compressed (quality about {quality}; the "
    "model's training images were saved at {training_quality} or without loss). Compression "
    "changes the pixels, and in tests the model's readings changed with it: upload the original "
    "DICOM or PNG where you can.",
    "corrected_inversion": "The X-ray appeared to be a negative (bones dark, air light); its grey "
    "levels were inverted back before reading. Check that the picture shown looks right.",
    # Errors: the file could not be read as an image (cxr.inference.errors).
    "format_not_supported": "{format} files are not supported; please upload {supported}.",
    "heic_not_supported": "This is an HEIC photo (the format iPhones save photos in), which cannot "
    "be read here; please upload {supported}. On an iPhone, share or export the photo as JPEG, or "
    "choose Settings > Camera > Formats > Most Compatible so that new photos are saved as JPEG. A "
    "photo of an X-ray film or screen reads worse than the X-ray's own image file: where you can, "
    "ask the clinic or hospital that took the X-ray for a digital copy.",
    "not_an_image": "This file is not a recognised image; please upload {supported}.",
    "dicom_no_image": "This DICOM file holds no image (perhaps a report or a structured document).",
    "dicom_directory": "This is the index of a CD or DVD (DICOMDIR), not an image: choose the "
    "X-ray's own file in the disc's DICOM folder.",
    "dicom_cut_short": "The DICOM file ends before its image is complete: it was probably cut "
    "short while it was copied or sent. Please copy or export it again.",
    "dicom_colour_layout": "DICOM colour layout {layout} is not supported.",
    "dicom_compression": "This DICOM file is compressed as {compression}, which this server cannot "
    "decode; please export it uncompressed or as PNG.",
    "empty_file": "The file is empty.",
    "file_too_large": "The file is too large ({size_mib:.1f} MiB); the limit is {limit_mib:.0f} MiB.",
    "too_many_pixels": "The image is too large; the limit is {limit_megapixels:.0f} megapixels.",
    "too_many_pixels_sized": "The image is too large ({width} x {height} pixels); the limit is "
    "{limit_megapixels:.0f} megapixels.",
    "dicom_inflates_too_large": "The DICOM file is compressed (deflate) and unpacks to more than "
    "{limit_mib:.0f} MiB, the limit.",
    "too_large_to_decode": "The image is too large to decode on this server.",
    "impossible_size": "The image declares an impossible size ({width} x {height}).",
    # The decoder's own error text (English, technical) is in params["detail"] and the log, not
    # in the sentence: a reader of another language would get it untranslated.
    "damaged_file": "The {format} file is damaged or incomplete: it may have been cut off while it "
    "was copied or uploaded. Please copy or export it again, or ask for a new copy of the file.",
    "no_picture": "The {format} file holds no readable picture.",
    # The model card's intended use and limitations (written by cxr.export.bundle, shown by the app).
    "card_intended_use": "A screening aid that sorts frontal chest X-rays for review. It does not "
    "diagnose: a clinician and an RT-PCR test decide.",
    "card_not_a_diagnosis": "This is a screening aid, not a diagnosis. A clinician and an RT-PCR "
    "test decide.",
    "card_source_shortcut": "It was trained on public image collections in which the hospital or "
    "collection is strongly tied to the class (COVID images from COVID-only collections, normals "
    "mostly from NIH/RSNA). Part of its accuracy may come from recognising the source; on images "
    "from other hospitals or scanners it can be much less accurate.",
    "card_unfamiliar_errors": "On X-rays unlike its training collections it can be wrong in any "
    "direction, depending on the hospital. Trained the same way without one group of collections "
    "at a time, it called about two in three normal films of the largest collection 'pneumonia' "
    "and half of one hospital's healthy children 'covid'; trained without two collections, it "
    "called 245 of 268 adults with pneumonia 'normal'. For an image from an unfamiliar source no "
    "result is reliable, 'normal' included.",
    "card_covid_meaning": "'covid' means 'looks like the COVID-positive X-rays of the training "
    "collections'. Many people with COVID-19 have a normal chest X-ray: a 'normal' result does "
    "not rule it out.",
    "card_label_noise": "Pneumonia labels of the NIH images were mined from report text and are "
    "partly wrong; the paediatric pneumonia images come from children aged 1-5 in one hospital.",
    "card_frontal_only": "Only frontal (PA/AP) chest radiographs are in scope. Lateral views, CT, "
    "other body parts, photos of screens or films give unreliable results or are refused; the "
    "guard does not catch every phone photo of a film lying on a table. Upload the X-ray's own "
    "image file.",
    "card_ood_guard": "The guard against wrong pictures refused {refused} of {test_images} real test "
    "X-rays and {negative_refusal_percent:.1f}% of a small set of non-X-ray pictures. It refuses "
    "more X-rays from hospitals it never saw, and it cannot recognise every wrong input.",
    "card_calibration": "Probabilities are calibrated on validation images from the same "
    "collections; on other sources they may be over-confident.",
    "card_calibration_unseen_sources": "Probabilities are calibrated on validation images from the "
    "same collections. On {images} X-rays from collections it never saw, the stated confidence of a "
    "model trained the same way was off by {ece_points:.0f} percentage points on average "
    "(calibration error {ece:.2f}), so its percentages cannot be taken at face value on X-rays "
    "from other hospitals.",
    "card_calibration_out_of_source": "Probabilities are calibrated on X-rays from hospitals the "
    "model never saw: {groups} groups of sources, each read by a model trained without it. There, "
    "{coverage_percent:.0f}% of X-rays got a label and {accuracy_percent:.0f}% of those labels "
    "were right (target {target_percent:.0f}%); calibration error {ece:.2f}. A new hospital can "
    "differ from all of them: check the model on your own X-rays first.",
    "card_heatmap": "The heat map shows which regions raised the score, not where disease is; it "
    "may highlight text, markers or borders, which is a warning sign, not an explanation.",
    "card_heatmap_measured": "The heat map shows which regions raised the score, not where disease "
    "is. On {images} X-rays with outlined lungs, {on_lungs_percent:.0f}% of it lay on the lungs "
    "(an even spread: {even_percent:.0f}%; a map of the lungs alone, at its coarse resolution: "
    "{best_percent:.0f}%), and its hottest point was off the lungs in {peak_off_percent:.0f}% of "
    "them ({covid_peak_off_percent:.0f}% of the COVID images). Highlighted text, markers or "
    "borders are a warning sign, not an explanation.",
    # Only for paths (the CLI and scripts), never for uploads.
    "not_a_file": "{path} is not a file.",
    "cannot_read_file": "Cannot read {path}: {error}.",
    "wrong_input_type": "Expected bytes or a file path, got {type}.",
}


class Notice(str):
    """An English sentence (the `str` itself) with the `code` and `params` it was made from."""

    code: str
    params: dict

    def __new__(cls, code: str, **params) -> Notice:
        notice = super().__new__(cls, ENGLISH[code].format(**params))
        notice.code = code
        notice.params = params
        return notice

    def __reduce__(self):
        # Keeps code and params through pickling (multiprocessing, caches).
        return _rebuild, (self.code, self.params)

    def as_dict(self) -> dict:
        """For storage: enough to translate it again later, and the English text as a fallback."""
        return {"code": self.code, "params": dict(self.params), "text": str(self)}


def _rebuild(code: str, params: dict) -> Notice:
    return Notice(code, **params)
