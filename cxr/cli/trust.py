"""`python -m cxr trust OOS_DIR`: fit what the model says about itself on out-of-source readings.

Reads the folder of `python -m cxr out-of-source`, compares the abstention rules, measures the
chosen one with each source group left out of the fitting in turn, fits the shipped parameters on
all groups (cxr.evaluation.trust) and writes them to trust.json, with risk_coverage.png. With
--model-dir, they become the model card's `trust` section (with the plot) and trust.json goes into
OOS_DIR, beside the readings, as the record of what the card holds (committed under results/);
without it the fit is a trial, written to --out (default var/trust/<OOS_DIR's name>/) so that the
committed results stay as they are. With --shared the
served model is checked on its own patient-split test images. With --record-only as well, the fit
is measured the same way (the patient-split check on a copy of the model folder with it installed,
and, for comparison, the served model as it is) but written as the card's `trust_not_installed`
section: How it works shows what it measured and that it is not served, and readings do not
change. --report writes the results page.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
from pathlib import Path

from cxr.cli.errors import (
    CliError,
    UsageError,
    bootstrap_resamples,
    existing_file,
    existing_folder,
    open_unit_interval,
    writable_file,
    writable_folder,
)
from cxr.inference.abstention import RULES
from cxr.inference.card import json_safe

RISK_COVERAGE_PNG = "risk_coverage.png"
TRIAL_FOLDER = Path("var/trust")  # a fit without --model-dir, unless --out says where
PAGE_TITLE = "Trustworthy readings: abstention, prediction sets and familiarity, out of source"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "trust", help="fit abstention, prediction sets and familiarity on out-of-source readings")
    parser.add_argument("oos_dir", type=Path, help="folder of `python -m cxr out-of-source`")
    parser.add_argument("--target", type=open_unit_interval, default=0.9,
                        help="labelled readings must be right this often, between 0 and 1")
    parser.add_argument("--confidence", type=open_unit_interval, default=0.9,
                        help="prediction-set level, between 0 and 1")
    parser.add_argument("--rule", default="auto", choices=["auto", *RULES],
                        help="abstention rule; auto: the best measured")
    parser.add_argument("--model-dir", type=Path, help="write the fit into this model's card")
    parser.add_argument("--record-only", action="store_true",
                        help="with --model-dir: record the fit in the card as measured but not "
                             "installed (readings do not change; How it works shows it)")
    parser.add_argument("--shared", type=Path,
                        help="shared X-ray set: check the served model on its patient-split test")
    parser.add_argument("--report", type=Path, help="write a results page (Markdown) here")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="folder for trust.json and risk_coverage.png (default: OOS_DIR with "
                             "--model-dir, beside the readings whose fit the card then holds; "
                             "else var/trust/<OOS_DIR's name>, leaving OOS_DIR as it is)")
    parser.add_argument("--n-boot", type=bootstrap_resamples, default=1000,
                        help="bootstrap resamples for the 95%% intervals (at least 10)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxr.evaluation.plots import plot_risk_coverage
    from cxr.evaluation.trust import fit_and_measure, risk_coverage_by_group

    # Every input is checked before anything is fitted or written: a wrong --shared must not
    # leave a fit installed in the card and the command failed.
    test = check_inputs(args)
    out = output_folder(args)
    params, measured, readings = fit_and_measure(args.oos_dir, args.target, args.confidence,
                                                 args.rule, args.n_boot)
    if args.model_dir and not args.record_only and labels_nothing(params):
        # Installed, every reading of the served model would say "uncertain": only a record.
        raise CliError(
            f"this fit labels no reading (rule {params.rule}, threshold {params.threshold}): no "
            f"rule reaches labelled readings right {args.target:.0%} of the time out of source. "
            "Installing it would make every reading uncertain; nothing was written. Add "
            "--record-only to record it in the card as measured but not installed.")
    plot = plot_risk_coverage(risk_coverage_by_group(readings, params.rule),
                              out / RISK_COVERAGE_PNG, target=args.target)
    if args.model_dir and args.record_only:
        if test is not None:
            params.measured["patient_split_test"] = _check_on_a_copy(args.model_dir, test, params, plot)
            # What the served model does instead, on the same images: the comparison that decides.
            params.measured["served_patient_split_test"] = patient_split_check(args.model_dir, test)
        _record(args.model_dir, params, plot)
    elif args.model_dir:
        _install(args.model_dir, params, plot)
        if test is not None:
            params.measured["patient_split_test"] = patient_split_check(args.model_dir, test)
            _install(args.model_dir, params, plot)
    (out / "trust.json").write_text(json.dumps(json_safe(params.to_dict()), indent=2) + "\n",
                                    encoding="utf-8")
    if args.report:
        from cxr.evaluation.markdown import write_output

        args.report.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plot, _page_plot(args))
        # The page keeps its prose; this command's block below it is replaced on each run.
        write_output(args.report, _command(args), render_page(params, measured, args), PAGE_TITLE)
    print(render_summary(params, measured))
    if not args.model_dir:
        card = " (a trial: no model card was changed)"
    elif args.record_only:
        card = (f"; recorded in {args.model_dir}'s model card as measured but not installed "
                "(trust_not_installed: readings do not change)")
    else:
        card = f"; installed in {args.model_dir}'s model card (its trust section: readings change)"
    print(f"\nfit written to {out / 'trust.json'}{card}")
    return 0


def labels_nothing(params) -> bool:
    """Whether the fitted rule would give no reading a label (no threshold reaches the target)."""
    import math

    return params.threshold is None or math.isinf(float(params.threshold))


def output_folder(args: argparse.Namespace) -> Path:
    """Where trust.json and risk_coverage.png go: --out, else the out-of-source folder when the fit
    goes into a model card (the committed record of that card's fit), else var/trust/<its name>."""
    if args.out:
        return args.out
    return args.oos_dir if args.model_dir else TRIAL_FOLDER / args.oos_dir.resolve().name


def check_inputs(args: argparse.Namespace):
    """Check the options and every input the command reads or writes; return the patient-split
    test rows of --shared (None without it). Raises UsageError or CliError."""
    if args.record_only and not args.model_dir:
        raise UsageError("--record-only needs --model-dir")
    if args.shared and not args.model_dir:
        raise UsageError("--shared needs --model-dir (it checks the model with the fit installed)")
    check_oos_dir(args.oos_dir)
    if args.model_dir:
        from cxr.cli.loading import load_predictor

        existing_folder(args.model_dir, "--model-dir")
        load_predictor(args.model_dir)  # a missing or damaged model folder, before its card is written
        if not os.access(args.model_dir, os.W_OK):
            raise CliError(f"cannot write to --model-dir {args.model_dir}: permission denied")
    if args.report:
        writable_file(args.report, "--report")
    test = None
    if args.shared:
        existing_file(args.shared / "manifest.csv", "--shared: the X-ray set's manifest")
        try:
            test = patient_split_test(args.shared)
        except (KeyError, ValueError) as exc:  # a manifest without the columns of the shared set
            raise CliError(f"--shared {args.shared}: manifest.csv is not the shared X-ray set's "
                           f"({exc})") from None
    out = output_folder(args)  # last: a folder made here means every other input was right
    if out == args.oos_dir:
        if not os.access(out, os.W_OK):
            raise CliError(f"cannot write trust.json into {out}: permission denied")
    else:
        writable_folder(out, "--out" if args.out else "the trial fit's folder")
    return test


def check_oos_dir(oos_dir: Path) -> None:
    """The folder of `python -m cxr out-of-source`, with what the fit reads: protocol.json,
    oos_predictions.csv, and the familiarity ratios (the CSV's knn_ratio column, or else each
    fold's predictions.npz, whose features give them). Raises CliError saying what is missing."""
    import json

    import pandas as pd

    existing_folder(oos_dir, "the out-of-source folder")
    hint = f"(is {oos_dir} a folder of `python -m cxr out-of-source`?)"
    for name in ("protocol.json", "oos_predictions.csv"):
        if not (oos_dir / name).is_file():
            raise CliError(f"{oos_dir / name} does not exist {hint}")
    try:
        groups = list(json.loads((oos_dir / "protocol.json").read_text(encoding="utf-8"))["groups"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"{oos_dir / 'protocol.json'} is not an out-of-source protocol ({exc})") from None
    try:
        header = pd.read_csv(oos_dir / "oos_predictions.csv", nrows=0).columns
        ratio = (pd.read_csv(oos_dir / "oos_predictions.csv", usecols=["knn_ratio"])["knn_ratio"]
                 if "knn_ratio" in header else None)
    except (ValueError, pd.errors.ParserError) as exc:
        raise CliError(f"{oos_dir / 'oos_predictions.csv'} cannot be read: {exc}") from None
    if not {"path", "label", "group"} <= set(header) or not any(c.startswith("logit_") for c in header):
        raise CliError(f"{oos_dir / 'oos_predictions.csv'} lacks the columns path, label, group and "
                       f"logit_<class> {hint}")
    if ratio is not None and ratio.notna().all():
        return
    missing = [f"{group}/predictions.npz" for group in groups
               if not (oos_dir / group / "predictions.npz").is_file()]
    if missing:
        raise CliError(
            f"{oos_dir / 'oos_predictions.csv'} has no familiarity ratio (knn_ratio) for every image, "
            f"and the folds' features that give it are not there: {', '.join(missing)}. Folders "
            "holding only the CSV can be refitted when their CSV has knn_ratio (written by "
            "`python -m cxr out-of-source` since 2026-12-04); for the others, run it again "
            "into the folder, or refit from the folder where it wrote the folds.")


def _install(model_dir: Path, params, plot: Path, section: str = "trust") -> None:
    """The fit as the card's `trust` section (or, not served, `trust_not_installed`), the plot
    beside the card."""
    from cxr.inference.card import ModelCard, Trust
    from cxr.inference.limitations import with_limitations

    card = ModelCard.load(model_dir)
    shutil.copyfile(plot, Path(model_dir) / RISK_COVERAGE_PNG)
    served = dict((card.training.arguments or {}) if card.training else {})
    params.protocol["recipe_differs_from_served_model"] = recipe_differences(
        params.protocol.get("recipe", {}), served)
    card = card.replace(**{section: Trust.from_dict(json_safe(params.to_dict()))},
                        plots={**card.plots, "risk_coverage": RISK_COVERAGE_PNG})
    # An installed fit: the calibration limitation now states the out-of-source figures.
    with_limitations(card).write(model_dir)


def _record(model_dir: Path, params, plot: Path) -> None:
    """The fit as measured but not served: the card's `trust_not_installed` section."""
    _install(model_dir, params, plot, section="trust_not_installed")


def _check_on_a_copy(model_dir: Path, test, params, plot: Path) -> dict:
    """The no-regression check of a fit that is not to be installed: the model folder copied to
    a temporary one, the fit installed there, the patient-split test read through it."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cxr-trust-check-") as tmp:
        copy = Path(tmp) / "model"
        shutil.copytree(model_dir, copy)
        _install(copy, params, plot)
        return patient_split_check(copy, test)


def recipe_differences(fold_recipe: dict, served_recipe: dict) -> dict:
    """{option: [fold models' value, served model's value]} where the out-of-source fold models
    were trained differently from the served model (split and paths aside): the parameters
    transfer best when this is empty, and the card says so when it is not."""
    from cxr.training.out_of_source import RUNTIME_FIELDS

    return {key: [value, served_recipe[key]] for key, value in fold_recipe.items()
            if key in served_recipe and key not in RUNTIME_FIELDS and served_recipe[key] != value}


def patient_split_test(shared: Path):
    """The test rows (path, label, ...) of the 3-class patient split the served model was
    trained on."""
    from cxr.data.index import import_shared_manifest, task_frame
    from cxr.data.splits import make_split

    split = make_split(task_frame(import_shared_manifest(shared), "3class"), "patient", seed=0)
    return split[split["subset"] == "test"]


def patient_split_check(model_dir: Path, test) -> dict:
    """Coverage and labelled accuracy of the model in model_dir (its card with the fit) on the
    patient split's test rows (patient_split_test): the no-regression check."""
    from collections import Counter

    from cxr.inference import Predictor
    from cxr.inference.site_check import proportion

    predictor = Predictor.load(model_dir)
    readings = predictor.predict_batch(list(test["path"]))
    labels = [r.label for r in readings]
    labelled = [(label, truth) for label, truth in zip(labels, test["label"], strict=True) if label]
    right = sum(label == truth for label, truth in labelled)
    # A set is promised on each reading that has one: a refused picture (or a model without
    # sets) has none, and is no miss of the promise.
    with_set = [(r.prediction_set, truth) for r, truth in zip(readings, test["label"], strict=True)
                if r.prediction_set is not None]
    set_hits = sum(truth in classes for classes, truth in with_set)
    sizes = Counter(len(classes) for classes, _truth in with_set)
    n = len(test)
    return {
        "images": n,
        "refused": sum(r.rejected for r in readings),
        "coverage": proportion(len(labelled), n),
        "labelled_accuracy": proportion(right, len(labelled)),
        "set_coverage": proportion(set_hits, len(with_set)),
        "set_sizes": {str(size): sizes[size] for size in sorted(sizes)},  # classes in a set: readings
        "unfamiliar": sum(any(getattr(w, "code", "") == "unfamiliar_image" for w in r.warnings)
                          for r in readings),
    }


def render_summary(params, measured: dict) -> str:
    from cxr.evaluation.metrics import TEMPERATURE_SEARCH_RANGE
    from cxr.evaluation.trust import report_table

    lines = [f"rule {params.rule}, threshold {params.threshold}, temperature {params.temperature:.3f}, "
             f"set thresholds {params.set_thresholds}, familiarity > {params.familiarity_threshold:.3f}"]
    if any(math.isclose(params.temperature, bound, rel_tol=1e-3) for bound in TEMPERATURE_SEARCH_RANGE):
        lines.append(f"note: the temperature is at the end of its search range {TEMPERATURE_SEARCH_RANGE}: "
                     "the readings' confidence says little about being right out of source")
    if labels_nothing(params):
        lines.append("note: this rule labels no reading (no threshold reaches the target)")
    lines += ["", report_table(measured)]
    lines += [f"{title}: {_check_words(check)}" for title, check in _patient_split_checks(params)]
    return "\n".join(lines)


def _patient_split_checks(params) -> list[tuple[str, dict]]:
    """The patient-split checks the fit holds, each with what it measured: the model with the fit
    installed (a temporary copy of it under --record-only), and the served model as it is."""
    checks = []
    if params.measured.get("patient_split_test"):
        served = "served_patient_split_test" in params.measured
        checks.append(("with this fit installed (on a temporary copy; not served)" if served
                       else "with this fit installed", params.measured["patient_split_test"]))
    if params.measured.get("served_patient_split_test"):
        checks.append(("the served model as it is (without this fit)",
                       params.measured["served_patient_split_test"]))
    return checks


def _check_words(check: dict) -> str:
    from cxr.evaluation.markdown import format_estimate

    return (f"{check['images']} test images: coverage {format_estimate(check['coverage'])}, "
            f"labelled readings right {format_estimate(check['labelled_accuracy'])}, "
            f"90% sets cover {format_estimate(check['set_coverage'])}, refused {check['refused']}, "
            f"flagged unfamiliar {check['unfamiliar']}")


def render_page(params, measured: dict, args: argparse.Namespace) -> str:
    from cxr.evaluation.markdown import table
    from cxr.evaluation.trust import report_table

    compared = params.measured["rules_compared"]
    rule_rows = [[rule, f"{m['aurc']:.3f}", f"{m['coverage']:.3f}",
                  "n/a" if m["labelled_accuracy"] is None else f"{m['labelled_accuracy']:.3f}"]
                 for rule, m in compared.items()]
    checks = _patient_split_checks(params)
    patient = ("\n".join(f"- {title.capitalize()}: {_check_words(check)}." for title, check in checks)
               if checks else "not measured (run with --model-dir and --shared)")
    command = _command(args)
    groups = ", ".join(f"{name} ({', '.join(sources)})" for name, sources in params.protocol["groups"].items())
    return "\n".join([
        "Every number here comes from readings of images whose source the reading model never saw",
        f"(`python -m cxr out-of-source`, one model per held-out group: {groups}; recipe",
        f"`{json.dumps(params.protocol.get('recipe', {}))}`), and every group's row uses parameters",
        "(temperature, thresholds) fitted on the other groups only: what a new hospital would see.",
        (f"The rule itself was chosen on these same rows, of the {len(compared)} compared below, so they"
         " can flatter it a little." if args.rule == "auto"
         else f"The rule was named (--rule {args.rule}), not chosen on these rows."),
        "95% intervals: Wilson for",
        "proportions. The ECE's range is no confidence interval but its bootstrap spread over images:",
        "the binned ECE runs high, so the range can lie wholly above the true calibration error.",
        "",
        "```bash",
        command,
        "```",
        "",
        _recipe_sentence(params.protocol.get("recipe_differs_from_served_model")),
        "",
        f"Chosen rule: `{params.rule}` (target: labelled readings right >= {params.target_accuracy:.0%}).",
        f"Shipped parameters (fitted on all groups): temperature {params.temperature:.3f}, label "
        f"threshold {params.threshold}, {params.set_confidence:.0%} set thresholds "
        f"{params.set_thresholds}, unfamiliar above nearest-neighbour ratio "
        f"{params.familiarity_threshold:.3f}.",
        "",
        "## Left-out-group measurements of the chosen rule",
        "",
        report_table(measured),
        "",
        f"![risk-coverage curves per held-out group]({_page_plot(args).name})",
        "",
        "## Abstention rules compared (pooled, left-out groups; AURC: lower is better)",
        "",
        table(("rule", "AURC", "coverage", "labelled right"), rule_rows),
        "",
        "## On the patient split's test images (no-regression check)",
        "",
        patient,
        "",
    ])


def _page_plot(args: argparse.Namespace) -> Path:
    """The plot beside the page, named after the folds too: one page holds the blocks of several
    out-of-source folders (a CPU proxy and a refit), each with its own curves."""
    return args.report.with_name(f"{args.report.stem}-{args.oos_dir.name}.png")


def _command(args: argparse.Namespace) -> str:
    """The command that wrote the page, every option that changes the fit or where it goes
    included: copied without --record-only, it would install a fit recorded as not to serve."""
    return (f"python -m cxr trust {args.oos_dir} --target {args.target} --confidence {args.confidence}"
            + (f" --rule {args.rule}" if args.rule != "auto" else "")
            + (f" --model-dir {args.model_dir}" if args.model_dir else "")
            + (" --record-only" if args.record_only else "")
            + (f" --shared {args.shared}" if args.shared else "")
            + (f" --out {args.out}" if args.out else "")
            + (f" --n-boot {args.n_boot}" if args.n_boot != 1000 else "")
            + f" --report {args.report}")


def _recipe_sentence(differences: dict | None) -> str:
    if differences is None:
        return "(No served model was named, so its recipe was not compared with the folds'.)"
    if not differences:
        return "The fold models were trained with the served model's recipe."
    listed = ", ".join(f"{key} {fold} (served: {served})" for key, (fold, served) in differences.items())
    return (f"**The fold models differ from the served model**: {listed}. The parameters are applied "
            "to the served model as fitted; the numbers below describe the fold models, and a refit "
            "with the served recipe (`python -m cxr out-of-source` with its options) replaces them.")
