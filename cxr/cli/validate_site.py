"""`python -m cxr validate-site FOLDER --labels labels.csv`: check the model at your hospital.

labels.csv has a `file` column (relative to FOLDER) and a `label` column (covid, pneumonia or
normal: the diagnosis established independently of this model), read as the web app's site check
reads its labels (cxr.inference.site_check.read_labels_csv: a comma, semicolon or tab between the
columns, their names in any case, Windows paths). Every file is read as the app
reads it; the report compares the local numbers with the model card's (its out-of-source fit's
labelled readings; a card without one, its accuracy on new patients of its training
collections) and ends in a plain verdict that says what to do next, with how many more cases
would decide it (cxr.inference.site_check.verdict). Writes report.json, report.md,
reliability.png and cases.csv (every case: what the model said, its chances, prediction set and
warnings) into --out. Files that could not be read are listed with their error code and reason
on stderr, in report.md and in report.json (`unreadable_files`); files refused as not a chest
X-ray in report.md and report.json (`refused_files`).

`--calibration-out FILE` also fits this site's calibration on the cases (at least 40 read):
prediction sets, label threshold and a per-class rescaling fitted on the site's own X-rays
(cxr.inference.site_calibration). `predict --site-calibration FILE` and the web app
(`CXR_SITE_CALIBRATION`) then read every X-ray through it. `--site-calibration FILE` instead
validates readings made through an existing calibration, on new labelled cases.

Every path of labels.csv must lie inside FOLDER (absolute paths and `..` are refused). A rerun
into the same --out first removes the previous run's files there (report.json, report.md,
reliability.png, cases.csv), so none stays beside a report that does not describe it.

Exit status 0 when the report (and any calibration asked for) was written, 2 on bad input
(including a FOLDER from which none of the listed files could be read: no report is written), 3
when the report was written but too few cases were read for a calibration.
"""
from __future__ import annotations

import argparse
import csv
import json
import posixpath
import sys
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from cxr.cli.errors import (
    CliError,
    bootstrap_resamples,
    existing_file,
    existing_folder,
    writable_file,
    writable_folder,
)
from cxr.labels import TASKS

# Beside report.md: every case and what the model said about it.
CASES_CSV = "cases.csv"
# Every file the command writes into --out (a rerun removes the previous run's first).
OUTPUTS = ("report.json", "report.md", "reliability.png", CASES_CSV)
# Refused files listed by name in report.md before "and N more" (all are in CASES_CSV).
MAX_LISTED = 20
# cxr.evaluation.local_calibration.MIN_SITE_CASES, for --help (which must not need the [train]
# extra that module imports); a test keeps the two equal.
MIN_CALIBRATION_CASES = 40


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("validate-site", help="measure the model on your labelled X-rays")
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="folder holding the X-ray files")
    parser.add_argument("--labels", type=Path, required=True, metavar="CSV",
                        help="CSV with the columns file and label (separated by commas, semicolons or "
                             "tabs; named in any case; read as the web app's site check reads it), one "
                             "row per X-ray: file is its path "
                             "relative to FOLDER (e.g. ward2/0001.png); label is the diagnosis "
                             "established without this model, one of the model's classes: "
                             f"{', '.join(TASKS['3class'])} (a binary model: {' or '.join(TASKS['binary'])}). "
                             "Case and the spellings `cxr data import` accepts for class folders are allowed "
                             "(COVID-19, Viral Pneumonia, healthy, ...)")
    # --model-dir too: the name `trust` and `lung-field` give the same kind of folder.
    parser.add_argument("--model", "--model-dir", type=Path, dest="model",
                        help="model directory (default: $CXR_MODEL_DIR or models/bundled)")
    parser.add_argument("--out", type=Path, default=Path("var/site-validation"),
                        help="folder for report.md, report.json, reliability.png and cases.csv "
                             "(default: var/site-validation)")
    parser.add_argument("--n-boot", type=bootstrap_resamples, default=1000,
                        help="bootstrap resamples for the 95%% intervals (at least 10; default 1000)")
    calibration = parser.add_mutually_exclusive_group()
    calibration.add_argument("--calibration-out", type=Path, metavar="FILE",
                             help="also fit this site's calibration on these cases and write it here; "
                                  f"needs at least {MIN_CALIBRATION_CASES} read X-rays (refused and "
                                  "unreadable files do not count): with fewer, the report is written, the "
                                  "calibration is not, and the exit status is 3")
    calibration.add_argument("--site-calibration", type=Path, metavar="FILE",
                             help="validate readings made through this site calibration (new cases)")
    parser.add_argument("--site", default="", help="a name for the site, kept in the calibration")
    parser.set_defaults(handler=run)


