"""A compact training copy for a GPU machine: prepared images, split and weights, in parts.

A lent GPU machine sees the project's working tree and at most 64 MiB beside it per call, and
neither `../shared` (the X-rays) nor PyPI. So the grid travels as a pack: every image of a split,
already prepared at the training size (`cxr.preprocess.prepare_gray`, as the cache holds it),
re-encoded as WebP (lossy: the build measures and records the mean absolute change in grey
levels), the split with the paths replaced by stable names, and the converted weights that only
install offline here (Keras Xception and VGG16; with `--extra NAME` EfficientNet-Lite0 or
MobileNetV2 too), convolution
kernels as float16 (BatchNorm statistics and biases stay float32). The pack is cut into parts of
at most `part_mib` so that each call to the machine carries one part; a part left by an earlier
call stays on a warm machine.

Other splits over the same images travel as their CSVs alone (`--also-split`): the leave-sources-
out folds use every image of the 3-class set, the paper's grid the binary split's subset of them,
so one copy of the images serves both.

    python -m cxr.training.pack build --split-csv var/data/splits/3class_patient_s0.csv \
        --also-split var/data/splits/binary_random_s0.csv --extra tf_efficientnet_lite0  # here
    python -m cxr.training.pack unpack pack/gpu --dest var/gpu                             # there

`unpack` checks every part against the manifest, writes `split.csv` (and `splits/<name>.csv` for
each other split), an image cache per split under `cache/` (the key `cached_images` looks for, so
nothing is decoded again) and `weights/` (the file names `$CXR_WEIGHTS_CACHE` and
`$CXR_WEIGHTS_DIR` look for).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import numpy as np

PACK_VERSION = "1"
MANIFEST = "manifest.json"


def _half(tensors: dict) -> dict:
    """Kernels (2+ dimensions) as float16; 1-D tensors (BatchNorm, biases) stay as they are."""

    return {k: v.half() if v.ndim >= 2 and v.is_floating_point() else v for k, v in tensors.items()}


EXTRA_WEIGHTS = ("tf_efficientnet_lite0", "mobilenetv2_100")


def _weight_files(extras: tuple[str, ...] = ()) -> dict[str, bytes]:
    """{file name in weights/: torch.save bytes}: the Keras-converted weights this machine has,
    and the offline packages' weights named in `extras` (timm names of EXTRA_WEIGHTS)."""
    import torch

    from cxr.training.keras_weights import KERAS_SOURCES, converted_weights
    from cxr.training.weights import OFFLINE_PACKAGES, _read_state_dict

    files: dict[str, bytes] = {}
    for timm_name in KERAS_SOURCES:
        try:
            path = converted_weights(timm_name)
        except ImportError as exc:
            print(f"skipping {timm_name}: {exc}", file=sys.stderr)
            continue
        buffer = io.BytesIO()
        torch.save(_half(_read_state_dict(path)), buffer)
        files[path.name] = buffer.getvalue()
        files[path.with_suffix(".json").name] = path.with_suffix(".json").read_bytes()
    unknown = set(extras) - set(EXTRA_WEIGHTS)
    if unknown:
        raise ValueError(f"no offline weights to pack for {sorted(unknown)}; choose from {EXTRA_WEIGHTS}")
    for timm_name in extras:
        try:
            path = OFFLINE_PACKAGES[timm_name][1]()
        except ImportError as exc:
            print(f"skipping {timm_name}: {exc}", file=sys.stderr)
            continue
        # In the package's own order; `load_pretrained` maps an explicit file by name, then in order.
        buffer = io.BytesIO()
        torch.save(_half(_read_state_dict(path)), buffer)
        files[f"explicit/{timm_name}.pth"] = buffer.getvalue()
    return files


