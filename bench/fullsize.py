"""Full-size X-rays for the benchmarks, made from real ones in ../shared, written to a folder.

    .venv/bin/python bench/fullsize.py [--out var/bench-inputs] [--per-class 2] [--big]

The inputs themselves (2,000 px 8- and 16-bit PNG, 3,000 px DICOM uncompressed and JPEG
Lossless, `--big`: a 63.98 MiB DICOM for the memory ceiling) are made by cxr/data/fullsize.py,
which the tests use too. The folder is git-ignored (`var/`) and nothing in it is committed. The
same sources give the same bytes on every run (fixed seeds), and a folder already written for
the same sources is reused. bench/web.py, bench/inference.py and bench/stages.py run this script
(bench modules do not import each other).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cxr.data.fullsize import KINDS, VERSION, make, source_images

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_CXR = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")) / "cxr"
DEFAULT_OUT = REPO_DIR / "var" / "bench-inputs"

SUFFIX = {"png8": ".png", "png16": ".png"}


def write_inputs(out: Path = DEFAULT_OUT, per_class: int = 2, big: bool = False) -> dict[str, list[str]]:
    """Write every kind for every source into `out`/<kind>/ and return {kind: [file, ...]}
    (also saved as `out`/inputs.json). A kind already written for the same sources is reused."""
    sources = source_images(SHARED_CXR, per_class)
    index_file = out / "inputs.json"
    index = json.loads(index_file.read_text()) if index_file.exists() else {}
    if index.get("version") != VERSION or index.get("sources") != [str(p) for p in sources]:
        index = {"version": VERSION, "sources": [str(p) for p in sources], "files": {}}
    for kind in KINDS + (("dicom-64mib",) if big else ()):
        if kind in index["files"] and all(Path(f).is_file() for f in index["files"][kind]):
            continue
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        chosen = sources[:1] if kind == "dicom-64mib" else sources
        index["files"][kind] = []
        for source in chosen:
            target = folder / (source.stem + SUFFIX.get(kind, ".dcm"))
            target.write_bytes(make(kind, source))
            index["files"][kind].append(str(target))
        index_file.write_text(json.dumps(index, indent=1))
    return index["files"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder (git-ignored)")
    parser.add_argument("--per-class", type=int, default=2, help="real X-rays per class")
    parser.add_argument("--big", action="store_true", help="also the 64 MiB DICOM")
    args = parser.parse_args(argv)
    try:
        files = write_inputs(args.out, args.per_class, args.big)
    except FileNotFoundError as exc:
        sys.exit(f"{exc}: set CXR_SHARED_DATA")
    for kind, paths in files.items():
        sizes = [Path(p).stat().st_size / 2**20 for p in paths]
        print(f"{kind}: {len(paths)} files, {min(sizes):.1f}-{max(sizes):.1f} MiB in {Path(paths[0]).parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