def read_labels(path: Path, classes: list[str]) -> list[tuple[str, str]]:
    """(file, label) rows; raises ValueError naming the first bad row, or every file named twice
    (each X-ray is one case: a repeated row would count twice and narrow every interval). The file
    is read as the web app's site check reads it (cxr.inference.site_check.read_labels_csv:
    columns separated by a comma, semicolon or tab and named in any case, Windows paths); a label
    may be spelt as `cxr data import` maps class folders (cxr.labels.class_label: COVID-19 ->
    covid, Viral Pneumonia -> pneumonia, ...). OSError when the file cannot be read."""
    from cxr.inference.site_check import LabelsFileError, read_labels_csv

    try:
        label_rows = read_labels_csv(path.read_bytes())
    except LabelsFileError as exc:
        raise ValueError(_labels_file_problem(path, exc)) from None
    rows, lines = [], {}
    for row in label_rows:
        if row.truth not in classes:
            raise ValueError(f"{path}, line {row.line}: label {row.label!r} is not one of {classes} "
                             "(or a spelling of one that `cxr data import` accepts, such as COVID-19)")
        if not row.file:
            raise ValueError(f"{path}, line {row.line}: no file name")
        if outside_folder(row.file):
            raise ValueError(f"{path}, line {row.line}: {row.file} is not inside the X-ray folder: give "
                             "each file's path relative to FOLDER (e.g. ward2/0001.png)")
        lines.setdefault(posixpath.normpath(row.file), []).append(row.line)
        rows.append((row.file, row.truth))
    if not rows:
        raise ValueError(f"{path} lists no files")
    repeated = [(name, numbers) for name, numbers in lines.items() if len(numbers) > 1]
    if repeated:
        shown = "; ".join(f"{name} on lines {', '.join(map(str, numbers))}" for name, numbers in repeated[:5])
        more = f" (and {len(repeated) - 5} more files)" if len(repeated) > 5 else ""
        raise ValueError(f"{path} names {len(repeated)} file(s) more than once: {shown}{more}. List each "
                         "X-ray once, with the one diagnosis established for it")
    return rows


def _labels_file_problem(path: Path, exc) -> str:
    """The command line's sentence for a labels file that is not a labels CSV (LabelsFileError)."""
    if exc.code == "not_utf8":
        return (f"{path} is not UTF-8 text (byte {exc.params['byte']:#04x} at position {exc.params['position']}): "
                "save it as UTF-8 (in a spreadsheet: CSV UTF-8)")
    if exc.code == "no_columns":
        return (f"{path} needs the columns file,label in its first line, separated by commas, semicolons or "
                f"tabs (has: {', '.join(exc.params['columns']) or 'nothing'})")
    return f"{path}, line {exc.params['line']}: not readable as CSV ({exc.params['problem']})"


def outside_folder(name: str) -> bool:
    """Whether a labels file's path leaves the X-ray folder: absolute (/etc/passwd, C:\\x.png) or
    climbing out of it (../x.png, ward/../../x.png)."""
    posix = name.replace("\\", "/")
    return (PurePosixPath(posix).is_absolute() or bool(PureWindowsPath(name).drive)
            or posixpath.normpath(posix).split("/")[0] == "..")