def build(split_csv: str | Path, out: str | Path = "pack/gpu", size: int = 224,
          contrast: str = "none", quality: int = 80, part_mib: float = 24.0,
          weights: bool = True, cache_dir: str | Path | None = None,
          extras: tuple[str, ...] = (), also_splits: tuple[str | Path, ...] = ()) -> dict:
    """Write the pack's parts and manifest into `out`; returns the manifest.

    `also_splits` are other split CSVs whose images are all in `split_csv`'s: they travel with
    their paths replaced by the same stable names."""
    from PIL import Image

    from cxr.data.cache import cached_images
    from cxr.data.splits import read_split

    split = read_split(split_csv)
    images = cached_images(list(split["path"]), size, contrast, cache_dir)
    blobs, errors = [], []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(image)).save(buffer, "WEBP", quality=quality, method=6)
        blobs.append(buffer.getvalue())
        back = np.asarray(Image.open(io.BytesIO(blobs[-1])).convert("L"), dtype=np.int16)
        errors.append(float(np.abs(back - image).mean()))
    packed = split.copy()
    packed["path"] = [f"packed/{i:05d}" for i in range(len(split))]
    members = {
        "split.csv": packed.to_csv(index=False).encode(),
        "offsets.npy": _npy(np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)),
        "images.webp": b"".join(blobs),
    }
    packed_name = dict(zip(split["path"].astype(str), packed["path"], strict=True))
    for other_csv in also_splits:
        other = read_split(other_csv)
        absent = [p for p in other["path"].astype(str) if p not in packed_name]
        if absent:
            raise ValueError(f"{other_csv}: {len(absent)} images are not in {split_csv} "
                             f"(first: {absent[0]}); pack the split that holds them all")
        other["path"] = [packed_name[p] for p in other["path"].astype(str)]
        members[f"splits/{Path(other_csv).name}"] = other.to_csv(index=False).encode()
    if weights:
        members.update({f"weights/{name}": data for name, data in _weight_files(extras).items()})
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    payload = archive.getvalue()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*"):
        old.unlink()
    step = int(part_mib * 2**20)
    parts = []
    for i, start in enumerate(range(0, len(payload), step)):
        chunk = payload[start:start + step]
        (out / f"part-{i:03d}").write_bytes(chunk)
        parts.append({"name": f"part-{i:03d}", "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
    manifest = {
        "version": PACK_VERSION, "split": Path(split_csv).name,
        "also_splits": [Path(p).name for p in also_splits], "images": len(split), "size": size,
        "contrast": contrast, "encoding": f"WebP quality {quality}",
        "mean_abs_change_grey_levels": round(float(np.mean(errors)), 3),
        "max_image_mean_abs_change": round(float(np.max(errors)), 3),
        "members": {name: len(data) for name, data in members.items()},
        "sha256": hashlib.sha256(payload).hexdigest(), "parts": parts,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def missing_parts(pack_dir: str | Path) -> list[str]:
    """The parts of the manifest not present (or not whole) in `pack_dir`."""
    pack_dir = Path(pack_dir)
    manifest = json.loads((pack_dir / MANIFEST).read_text(encoding="utf-8"))
    return [p["name"] for p in manifest["parts"]
            if not (pack_dir / p["name"]).exists() or (pack_dir / p["name"]).stat().st_size != p["bytes"]]


def unpack(pack_dir: str | Path, dest: str | Path = "var/gpu") -> Path:
    """Check and unpack a pack into `dest` (split.csv, splits/, cache/, weights/); returns the
    split path."""
    from PIL import Image

    from cxr.data.cache import cache_key

    pack_dir, dest = Path(pack_dir), Path(dest)
    manifest = json.loads((pack_dir / MANIFEST).read_text(encoding="utf-8"))
    absent = missing_parts(pack_dir)
    if absent:
        raise FileNotFoundError(f"{pack_dir}: parts missing: {', '.join(absent)}")
    payload = b"".join((pack_dir / p["name"]).read_bytes() for p in manifest["parts"])
    if hashlib.sha256(payload).hexdigest() != manifest["sha256"]:
        raise ValueError(f"{pack_dir}: the parts do not add up to the manifest's checksum")
    with tarfile.open(fileobj=io.BytesIO(payload)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    dest.mkdir(parents=True, exist_ok=True)
    split_path = dest / "split.csv"
    split_path.write_bytes(members["split.csv"])
    import pandas as pd

    paths = [str(p) for p in pd.read_csv(split_path)["path"]]
    offsets = np.load(io.BytesIO(members["offsets.npy"]))
    blob, size = members["images.webp"], int(manifest["size"])
    images = np.empty((len(paths), size, size), dtype=np.uint8)
    for i in range(len(paths)):
        images[i] = np.asarray(Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]])).convert("L"))
    (dest / "cache").mkdir(exist_ok=True)
    np.save(dest / "cache" / f"{cache_key(paths, size, manifest['contrast'])}.npy", images)
    row_of = {path: i for i, path in enumerate(paths)}
    for name, data in members.items():
        if name.startswith("splits/"):  # the same images in another split's order
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(data)
            other = [str(p) for p in pd.read_csv(dest / name)["path"]]
            np.save(dest / "cache" / f"{cache_key(other, size, manifest['contrast'])}.npy",
                    images[[row_of[p] for p in other]])
        if name.startswith("weights/"):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return split_path


