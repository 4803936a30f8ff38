"""`python -m cxr data import|split|cache`: build the dataset index, its splits and the cache.

`import` leaves out, and lists, files that cannot be X-rays (empty, not an image, cut short:
`cxr.data.index.image_file_problem`), and with --radiography-db the folders that are not the
database's class folders (a `pneumonia/` beside `COVID/`: the database's is `Viral Pneumonia/`). `cache` decodes every image and, when some cannot be
decoded, names each of them and writes no cache. Wrong options and paths end in one `error:` line.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cxr.cli.errors import (
    CliError,
    UsageError,
    existing_file,
    existing_folder,
    image_size,
    seed,
    writable_file,
)

DEFAULT_DATA_DIR = Path("var/data")
LISTED = 20  # files named one by one on stderr; the rest are counted


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("data", help="import images, make splits, build the image cache")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    imp = actions.add_parser("import", help="index a folder of X-rays")
    layout = imp.add_mutually_exclusive_group(required=True)
    layout.add_argument("--shared", type=Path, help="the project's shared set (folder with manifest.csv)")
    layout.add_argument("--radiography-db", type=Path,
                        help="Kaggle 'COVID-19 Radiography Database' folder (COVID/, Normal/, ...)")
    layout.add_argument("--folder", type=Path, help="generic layout: one sub-folder per class")
    imp.add_argument("--source", help="source name for --folder (default: the folder's name)")
    imp.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR / "index.csv")
    imp.add_argument("--append", action="store_true", help="add to an existing index")
    imp.set_defaults(handler=run_import)

    split = actions.add_parser("split", help="make a train/val/test split of an index")
    split.add_argument("--index", type=Path, default=DEFAULT_DATA_DIR / "index.csv")
    split.add_argument("--task", choices=["3class", "binary"], default="3class")
    split.add_argument("--kind", choices=["random", "patient", "source"], default="random")
    split.add_argument("--holdout-sources", default="",
                       help="comma-separated sources used as the test set (--kind source only)")
    split.add_argument("--seed", type=seed, default=0)
    split.add_argument("--out", type=Path,
                       help="default: <index folder>/splits/<task>_<kind>_s<seed>.csv, beside the index "
                            "(var/data/splits/ for the default --index)")
    split.set_defaults(handler=run_split)

    cache = actions.add_parser("cache", help="decode and resize a split's images once")
    # --split-csv and --img-size too: the names `train`, `evaluate` and `sweep` give the same
    # things, so a command line copied from one of them works here.
    cache.add_argument("--split", "--split-csv", type=Path, required=True, dest="split",
                       help="split CSV whose images to cache (from `python -m cxr data split`)")
    cache.add_argument("--size", "--img-size", type=image_size, default=224, dest="size",
                       help="pixels a side, 16 to 2048")
    cache.add_argument("--contrast", choices=["none", "minmax", "equalize"], default="none")
    cache.add_argument("--cache-dir", type=Path, help="preprocessed image cache (default: $CXR_CACHE_DIR, else var/cache)")
    cache.set_defaults(handler=run_cache)


def run_import(args: argparse.Namespace) -> int:
    import pandas as pd

    from cxr.data import index as idx

    writable_file(args.out, "--out")
    if args.shared:
        existing_file(args.shared / "manifest.csv", "--shared: the shared set's manifest")
    else:
        existing_folder(args.radiography_db or args.folder,
                        "--radiography-db" if args.radiography_db else "--folder")
    try:
        if args.shared:
            frame = idx.import_shared_manifest(args.shared)
        elif args.radiography_db:
            from cxr.data.layouts import import_radiography_db, radiography_db_folders

            frame = import_radiography_db(args.radiography_db)
            _, left_out = radiography_db_folders(args.radiography_db)
            if left_out:
                print(f"left out of the index: {len(left_out)} folder(s) that are not class folders of "
                      "the COVID-19 Radiography Database:", file=sys.stderr)
                _list({f"{path}/": why for path, why in left_out.items()})
        else:
            from cxr.data.layouts import import_folder_per_class

            frame = import_folder_per_class(args.folder, source=args.source)
    except ValueError as exc:  # a layout the importer does not recognise, no images in it
        raise CliError(str(exc)) from None
    except KeyError as exc:  # a manifest without the shared set's columns
        raise CliError(f"{args.shared / 'manifest.csv'} has no column {exc}: is it the shared set's?") from None
    frame = _leave_out_broken_files(frame)
    if frame.empty:
        raise CliError("no readable image to index")
    if args.append and args.out.exists():
        try:
            frame = pd.concat([idx.read_index(args.out), frame]).drop_duplicates("path", keep="last")
        except ValueError as exc:
            raise CliError(f"--append: {exc}") from None
    idx.write_index(frame, args.out)
    counts = frame.groupby(["label", "source"]).size().to_string()
    print(f"{len(frame)} images indexed in {args.out}\n{counts}")
    return 0


def _leave_out_broken_files(frame):
    """The index without the files that cannot be X-rays, each of them named on stderr."""
    from cxr.data.index import image_file_problem

    problems = {path: image_file_problem(path) for path in frame["path"]}
    broken = {path: why for path, why in problems.items() if why}
    if broken:
        print(f"left out of the index: {len(broken)} file(s) that cannot be read as X-rays:", file=sys.stderr)
        _list(broken)
    return frame[~frame["path"].isin(broken)].reset_index(drop=True)


def _list(problems: dict[str, str]) -> None:
    for path, why in list(problems.items())[:LISTED]:
        print(f"  {path}: {why}", file=sys.stderr)
    if len(problems) > LISTED:
        print(f"  ... and {len(problems) - LISTED} more", file=sys.stderr)


def unreadable_images(exc, split: Path, outcome: str) -> CliError:
    """Name each image of `exc` (cxr.data.cache.UnreadableImages) that cannot be read on stderr,
    one a line (the first LISTED, then a count), and return the CliError to raise: `outcome`
    says what the command did not make. `data cache`, `train` and `evaluate` say it alike."""
    print(f"{len(exc.failures)} image(s) of {split} cannot be read:", file=sys.stderr)
    _list(exc.failures)
    return CliError(f"{outcome}: fix or remove these files (and make the split again)")


def run_split(args: argparse.Namespace) -> int:
    from cxr.data.index import read_index, task_frame
    from cxr.data.splits import default_split_path, describe_split, make_split, save_split

    holdout = tuple(s.strip() for s in args.holdout_sources.split(",") if s.strip())
    if holdout and args.kind != "source":
        raise UsageError(f"--holdout-sources is for --kind source; a {args.kind} split would ignore it")
    if args.kind == "source" and not holdout:
        raise UsageError("--kind source needs --holdout-sources (the sources to test on)")
    existing_file(args.index, "--index")
    out = args.out or default_split_path(args.index.parent, args.task, args.kind, args.seed)
    writable_file(out, "--out")
    try:
        frame = task_frame(read_index(args.index), args.task)
        if frame.empty:
            raise ValueError(f"no image of {args.index} has a label of the {args.task} task")
        split = make_split(frame, args.kind, args.seed, holdout)
    except ValueError as exc:  # not an index, unknown sources, too few images for the split
        raise CliError(f"cannot make a {args.kind} split of {args.index}: {exc}") from None
    save_split(split, out)
    print(f"split written to {out}")
    for subset, info in sorted(describe_split(split).items()):
        print(f"  {subset:5s} {info['n']:5d}  {info['by_label']}")
    return 0


def run_cache(args: argparse.Namespace) -> int:
    from cxr.data.cache import UnreadableImages, cached_images
    from cxr.data.splits import read_split

    existing_file(args.split, "--split")
    try:
        split = read_split(args.split)
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc)) from None
    try:
        images = cached_images(list(split["path"]), args.size, args.contrast, args.cache_dir)
    except UnreadableImages as exc:
        raise unreadable_images(exc, args.split, "no cache written") from None
    print(f"cache ready: {images.shape[0]} images of {args.size}x{args.size}")
    return 0