def run(args: argparse.Namespace) -> int:
    try:  # the report's figures and statistics: the [train] extra, not the web app's install
        from cxr.evaluation.markdown import format_estimate, table
        from cxr.evaluation.plots import plot_reliability
        from cxr.evaluation.site_validation import validate
    except ImportError as exc:
        raise CliError(f"validate-site needs the training extra for its report ({exc}): install it "
                       "with `pip install '.[train]'` (or `make install-test`)") from None
    from cxr.cli.wording import cli_text
    from cxr.inference import ImageError
    from cxr.inference.card import json_safe
    from cxr.inference.site_check import CALIBRATION_BINS, SiteCase, card_figures, counted

    predictor, rows = check_inputs(args)
    results = predictor.predict_batch([args.folder / name for name, _ in rows], errors="return")
    unreadable = [{"file": name, "error": r.code, "message": cli_text(r.message)}
                  for (name, _), r in zip(rows, results, strict=True) if isinstance(r, ImageError)]
    if len(unreadable) == len(rows):  # a wrong FOLDER, not a site with too few cases
        first = args.folder / unreadable[0]["file"]
        example = unreadable[0]["message"]
        raise CliError(f"none of the {len(rows)} files listed in {args.labels} could be read from "
                       f"{args.folder} (the first: {example if str(first) in example else f'{first}: {example}'}): "
                       "is it the folder the file column's paths are relative to?")
    if unreadable:
        print(f"could not read {len(unreadable)} of {len(rows)} files:", file=sys.stderr)
        for item in unreadable:
            print(f"  {item['file']}: {item['error']}: {item['message']}", file=sys.stderr)
    cases = [
        SiteCase(truth, None, True, None, None) if isinstance(r, ImageError)
        else SiteCase(truth, r.label, r.rejected, r.probabilities, r.prediction_set)
        for (_, truth), r in zip(rows, results, strict=True)
    ]
    # The card's figures as the web page reads them (site_check.card_figures), so both compare alike.
    report = validate(cases, predictor.classes, n_boot=args.n_boot, **card_figures(predictor.card))
    refused = [{"file": name, "reason": getattr(r.reason, "code", None), "message": cli_text(r.reason)}
               for (name, _), r in zip(rows, results, strict=True)
               if not isinstance(r, ImageError) and r.rejected]
    report.update(date=datetime.now(UTC).isoformat(timespec="seconds"), model_version=predictor.version,
                  folder=str(args.folder), labels=str(args.labels), unreadable_files=unreadable,
                  refused_files=refused, cases_file=CASES_CSV)
    if predictor.site:  # read through an existing site calibration: the report says which
        report["site_calibration"] = {"file": str(args.site_calibration), "cases": predictor.site.cases,
                                      "fitted_at": predictor.site.fitted_at}
    args.out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:  # a previous run's: none may stay beside a report that does not show it
        (args.out / name).unlink(missing_ok=True)
    write_cases(args.out / CASES_CSV, rows, results, predictor.classes)
    reliability = report.pop("reliability", None)
    if reliability:
        plot_reliability(reliability["y"], reliability["probs"], args.out / "reliability.png",
                         n_bins=CALIBRATION_BINS, title="Reliability at this site", intervals=True)
    (args.out / "report.json").write_text(json.dumps(json_safe(report), indent=2) + "\n", encoding="utf-8")
    # The serving side's per-class counts (Wilson intervals, as report.json's `per_class` and every
    # other share of this site), not `all_read`'s bootstrap: one number, one interval.
    per_class = report.get("per_class", {})
    lines = [
        f"# Site validation of model {predictor.version} ({report['date']})", "",
        f"**Verdict:** {report['verdict']['text']}", "",
        *([f"Read through the site calibration {report['site_calibration']['file']} (fitted on "
           f"{report['site_calibration']['cases']} labelled X-rays, {report['site_calibration']['fitted_at']}): "
           "these cases must not be the ones it was fitted on.", ""] if report.get("site_calibration") else []),
        f"{counted(report['cases'], 'case')}: {report['read']} read, {report['refused']} refused as not a chest "
        f"X-ray, {report['unreadable']} unreadable. {report['refusal_check']['text']}", "",
        *_unreadable_lines(unreadable),
        *_refused_lines(refused),
        f"Every case with what the model said about it (label given, or uncertain, refused or unreadable; "
        f"its chances, prediction set and warnings): [{CASES_CSV}]({CASES_CSV}). "
        f"{_misread_counts(report)}", "",
        table(("measure", "this site (95% CI)", "model card (95% CI)"), [
            ("labelled readings right", format_estimate(report["labelled_accuracy"]),
             _out_of_source(report["card"], "labelled_accuracy")),
            ("share labelled (coverage)", format_estimate(report["coverage"]), _out_of_source(report["card"], "coverage")),
            *([("most likely class right (every read X-ray, labelled or not)",
                format_estimate(report["top_class_accuracy"]), _split_accuracy(report["card"]))]
              if report["top_class_accuracy"]["n"] else []),
            ("prediction sets hold the true class", format_estimate(report["set_coverage"]), "n/a"),
            ("refused as not a chest X-ray", format_estimate(report["refused_share"]), _refusal_card(report["card"])),
        ]), "",
        *_per_class_lines(per_class, report.get("per_class_labelled") or {}),
        f"95% intervals: {report['intervals']['site']} The model card's figures are given with the "
        "intervals the card states for them.", "",
        "Cases needed for a 95% interval of labelled accuracy this wide: "
        + ", ".join(f"{k}: {v}" for k, v in report["cases_needed"].items())
        + " (planned at the least favourable accuracy that the 95% interval of these cases still allows).", "",
        *_calibration_lines(report.get("calibration"), bool(reliability)),
        *_what_if_lines(report.get("calibrated_here"), report["read"]),
        "A screening aid, not a diagnosis: a clinician and an RT-PCR test decide.", "",
    ]
    (args.out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"{report['verdict']['text']}\nreport: {args.out / 'report.md'}")
    if args.calibration_out:
        return _write_calibration(args, predictor, reliability, report.get("calibrated_here"))
    return 0


