"""`python -m cxr recount-intervals FILE.json ...`: give reports written before 2026-12-07 the
Wilson intervals their proportions get today (cxr.evaluation.metrics.recount_proportions).

Those reports drew every 95% interval from a bootstrap within each true class, which makes the
intervals of accuracy and PPV too narrow (a model card's "37.5% (35.6% - 39.4%)" of 477 images is
33.3% - 42.0% as a binomial count). The proportions can be recounted from each report's confusion
matrix without the model or its predictions; AUC, macro averages and ECE cannot, and keep theirs.
Works on a model card (each split under `metrics`) or an evaluation's metrics.json (each subset
under `subsets`), rewritten in place; a report that says how its intervals were made is left as
it is, so running it twice changes nothing.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from cxr.cli.errors import CliError, existing_file


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "recount-intervals",
        help="give older reports' proportions Wilson intervals from their confusion matrices",
        description=__doc__.split("\n\n", 1)[1].strip(),
    )
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE.json",
                        help="a model_card.json or an evaluation's metrics.json")
    parser.set_defaults(handler=run)


def reports_in(document: dict) -> dict[str, dict]:
    """The classification reports a card (`metrics`) or a metrics.json (`subsets`) holds."""
    for key in ("metrics", "subsets"):
        if isinstance(document.get(key), dict):
            return {name: report for name, report in document[key].items()
                    if isinstance(report, dict) and "confusion_matrix" in report}
    return {}


def recount_file(path: Path) -> list[str]:
    """Rewrites `path` with its older reports recounted; returns the names of those changed."""
    from cxr.evaluation.metrics import recount_proportions

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{path} is not a JSON file: {exc}") from None
    reports = reports_in(document) if isinstance(document, dict) else {}
    if not reports:
        raise CliError(f"{path} holds no classification report (a model card's `metrics` or a "
                       "metrics.json's `subsets`)")
    key = "metrics" if "metrics" in document else "subsets"
    changed = []
    for name, report in reports.items():
        try:
            recounted = recount_proportions(report)
        except (KeyError, ValueError) as exc:
            raise CliError(f"{path}, {name}: {exc}") from None
        if recounted is not report:
            document[key][name] = recounted
            changed.append(name)
    if changed:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def run(args: argparse.Namespace) -> int:
    for path in args.files:
        existing_file(path, "FILE.json")
    for path in args.files:
        changed = recount_file(path)
        print(f"{path}: " + (f"recounted {', '.join(changed)}" if changed
                             else "nothing to recount (every report says how its intervals were made)"))
    return 0
