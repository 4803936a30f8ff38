"""`python -m cxr recount-intervals FILE.json ...`: give reports written before 2026-12-07 the
Wilson intervals their proportions get today (cxr.evaluation.metrics.recount_proportions).

Those reports drew every 95% interval from a bootstrap within each true class, which makes the
intervals of accuracy and PPV too narrow (a model card's "37.5% (35.6% - 39.4%)" of 477 images is
33.3% - 42.0% as a binomial count). The proportions can be recounted from each report's confusion
matrix without the model or its predictions; AUC, macro averages and ECE cannot, and keep theirs.
Works on a model card (each split under `metrics`) or an evaluation's metrics.json (each subset
under `subsets`), rewritten in place, with the metrics.md beside an evaluation's metrics.json
written again from it; a report that says how its intervals were made is left as it is, so
running it twice changes nothing.
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


def recount_file(path: Path) -> tuple[list[str], Path | None]:
    """Rewrites `path` with its older reports recounted; returns the names of those changed and
    the metrics.md written again beside it, if any."""
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
    markdown = None
    if changed:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if key == "subsets":
            markdown = _rewrite_markdown_beside(path, document)
    return changed, markdown


def _rewrite_markdown_beside(path: Path, document: dict) -> Path | None:
    """An evaluation writes metrics.md from its metrics.json: left alone, it would show the old
    intervals beside the recounted ones. Its title is kept (it names the run)."""
    from cxr.evaluation.report import render_markdown

    markdown = path.with_name("metrics.md")
    if not markdown.is_file():
        return None
    first_line = markdown.read_text(encoding="utf-8").split("\n", 1)[0]
    title = first_line.removeprefix("# ").strip() or "Evaluation"
    markdown.write_text(render_markdown(document, title), encoding="utf-8")
    return markdown


def run(args: argparse.Namespace) -> int:
    for path in args.files:
        existing_file(path, "FILE.json")
    for path in args.files:
        changed, markdown = recount_file(path)
        also = f" (and {markdown} from it)" if markdown else ""
        print(f"{path}: " + (f"recounted {', '.join(changed)}{also}" if changed
                             else "nothing to recount (every report says how its intervals were made)"))
    return 0