def _per_class_lines(by_top_class: dict, by_label: dict) -> list[str]:
    """The report's per-class table: sensitivity and specificity of every read X-ray, counted by the
    model's most likely class and by the label the app shows (site_check.per_class_label_counts)."""
    from cxr.evaluation.markdown import format_estimate, table

    if not by_top_class:
        return []
    return [
        "Per class, over every read X-ray. *Most likely class*: the class the model gave the highest "
        "chance, also where the app shows the reading as uncertain (no label). *Label shown*: what the "
        "app tells its user; an uncertain reading counts as not finding the class (sensitivity) and as "
        "not naming it (specificity).", "",
        table(("class", "sensitivity, most likely class (95% CI)", "specificity, most likely class (95% CI)",
               "sensitivity, label shown (95% CI)", "specificity, label shown (95% CI)", "X-rays of the class"),
              [(name, format_estimate(m.get("sensitivity")), format_estimate(m.get("specificity")),
                format_estimate((by_label.get(name) or {}).get("sensitivity")),
                format_estimate((by_label.get(name) or {}).get("specificity")), m["cases"])
               for name, m in by_top_class.items()]), "",
    ]


def write_cases(path: Path, rows: list[tuple[str, str]], results: list, classes: list[str]) -> None:
    """One row per case of labels.csv, in its order: the file, its known class, what the model said
    (`reading`: the label given, `uncertain`, `refused` or `unreadable`), whether that label and the
    most likely class were right, the chances, the prediction set, the warnings' codes and, without
    a label, the reason's code and sentence. Chances are left empty for refused and unreadable
    files (no reading)."""
    from cxr.cli.wording import cli_text
    from cxr.inference import ImageError

    def yes_no(flag: bool) -> str:
        return "yes" if flag else "no"

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "true_label", "reading", "label_right", "top_class", "top_class_right",
                         *(f"p_{name}" for name in classes), "prediction_set", "set_holds_true_label",
                         "warnings", "reason", "reason_text"])
        for (name, truth), r in zip(rows, results, strict=True):
            if isinstance(r, ImageError):
                writer.writerow([name, truth, "unreadable", "", "", "", *([""] * len(classes)), "", "", "",
                                 r.code, cli_text(r.message)])
                continue
            read = not r.rejected
            top = max(classes, key=lambda k: r.probabilities[k]) if read else ""
            reading = r.label or ("refused" if r.rejected else "uncertain")
            sets = r.prediction_set if read else None
            writer.writerow([
                name, truth, reading, yes_no(r.label == truth) if r.label else "",
                top, yes_no(top == truth) if read else "",
                *(f"{r.probabilities[k]:.4f}" if read else "" for k in classes),
                "" if sets is None else ";".join(sets), "" if sets is None else yes_no(truth in sets),
                ";".join(code for code in (getattr(w, "code", None) for w in r.warnings) if code),
                getattr(r.reason, "code", "") if r.reason else "", cli_text(r.reason),
            ])