def unmap(csv_path: str | Path, split_csv: str | Path, root: str | Path | None = None) -> Path:
    """Rewrite a CSV written on the GPU machine (its `path` column holds packed names) with the
    paths of `split_csv`, the split the pack was built from; relative to `root` where given."""
    import pandas as pd

    from cxr.data.splits import read_split
    from cxr.training.out_of_source import relative_paths

    original = list(read_split(split_csv)["path"].astype(str))
    table = pd.read_csv(csv_path, keep_default_na=False)
    rows = [int(p.removeprefix("packed/")) if p.startswith("packed/") else -1 for p in table["path"]]
    if min(rows, default=0) < 0 or max(rows, default=-1) >= len(original):
        raise ValueError(f"{csv_path}: paths that are not packed names of {split_csv}")
    paths = [original[i] for i in rows]
    table["path"] = relative_paths(paths, root) if root is not None else paths
    table.to_csv(csv_path, index=False, float_format="%.6f")
    return Path(csv_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cxr.training.pack", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write the pack here")
    make.add_argument("--split-csv", required=True)
    make.add_argument("--out", default="pack/gpu")
    make.add_argument("--img-size", type=int, default=224)
    make.add_argument("--contrast", default="none")
    make.add_argument("--quality", type=int, default=80)
    make.add_argument("--also-split", action="append", default=[], metavar="CSV",
                      help="another split over the same images (repeatable)")
    make.add_argument("--part-mib", type=float, default=24.0,
                      help="the working tree plus one part must stay under 64 MiB")
    make.add_argument("--no-weights", action="store_true")
    make.add_argument("--extra", action="append", default=[], choices=EXTRA_WEIGHTS,
                      help="also this offline package's weights (Lite0 +6 MiB, MobileNetV2 +7 MiB)")
    make.add_argument("--cache-dir")
    open_ = commands.add_parser("unpack", help="check and unpack a pack (on the GPU machine)")
    open_.add_argument("pack_dir")
    open_.add_argument("--dest", default="var/gpu")
    check = commands.add_parser("missing", help="list the parts not here yet (exit 1 if any)")
    check.add_argument("pack_dir")
    back = commands.add_parser("unmap", help="put the original paths back into a CSV from the machine")
    back.add_argument("csv")
    back.add_argument("--split-csv", required=True, help="the split the pack was built from")
    back.add_argument("--root", help="write paths relative to this folder (the X-ray set's)")
    args = parser.parse_args(argv)
    if args.command == "unmap":
        print(unmap(args.csv, args.split_csv, args.root))
        return 0
    if args.command == "build":
        manifest = build(args.split_csv, args.out, args.img_size, args.contrast, args.quality,
                         args.part_mib, not args.no_weights, args.cache_dir, tuple(args.extra),
                         tuple(args.also_split))
        print(json.dumps({k: v for k, v in manifest.items() if k != "parts"}, indent=2))
        print(f"{len(manifest['parts'])} parts in {args.out}: carry one per call")
        return 0
    if args.command == "missing":
        absent = missing_parts(args.pack_dir)
        print(" ".join(absent) if absent else "complete")
        return 1 if absent else 0
    print(unpack(args.pack_dir, args.dest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
