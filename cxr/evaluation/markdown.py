"""Markdown for every table the toolkit and the studies print, and the results pages they fill.

One table layout everywhere (`| a | b |`, then `| --- | ---: |`), so a table pasted from a study
into the docs looks like the ones `cxr evaluate` and `cxr sweep` write. `format_estimate` is the one
way a value with its 95% interval is written. `write_output` keeps a study's latest output in its
results page (docs/results/<study>.md) without touching the prose around it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

ALIGN_RULES = {"l": "---", "r": "---:"}
OUTPUT_END = "<!-- end of output -->"


def table(header: Sequence[object], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A Markdown table: `header`, then one line per row; cells are `str()` of the values.

    `align` holds one letter per column, "l" (left) or "r" (right, for counts); default all left.
    No trailing newline.
    """
    header = [str(cell) for cell in header]
    align = align or "l" * len(header)
    if len(align) != len(header) or set(align) - set(ALIGN_RULES):
        raise ValueError(f"align {align!r} needs one of l/r for each of {len(header)} columns")
    lines = [_line(header), _line(ALIGN_RULES[a] for a in align)]
    for row in rows:
        cells = [str(cell) for cell in row]
        if len(cells) != len(header):
            raise ValueError(f"a row has {len(cells)} cells, the header {len(header)}")
        lines.append(_line(cells))
    return "\n".join(lines)


def frame_table(frame, align: str | None = None) -> str:
    """`table` of a pandas DataFrame: its columns as the header, its rows (index dropped)."""
    return table(frame.columns, frame.itertuples(index=False), align)


def _line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def format_spread(summary: dict, digits: int = 3, missing: str = "-") -> str:
    """A summary of repeated draws (cxr.evaluation.local_calibration.summarise_draws) ->
    'mean [2.5th, 97.5th percentile]', '(k of n draws)' when some draws had no value."""
    if summary["mean"] is None:
        return missing
    low, high = summary["range95"]
    text = f"{summary['mean']:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
    return text if summary["draws"] == summary["of"] else f"{text} ({summary['draws']} of {summary['of']} draws)"


def format_estimate(metric: dict | None, digits: int = 3, missing: str = "n/a",
                    brackets: bool = False) -> str:
    """`{"value": .95, "ci95": [.93, .97]}` -> '0.950 (0.930-0.970)', or with `brackets`
    '0.950 [0.930, 0.970]' (the docs' style); no value -> `missing`; no interval -> the value."""
    if not metric or metric.get("value") is None:
        return missing
    text = f"{metric['value']:.{digits}f}"
    lo, hi = metric.get("ci95") or (None, None)
    if lo is None or hi is None:
        return text
    if brackets:
        return f"{text} [{lo:.{digits}f}, {hi:.{digits}f}]"
    return f"{text} ({lo:.{digits}f}-{hi:.{digits}f})"


def write_output(page: Path, command: str, output: str, title: str) -> Path:
    """Put `output` into `page` under a marker naming `command`, replacing what the same command
    wrote there before; other commands' outputs and the prose around them stay as they are.

    A study's page holds curated tables and their reading; the raw output of each command that
    produced them sits below, so a rerun shows at once whether a published number moved. A page
    that does not exist yet is created with `title` as its heading.
    """
    begin = f"<!-- output of: {command} -->"
    block = f"{begin}\n\n{output.rstrip()}\n\n{OUTPUT_END}"
    text = page.read_text(encoding="utf-8") if page.exists() else f"# {title}\n"
    start = text.find(begin)
    if start >= 0:
        end = text.index(OUTPUT_END, start) + len(OUTPUT_END)
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    return page