def check_inputs(args: argparse.Namespace):
    """Every input and output, checked before any X-ray is read: (predictor, label rows), or a
    CliError (status 2) saying what is wrong."""
    from cxr.cli.loading import load_predictor

    existing_file(args.labels, "--labels")
    existing_folder(args.folder, "the X-ray folder")
    predictor = load_predictor(args.model, args.site_calibration, option="--model")
    try:
        rows = read_labels(args.labels, predictor.classes)
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    writable_folder(args.out, "--out")
    if args.calibration_out:
        writable_file(args.calibration_out, "--calibration-out")
    return predictor, rows


def _unreadable_lines(unreadable: list[dict]) -> list[str]:
    """The report's list of the files that could not be read, with each one's reason."""
    from cxr.evaluation.markdown import table

    if not unreadable:
        return []
    return ["## Files that could not be read", "",
            "They count as cases but give no reading; fix or remove them and run again.", "",
            table(("file", "error", "reason"),
                  [(_cell(u["file"]), u["error"], _cell(u["message"])) for u in unreadable]), ""]


def _refused_lines(refused: list[dict]) -> list[str]:
    """The report's short list of the files refused as not a chest X-ray, with each one's reason."""
    from cxr.evaluation.markdown import table

    if not refused:
        return []
    shown = refused[:MAX_LISTED]
    more = (f" The first {MAX_LISTED} of {len(refused)} are listed; all are in {CASES_CSV} (reading: refused)."
            if len(refused) > MAX_LISTED else "")
    return ["## Files refused as not a chest X-ray", "",
            "They count as cases but get no reading. If they are whole frontal chest X-rays, see how "
            f"they were exported.{more}", "",
            table(("file", "reason"), [(_cell(item["file"]), _cell(item["message"])) for item in shown]), ""]


def _misread_counts(report: dict) -> str:
    """How many read X-rays the model got wrong, to find in the cases file."""
    labelled, right = report["labelled"], report["right"]
    top = report["top_class_accuracy"]
    wrong_top = top["n"] - round(top["value"] * top["n"]) if top["n"] else 0
    return (f"Labelled readings wrong: {labelled - right} of {labelled} (column label_right = no); most likely class "
            f"wrong: {wrong_top} of {top['n']} read (column top_class_right = no).")


