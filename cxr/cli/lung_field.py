"""`python -m cxr lung-field`: train the lung-field segmenter, measure it, ship it with a model.

1. Reliability, each mask source left out in turn: trained on the Kermany children, scored on the
   Cohen adults, and the other way round (Dice with 95% CIs).
2. The shipped segmenter is trained on all masks and exported to MODEL_DIR/lung_field.onnx.
3. With --oos OUT_OF_SOURCE_DIR: every held-out image's heat map (from its fold's model) is
   compared with the lungs the segmenter finds, and readings whose heat map lies mostly off the
   lungs are compared with the rest (accuracy with 95% CIs), per held-out source.
4. The card's `lung_field` section records all of it. The app warns on off-lung heat maps only
   when the segmenter met the reliability criterion declared here before measuring.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cxr.cli.errors import (
    CliError,
    UsageError,
    existing_file,
    existing_folder,
    positive_int,
    writable_file,
)

# Declared before measuring: the segmenter is "reliable" when, on the source it never saw, its
# mean Dice is at least this for every held-out mask source.
RELIABLE_MEAN_DICE = 0.85
# "Mostly outside the lungs": less than half of the heat map's mass on lung pixels.
OFF_LUNGS_BELOW = 0.5
MONTAGE_PNG = "lung_field_adults.png"
PAGE_TITLE = "Lung-field segmenter: reliability, and heat maps off the lungs out of source"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "lung-field", help="train and measure the lung-field segmenter; ship it with a model")
    parser.add_argument("--shared", type=Path, required=True, help="the X-ray folder with lung_masks/")
    parser.add_argument("--model-dir", type=Path, help="export lung_field.onnx here and fill its card")
    parser.add_argument("--oos", type=Path, help="folder of `python -m cxr out-of-source` to measure")
    parser.add_argument("--epochs", type=positive_int, default=30)
    parser.add_argument("--base", type=positive_int, default=8, help="U-Net channels at the top level")
    parser.add_argument("--cache-dir", default=None, help="prepared-image cache for --oos")
    parser.add_argument("--report", type=Path, help="write a results page (Markdown) here")
    parser.add_argument("--oos-only", action="store_true",
                        help="train nothing: measure --oos with the segmenter shipped in --model-dir")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Every input is checked before anything is trained or written (and before torch loads):
    # training takes a while, and a wrong --model-dir or --oos must not end it after the
    # segmenter was exported.
    check_inputs(args)
    if args.oos_only:
        return _run_oos_only(args)
    from cxr.evaluation.lung_field import dice_scores, dice_summary
    from cxr.export.lung_field import export_lung_field
    from cxr.inference.lung_field import LUNG_FIELD_FILE, LungField
    from cxr.training.lung_field import SIZE, load_pairs, lung_probabilities, train_lung_field

    images, masks, index = load_pairs(args.shared)
    held_out = {}
    for group in sorted(index["group"].unique()):
        test = (index["group"] == group).to_numpy()
        print(f"lung field without {group} ({int(test.sum())} masks held out)")
        model = train_lung_field(images[~test], masks[~test], epochs=args.epochs, base=args.base)
        held_out[group] = dice_summary(dice_scores(lung_probabilities(model, images[test]), masks[test]))
    reliable = all(g["mean_dice"]["value"] >= RELIABLE_MEAN_DICE for g in held_out.values())
    print("lung field on all masks")
    model = train_lung_field(images, masks, epochs=args.epochs, base=args.base)
    out_dir = args.model_dir or Path("runs") / "lung_field"
    onnx_path = export_lung_field(model, out_dir)
    segmenter = LungField.load(onnx_path)
    adults = _unmasked_adults(args.shared, segmenter, out_dir / MONTAGE_PNG)
    section = {
        "method": f"U-Net ({sum(p.numel() for p in model.parameters())} weights, {SIZE} px), "
                  "binary cross-entropy + Dice, flips, rotations, zoom and exposure changes",
        "file": LUNG_FIELD_FILE,
        "masks": f"{len(index)} outlined X-rays of ../shared (lung_masks/index.csv): "
                 + ", ".join(f"{n} {g}" for g, n in index["group"].value_counts().sort_index().items()),
        "held_out": held_out,
        "reliable": bool(reliable),
        "criterion": f"mean Dice >= {RELIABLE_MEAN_DICE} on every mask source left out of training",
        "unmasked_adult_sources": adults,
        "warn_below": OFF_LUNGS_BELOW if reliable else None,
        "epochs": args.epochs,
    }
    if args.oos:
        section["out_of_source"] = _measure_out_of_source(args.oos, segmenter, args.cache_dir)
    if args.model_dir:
        _install(args.model_dir, section)
    output = render(section)
    print(output)
    if args.report:
        import shutil

        from cxr.evaluation.markdown import write_output

        shutil.copyfile(out_dir / MONTAGE_PNG, args.report.with_suffix(".png"))
        write_output(args.report, _command(), output, PAGE_TITLE)
    return 0


def check_inputs(args: argparse.Namespace) -> None:
    """Check the options and every input the command reads or writes. Raises UsageError or
    CliError (`error: ...`, exit status 2), as the other commands do."""
    from cxr.inference.card import ModelCard, resolve_model_dir
    from cxr.inference.lung_field import LUNG_FIELD_FILE

    if args.oos_only and not args.oos:
        raise UsageError("--oos-only needs --oos")
    if args.oos:
        check_oos_dir(args.oos)
    if args.report:
        writable_file(args.report, "--report")
    if args.oos_only:
        model_dir = resolve_model_dir(args.model_dir)
        existing_folder(model_dir, "--model-dir")
        if not (model_dir / LUNG_FIELD_FILE).is_file():
            raise CliError(f"no {LUNG_FIELD_FILE} in {model_dir}: run without --oos-only to train one")
        return
    existing_folder(args.shared, "--shared")
    if not (args.shared / "lung_masks" / "index.csv").is_file():
        raise CliError(f"no lung masks under {args.shared} (lung_masks/index.csv): nothing to train on")
    existing_file(args.shared / "manifest.csv", "--shared: the X-ray set's manifest")
    if args.model_dir:
        existing_folder(args.model_dir, "--model-dir")
        try:
            ModelCard.load(args.model_dir)
        except FileNotFoundError:
            raise CliError(f"--model-dir {args.model_dir} has no model card: export a model there "
                           "first (`python -m cxr export`)") from None
        except ValueError as exc:  # CardError: not JSON, or not shaped like a card
            raise CliError(f"--model-dir {args.model_dir}: the model card is damaged ({exc})") from None
        if not os.access(args.model_dir, os.W_OK):
            raise CliError(f"cannot write to --model-dir {args.model_dir}: permission denied")


def check_oos_dir(oos_dir: Path) -> None:
    """The folder of `python -m cxr out-of-source` with what --oos reads: protocol.json (groups and
    recipe) and, per group, its split and trained model. Raises CliError saying what is missing."""
    import json

    existing_folder(oos_dir, "--oos")
    hint = f"(is {oos_dir} a folder of `python -m cxr out-of-source`?)"
    if not (oos_dir / "protocol.json").is_file():
        raise CliError(f"{oos_dir / 'protocol.json'} does not exist {hint}")
    try:
        protocol = json.loads((oos_dir / "protocol.json").read_text(encoding="utf-8"))
        groups = list(protocol["groups"])
        missing = {"img_size", "arch"} - set(protocol["recipe"])
        if missing:
            raise KeyError(", ".join(sorted(missing)))
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"{oos_dir / 'protocol.json'} is not an out-of-source protocol ({exc})") from None
    for group in groups:
        for name in ("split.csv", "run/best.pt"):
            if not (oos_dir / group / name).is_file():
                raise CliError(f"{oos_dir / group / name} does not exist: --oos needs every fold's "
                               f"split and model {hint}")


def _command() -> str:
    """The command line as typed, naming the page's block (a rerun replaces its own block)."""
    return "python -m cxr lung-field " + " ".join(sys.argv[2:])


