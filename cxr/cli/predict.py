"""`python -m cxr predict [--model DIR] [--site-calibration FILE] IMAGE... [--json]`: read chest
X-rays from the command line (--site-calibration, default $CXR_SITE_CALIBRATION: read through
this site's calibration, from `validate-site --calibration-out`).

With --json, one JSON object per image and line, in the order given, written as ASCII (other
characters escaped, so every line is valid JSON whatever the locale or the file names):
  {"file", "label", "probabilities", "rejected", "reason", "prediction_set", "uncertain",
   "warnings"}
`prediction_set` lists the classes the site calibration's sets keep when one is given, else the
card's conformal fit (a target: out of source the sets held the true class less often, as the
card records; a class outside the set is not ruled out); null with neither (a card with no
out-of-source fit and no site calibration), and for a refused picture
(the sets were fitted on chest X-rays only); `uncertain` is true for an X-ray that was
read but gets no label; `warnings` is a list of {"code", "message"} (code `unfamiliar_image`:
the X-ray is unlike the training images). `label` is null when uncertain or refused.
An unreadable file gets its own line with label null, probabilities null, rejected true, the
error message as reason and an extra "error" key (the ImageError code); the other files are still
read (a folder given as IMAGE is such a file; the table's note says to name its files, DIR/*).
Without --json, a table: one row per file (the reason of a refusal or an unreadable file in its
note; a refused picture's row shows no probabilities, which were never a reading of a chest
X-ray), each warning's message on a line of its own under it, then the disclaimer.
Exit status: 0 when every file was read (refusals included), 2 when any file was unreadable,
1 when no model is installed, the model folder is damaged, the site calibration does not fit
it or $CXR_ORT_THREADS is not a number of threads. No torch is imported.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

CHUNK = 16  # files decoded and run together; output streams chunk by chunk
DISCLAIMER = "Screening aid only, not a diagnosis: a clinician and an RT-PCR test decide."


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="read chest X-ray images with the exported model (no torch needed)",
        description="Read images (PNG, JPEG, TIFF, BMP, DICOM) with an exported model directory. "
                    "Prints a table (one row per file: its label or why it has none, the "
                    "probabilities, each warning on a line under it) and the disclaimer; with --json, "
                    "one JSON object per image and line instead (file, label, probabilities, rejected, "
                    "reason, prediction_set, uncertain, warnings; an unreadable file's also has error). "
                    + DISCLAIMER,
        epilog="Exit status: 0 when every file was read (refusals included), 2 when any file could "
               "not be read (the others are still read), 1 when no model is installed, the model "
               "folder is damaged, the site calibration does not fit it or $CXR_ORT_THREADS is not a "
               "number of threads. No torch is imported.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="image files. A folder is not expanded (it is an unreadable file): name "
                             "its files, DIR/*")
    # --model-dir too: the name `trust` and `lung-field` give the same kind of folder.
    parser.add_argument("--model", "--model-dir", type=Path, dest="model",
                        help="model directory (default: $CXR_MODEL_DIR or models/bundled)")
    parser.add_argument("--json", action="store_true", help="one JSON object per image per line")
    parser.add_argument("--site-calibration", type=Path, metavar="FILE",
                        default=os.environ.get("CXR_SITE_CALIBRATION") or None,
                        help="read through this site's calibration (`validate-site --calibration-out`; "
                             "default: $CXR_SITE_CALIBRATION)")
    parser.set_defaults(handler=run)


def unreadable_json(file: str, error) -> dict:
    from cxr.cli.wording import cli_text

    return {"file": file, "label": None, "probabilities": None, "rejected": True,
            "reason": cli_text(error.message), "prediction_set": None, "uncertain": False, "warnings": [],
            "error": error.code}


def reading_json(file: str, prediction) -> dict:
    """The JSON line of a read file: Prediction.to_json, its sentences as the command line says
    them (cxr.cli.wording: "use the original X-ray file", not the web's "please upload")."""
    from cxr.cli.wording import cli_text

    row = {"file": file, **prediction.to_json()}
    row["reason"] = cli_text(prediction.reason) if prediction.reason is not None else None
    row["warnings"] = [{"code": getattr(w, "code", None), "message": cli_text(w)} for w in prediction.warnings]
    return row


def run(args) -> int:
    from cxr.cli.loading import load_predictor
    from cxr.inference import ImageError

    # Status 1, the documented "no model" status, also for a damaged model folder.
    predictor = load_predictor(args.model, args.site_calibration, code=1, option="--model")
    any_unreadable = False
    if not args.json:
        _escape_what_stdout_cannot_encode()
        print(_table_header(predictor.classes))
    for start in range(0, len(args.images), CHUNK):
        files = args.images[start:start + CHUNK]
        for file, result in zip(files, predictor.predict_batch(files, errors="return"), strict=True):
            if isinstance(result, ImageError):
                any_unreadable = True
                row = unreadable_json(file, result)
            else:
                row = reading_json(file, result)
            # ASCII JSON: a valid line in any locale, also for file names that are not UTF-8.
            print(json.dumps(row, ensure_ascii=True) if args.json else _table_row(row, predictor.classes),
                  flush=True)
    if not args.json:
        calibrated_on = ("X-rays from sources the model never saw" if predictor.trust
                         else "validation images of the training sources")
        if predictor.site:
            calibrated_on = (f"{predictor.site.cases} labelled X-rays of this site "
                             f"({predictor.site.fitted_at})")
        print(f"\nmodel {predictor.version}. {DISCLAIMER} Probabilities are calibrated on "
              f"{calibrated_on}.")
    return 2 if any_unreadable else 0


def _escape_what_stdout_cannot_encode() -> None:
    """The table names files as given: one that is not UTF-8, or a terminal that is ASCII only,
    shows escapes (\\xe9, \\udce9) rather than ending in a UnicodeEncodeError."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def _table_header(classes: list[str]) -> str:
    return f"{'file':<40} {'label':<10} " + " ".join(f"{c:>9}" for c in classes) + "  note"


def _table_row(row: dict, classes: list[str]) -> str:
    name = row["file"] if len(row["file"]) <= 40 else "..." + row["file"][-37:]
    # A refused picture's probabilities are the model's output on what is not a chest X-ray: in
    # the table they would read as a result ("0.696 pneumonia"), so its row shows none. (The JSON
    # keeps them: other tools read that contract.)
    probs = None if row["rejected"] else row["probabilities"]
    cells = " ".join(f"{probs[c]:>9.3f}" if probs else f"{'-':>9}" for c in classes)
    note = ""
    if row.get("error"):
        note = f"UNREADABLE: {row['reason']}"
        if os.path.isdir(row["file"]):  # predict reads files: the folder's X-rays are named one by one
            note += f" To read the X-rays in a folder, name its files: {os.path.join(row['file'], '*')}"
    elif row["rejected"]:
        note = f"REFUSED: {row['reason']}"
    elif row["label"] is None:
        note = row["reason"] or ""
    line = f"{name:<40} {row['label'] or '-':<10} {cells}  {note}".rstrip()
    # Each warning on its own line under the row: the JSON's `warnings`, in the same words.
    return "\n".join([line, *(f"    warning: {w['message']}" for w in row["warnings"])])