def _cell(text: str) -> str:
    """Text for one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _write_calibration(args: argparse.Namespace, predictor, read: dict | None, what_if: dict | None) -> int:
    """Fit this site's calibration on the read cases (`read`: the report's labels and
    probabilities of every read X-ray) and write it, with the report's own what-if as its measured
    figures (exit 3 with the reason when too few were read)."""
    from cxr.evaluation.local_calibration import (
        MIN_SITE_CASES,
        fit_site_calibration,
        threshold_cases,
    )
    from cxr.inference.site_check import counted

    n_read = len(read["y"]) if read else 0
    if n_read < MIN_SITE_CASES:
        print(f"site calibration not written: {counted(n_read, 'case')} read, at least {MIN_SITE_CASES} "
              "are needed", file=sys.stderr)
        return 3
    calibration = fit_site_calibration(read["probs"], read["y"], predictor.classes, predictor.version,
                                       site=args.site, what_if=what_if)
    calibration.save(args.calibration_out)
    print(f"site calibration: {args.calibration_out} (fitted on {calibration.cases} read cases; "
          f"{label_note(calibration.label_threshold, what_if, threshold_cases(read['y']), calibration.target_accuracy)})")
    return 0


def label_note(threshold: float | None, what_if: dict | None, setting: int, target: float) -> str:
    """What a written site calibration labels, and whether the report's what-if measured it. The
    calibration is fitted on all the read cases (its threshold on `setting` of them, half); each
    what-if draw on half of them (its threshold on a quarter), which can hold too few labelled
    readings for any threshold: then the report says "nothing labelled in any draw" while the
    calibration labels. A label needs `labelled_needed(target)` readings above its threshold,
    every one right: with fewer cases setting it, nothing can be labelled."""
    from cxr.evaluation.selective import labelled_needed

    need = labelled_needed(target)
    if threshold is None:
        text = (f"labels nothing: every reading through it will be shown as uncertain. Its label "
                f"threshold is set on {setting} of the cases (half of those read), and a label needs at "
                f"least {need} readings above the threshold, every one right, to promise labels right "
                f"{target:.0%} of the time")
        if setting < need:
            return (f"{text}; that takes about {2 * need} read cases or more (more where some readings are "
                    "wrong), this site had too few")
        return (f"{text}; these cases had enough, but its surest readings were not right often enough: "
                f"more cases help only where they are right more than {target:.0%} of the time")
    text = f"labels readings with a top probability of at least {threshold:.3f}"
    measured = ((what_if or {}).get("measured") or {}).get("labelled_accuracy") or {}
    if what_if and measured.get("mean") is None:
        text += ("; how often these labels are right here is not measured: the report's what-if, "
                 f"calibrating on halves of these cases ({what_if['calibration_cases']}), labelled nothing "
                 f"in any draw (its thresholds are set on about {what_if['calibration_cases'] - what_if['calibration_cases'] // 2} "
                 f"cases; measuring it takes about {4 * need} read cases or more). Check it on new labelled "
                 "cases with --site-calibration before relying on its labels")
    return text


def _what_if_lines(what_if: dict | None, read: int) -> list[str]:
    """The report's section on calibrating at this site (cxr.evaluation.local_calibration)."""
    from cxr.evaluation.conformal import min_cases_to_rule_out
    from cxr.evaluation.local_calibration import MIN_SITE_CASES
    from cxr.evaluation.markdown import format_spread, table
    from cxr.evaluation.selective import MIN_LABELLED
    from cxr.inference.site_check import counted

    title = "## If the model were calibrated at this site (a measurement; readings are not changed)"
    if what_if is None:
        return [title, "", f"{counted(read, 'read case')}: at least {MIN_SITE_CASES} are needed to measure it.", ""]
    def spread(key: str, digits: int = 3) -> str:
        return format_spread(what_if["measured"][key], digits, missing="nothing labelled in any draw")

    return [
        title, "",
        f"{what_if['repeats']} random halves of the read cases: {what_if['calibration_cases']} calibrate (a scale and "
        f"bias per class on one half of them, {what_if['confidence']:.0%} prediction sets and the label threshold for "
        f"{what_if['target']:.0%} right on the other), the rest measure. Mean [2.5th, 97.5th percentile of the halves]. "
        f"A class is ruled out of a set only where that other half held at least {min_cases_to_rule_out(what_if['confidence'])} of "
        f"it, and a label threshold needs at least {MIN_LABELLED} labelled readings there: with fewer, sets keep "
        "the class and nothing is labelled. A calibration written with --calibration-out is fitted on all "
        f"{read} read cases (its threshold on half of them), so it can label readings where these halves "
        "labelled nothing; how often its labels are right is then not measured here.", "",
        table(("measure", "calibrated at this site"), [
            (f"{what_if['confidence']:.0%} sets hold the true class", spread("set_coverage")),
            ("mean set size, classes seen here", spread("mean_set_size_seen", 2)),
            ("accuracy of every reading", spread("accuracy")),
            ("share labelled", spread("coverage")),
            ("labelled readings right", spread("labelled_accuracy")),
        ]), "",
        *_unmeasured_labels(what_if, read),
        "What the model tells apart here (AUC of each pair of classes present; 0.5 is chance, and no "
        "calibration raises it): " + "; ".join(f"{pair} {auc:.2f}" for pair, auc in what_if["pairwise_auc"].items())
        + ".", "",
    ]