def _run_oos_only(args: argparse.Namespace) -> int:
    """Heat maps of another out-of-source folder (a refit of the folds) against the lungs of the
    segmenter already shipped: its reliability was measured when it was trained, and retraining it
    would change what the app serves."""
    from cxr.inference.card import resolve_model_dir
    from cxr.inference.lung_field import LUNG_FIELD_FILE, LungField

    model_dir = resolve_model_dir(args.model_dir)
    oos = _measure_out_of_source(args.oos, LungField.load(model_dir / LUNG_FIELD_FILE), args.cache_dir)
    output = f"Segmenter: {model_dir.name}/{LUNG_FIELD_FILE} (shipped; not retrained).\n\n" + render_out_of_source(oos)
    print(output)
    if args.report:
        from cxr.evaluation.markdown import write_output

        write_output(args.report, _command(), output, PAGE_TITLE)
    return 0


def _unmasked_adults(shared: Path, segmenter, montage: Path, per_source: int = 200) -> dict:
    """No outlines exist for the adult NIH and raddb films, most of the training set. What can be
    checked without them: how much of the image the segmenter calls lung (adult PA films: about a
    quarter to a half) and a montage for a person to look at."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    from cxr.inference.decode import decode_image
    from cxr.inference.lung_field import LUNG_PROBABILITY
    from cxr.inference.site_check import proportion
    from cxr.preprocess import prepare_gray

    manifest = pd.read_csv(shared / "manifest.csv")
    manifest["source"] = manifest["file"].map(lambda p: Path(p).name.split("__")[0])
    result, tiles = {}, []
    for source in ("darkcovidnet", "raddb"):
        rows = manifest[manifest["source"] == source].sample(
            n=min(per_source, int((manifest["source"] == source).sum())), random_state=0)
        prepared = np.stack([prepare_gray(decode_image(shared / f).gray, segmenter.size) for f in rows["file"]])
        lungs = segmenter.probabilities(prepared) > LUNG_PROBABILITY
        area = lungs.mean(axis=(1, 2))
        result[source] = {
            "images": int(len(rows)),
            "median_lung_area": float(np.median(area)),
            "plausible_area_0_15_to_0_6": proportion(int(((area >= 0.15) & (area <= 0.6)).sum()), len(rows)),
        }
        for p, m in zip(prepared[:8], lungs[:8], strict=True):
            rgb = np.dstack([p, p, p]).astype(np.float32)
            rgb[m] = rgb[m] * 0.6 + np.array([0, 160, 255]) * 0.4
            tiles.append(rgb.astype(np.uint8))
    grid = np.concatenate([np.concatenate(tiles[i:i + 8], axis=1) for i in range(0, len(tiles), 8)], axis=0)
    montage.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(montage)
    return result


def _measure_out_of_source(oos_dir: Path, segmenter, cache_dir: str | None) -> dict:
    import json

    import pandas as pd

    from cxr.evaluation.lung_field import off_lung_accuracy
    from cxr.inference.lung_field import heat_share_on_lungs
    from cxr.training.oos_heatmaps import fold_heatmaps

    protocol = json.loads((oos_dir / "protocol.json").read_text(encoding="utf-8"))
    rows = []
    for group in protocol["groups"]:
        print(f"heat maps of {group}'s held-out images")
        for _rows, prepared, logits, heat in fold_heatmaps(oos_dir / group, cache_dir):
            lungs = segmenter.probabilities(prepared)
            rows.extend({"group": group, "predicted": int(k), "heat_on_lungs": heat_share_on_lungs(h, lu)}
                        for k, h, lu in zip(logits.argmax(1), heat, lungs, strict=True))
        split = pd.read_csv(oos_dir / group / "split.csv")
        truth = split.loc[split["subset"] == "test", "y"].to_numpy()
        start = len(rows) - len(truth)
        for r, y in zip(rows[start:], truth, strict=True):
            r["correct"] = r["predicted"] == int(y)
    frame = pd.DataFrame(rows)
    result = off_lung_accuracy(frame, OFF_LUNGS_BELOW)
    result["protocol"] = {"out_of_source_dir": oos_dir.name, "image_size": protocol["recipe"]["img_size"],
                          "arch": protocol["recipe"]["arch"]}
    result["median_heat_on_lungs"] = float(frame["heat_on_lungs"].median())
    return result


def _install(model_dir: Path, section: dict) -> None:
    from cxr.inference.card import LungFieldCheck, ModelCard, json_safe

    card = ModelCard.load(model_dir)
    card.replace(lung_field=LungFieldCheck.from_dict(json_safe(section))).write(model_dir)


def render(section: dict) -> str:
    from cxr.evaluation.markdown import format_estimate, table

    parts = [f"Segmenter: {section['method']}. Masks: {section['masks']}.",
             f"Reliable by the declared criterion ({section['criterion']}): "
             f"**{'yes' if section['reliable'] else 'no'}**."]
    parts.append(table(
        ["held-out mask source", "images", "mean Dice", "5th percentile Dice", "Dice < 0.8"],
        [[g, s["images"], format_estimate(s["mean_dice"]), format_estimate(s["p5_dice"]),
          format_estimate(s["below_0_8"])] for g, s in section["held_out"].items()]))
    parts.append("Adult films without outlines (trained on all masks), share of the image called lung:")
    parts.append(table(
        ["source", "images", "median lung area", "area 0.15-0.6"],
        [[s, v["images"], f"{v['median_lung_area']:.3f}", format_estimate(v["plausible_area_0_15_to_0_6"])]
         for s, v in section["unmasked_adult_sources"].items()]))
    if section.get("out_of_source"):
        parts.append(render_out_of_source(section["out_of_source"]))
    return "\n\n".join(parts)


def render_out_of_source(oos: dict) -> str:
    from cxr.evaluation.markdown import format_estimate, table

    parts = [f"Out-of-source readings ({oos['protocol']['arch']}, {oos['protocol']['image_size']} px "
             f"folds): heat map off the lungs = less than {oos['threshold']:.0%} of its mass on "
             f"the predicted lungs; median share on lungs {oos['median_heat_on_lungs']:.3f}."]
    groups = {"all": oos["all"], **oos.get("by_group", {})}
    parts.append(table(
        ["held-out", "readings", "off the lungs", "right when off", "right when on"],
        [[g, s["readings"], format_estimate(s["off_lungs"]), format_estimate(s["accuracy_off_lungs"]),
          format_estimate(s["accuracy_on_lungs"])] for g, s in groups.items()]))
    return "\n\n".join(parts)
