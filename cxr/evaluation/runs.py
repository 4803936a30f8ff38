"""The records a sweep leaves on disk: its plan (`sweep.json`) and one folder per run.

Both the sweep (training side) and the tables (evaluation side) read these, so they live here,
free of torch: the tables can be rendered from a sweep folder on any machine.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

SWEEP_FILE = "sweep.json"


def run_name(arch: str, lr: float, batch_size: int) -> str:
    """Stable folder name of one run: ('ResNet50', 1e-4, 16) -> 'resnet50_lr1e-04_bs16'."""
    slug = re.sub(r"[^a-z0-9]+", "-", arch.lower()).strip("-")
    return f"{slug}_lr{lr:.0e}_bs{batch_size}"


def portable_path(path: str | Path | None) -> str | None:
    """`path` relative to the current working directory when it lies inside it, else absolute.
    The commands are run from the project root (docs/toolkit.md), so that committed records
    (config.json, sweep.json, metrics) name no one's home folder."""
    if path is None or str(path) == "":
        return None if path is None else ""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(resolved)


def read_sweep(sweep_dir: str | Path) -> dict:
    """The grid and options a sweep folder was started with (`sweep.json`)."""
    path = Path(sweep_dir) / SWEEP_FILE
    if not path.exists():
        raise FileNotFoundError(f"{sweep_dir} is not a sweep folder (no {SWEEP_FILE})")
    return json.loads(path.read_text(encoding="utf-8"))