def _unmeasured_labels(what_if: dict, read: int) -> list[str]:
    """Where no what-if draw labelled anything, why in plain words: too few cases set each draw's
    threshold (a quarter of those read) for any label, or the readings were not right enough."""
    if what_if["measured"]["labelled_accuracy"]["mean"] is not None:
        return []
    need, setting = what_if["labelled_needed"], what_if["threshold_cases"]
    said = (f"**Labelled readings right cannot be measured here.** Each half's label threshold is set on "
            f"about {setting} cases (a quarter of the {read} read), and a label needs at least {need} "
            f"readings above its threshold, every one right, to promise {what_if['target']:.0%}")
    if setting < need:
        return [f"{said}: that takes about {4 * need} read cases or more (more where some readings are wrong).", ""]
    return [f"{said}: these cases had enough, but no draw's surest readings were right often enough.", ""]


def _calibration_lines(bins: list[dict] | None, plotted: bool) -> list[str]:
    """The report's calibration section: the plot and its numbers (site_check.calibration_bins)."""
    from cxr.evaluation.markdown import format_estimate, table

    if not bins:
        return []
    return [
        "## Do its stated chances hold here?", "",
        "Per group of X-rays given a similar chance for the most likely class: how often that class "
        "was right here. Honest chances put each bar on the diagonal; the 95% intervals say how far "
        "these cases can tell.", "",
        *(["![reliability](reliability.png)", ""] if plotted else []),
        table(("chance given", "X-rays", "mean chance given", "right here (95% CI)"),
              [(f"{b['low']:.0%}-{b['high']:.0%}", b["right"]["n"], f"{b['stated']:.3f}", format_estimate(b["right"]))
               for b in bins]), "",
    ]


def _refusal_card(card: dict) -> str:
    """The card column of the refusal row: the target the site is judged against, and what the card
    measured where it has it (site_check.refused_unseen_range)."""
    text = f"target: at most {card['refusal_target']:.0%}"
    measured = card.get("refused_unseen_sources")
    if measured:
        text += (f"; measured: {measured['low']:.1%}-{measured['high']:.1%} of the test X-rays of "
                 f"{measured['groups']} collections, each left out of the chest X-ray check's fit")
    return text


def _out_of_source(card: dict, name: str) -> str:
    """The card column of a row its out-of-source fit (`trust`) measured."""
    from cxr.evaluation.markdown import format_estimate

    figure = (card.get("out_of_source") or {}).get(name)
    if figure is None:
        return "n/a (the card has no out-of-source fit)"
    return f"hospitals it never saw: {format_estimate(figure)}"


def _split_accuracy(card: dict) -> str:
    """The card column of the most-likely-class row: its accuracy on new patients of its training
    collections (the split a card without an out-of-source fit is judged by) and on collections
    it never saw, each named."""
    from cxr.evaluation.markdown import format_estimate
    from cxr.inference.site_check import SEEN_SPLITS, SPLIT_WORDS

    figures = card.get("split_accuracy") or {}
    seen = next((split for split in SEEN_SPLITS if split in figures), None)
    parts = [f"{SPLIT_WORDS[split]}: {format_estimate(figures[split])}" for split in (seen, "source") if split in figures]
    return "; ".join(parts) or "n/a"
