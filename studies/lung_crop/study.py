"""Lung-field crops of the X-ray set, for the "does cropping to the lungs help?" experiment.

Steps (each a subcommand, run in this order; all on CPU, one thread):

    .venv/bin/python -m studies.lung_crop.study train-segmenter   # -> var/lungcrop/segmenter.pt
    .venv/bin/python -m studies.lung_crop.study crop              # -> var/lungcrop/images, crops.csv,
                                                                  #    and the two *-lungcrop split CSVs
    .venv/bin/python -m studies.lung_crop.study qa                # -> var/lungcrop/qa_overlays.png

`train-segmenter` fits a small U-Net (ImageNet EfficientNet-Lite0 encoder from the offline weight
package, light decoder) on the 466 V7 lung masks at 128 x 128 and reports validation Dice per
source family. `crop` segments every image of the two holdout splits, crops the original to the
lungs' bounding box plus a margin (or keeps the full image when the prediction is implausible),
saves it with its longer side at 256 px, and writes split files that differ from the originals
only in `path`. `splits` redoes only that last step. `qa` draws predicted outlines and crop boxes
on random images of every source, mostly on adults the segmenter never saw a mask for.

Every picture is read with cxr.inference.decode.decode_image, as training and serving read them.
(Until 2026-12 this study read them with Pillow's convert("L"); on all 7,516 images of the shared
set, 8-bit grey PNG and JPEG, both give the same pixels, so the crops and the published numbers
stand.)
"""
from __future__ import annotations

import argparse
import csv
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from scipy import ndimage
from torch import nn

from cxr.evaluation.heatmap_check import IGNORE, LUNG  # the mask values of the shared set
from cxr.evaluation.markdown import write_output
from cxr.inference.decode import decode_image

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "cxr"  # ../shared beside the project
OUT = REPO / "var" / "lungcrop"
SPLITS = REPO / "var" / "data" / "splits"
PAGE = REPO / "docs" / "results" / "lung_crop.md"
PAGE_TITLE = "Lung-field cropping"
SPLIT_NAMES = ("3class_holdout-cohen-darkcovidnet_s0", "3class_holdout-skytells-zargari_s0")
SIZE, OUT_SIDE, MARGIN = 128, 256, 0.10
MIN_AREA, MAX_AREA = 0.05, 0.80  # plausible lung share of the image; outside -> full image
MEAN, STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])


def family(source: str) -> str:
    return "kermany" if source in ("skytells", "zargari") else source


def source_of(path: str) -> str:
    return Path(path).name.split("__", 1)[0]


def read_gray(path: Path) -> Image.Image:
    """The picture at `path` as the product reads it (grey, 8 bits), as a Pillow image."""
    return Image.fromarray(decode_image(path).gray)


def load_gray(path: Path, size: int = SIZE, resample: int = Image.BILINEAR) -> np.ndarray:
    """Whole image squashed to size x size: keeps the box mapping back to the original trivial."""
    return np.asarray(read_gray(path).resize((size, size), resample), dtype=np.uint8)


class LungUNet(nn.Module):
    """U-Net on EfficientNet-Lite0's first five stages (stride 16); ~0.83 M parameters.

    Pretrained features rather than a scratch net: 466 masks, mostly paediatric, must carry over
    to adult films of hospitals without masks, and ImageNet edges/textures help that.
    """

    def __init__(self, pretrained: bool = True):
        super().__init__()
        import timm

        enc = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)
        if pretrained:
            from cxr.training.weights import load_pretrained

            print(load_pretrained(enc, "EfficientNet-Lite0", "imagenet"))
        self.stem = nn.Sequential(enc.conv_stem, enc.bn1)  # /2
        self.stages = nn.ModuleList(enc.blocks[:5])  # /2 16ch, /4 24, /8 40, /16 80, /16 112

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.dec = nn.ModuleList([block(112 + 40, 64), block(64 + 24, 32), block(32 + 16, 24),
                                  block(24, 16)])
        self.head = nn.Conv2d(16, 1, 1)

    def forward(self, gray: torch.Tensor) -> torch.Tensor:  # (N,1,H,W) in [0,1] -> logits
        x = (gray.expand(-1, 3, -1, -1) - MEAN.view(1, 3, 1, 1)) / STD.view(1, 3, 1, 1)
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        x = feats[4]
        for dec, skip in zip(self.dec[:3], (feats[2], feats[1], feats[0]), strict=True):
            x = dec(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="bilinear"), skip], 1))
        x = self.dec[3](F.interpolate(x, scale_factor=2, mode="bilinear"))
        return self.head(x)


def augment(img: torch.Tensor, tgt: torch.Tensor, gen: torch.Generator):
    """Small random affine (shift, scale, aspect, rotation) and intensity changes, batch-wise.

    Adult films show the chest larger and squarer than Kermany's children; zoom and aspect
    jitter cover part of that gap. The target is resampled by nearest neighbour so the ignore
    label (2) survives; the border brought in by the shift is background.
    """
    n = img.shape[0]

    def u(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    ang, scale, aspect = u(-12, 12) * math.pi / 180, u(0.8, 1.2), u(0.9, 1.1)
    sx, sy = 1 / (scale * aspect), aspect / scale  # output -> input sampling scale
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([cos * sx, -sin * sx, u(-0.15, 0.15)], 1),
                         torch.stack([sin * sy, cos * sy, u(-0.15, 0.15)], 1)], 1)
    grid = F.affine_grid(theta, list(img.shape), align_corners=False)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    tgt = F.grid_sample(tgt, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    gamma, contrast, bright = u(0.7, 1.4), u(0.75, 1.3), u(-0.1, 0.1)
    img = img.clamp(0, 1) ** gamma.view(-1, 1, 1, 1)
    img = (img - 0.5) * contrast.view(-1, 1, 1, 1) + 0.5 + bright.view(-1, 1, 1, 1)
    return img.clamp(0, 1), tgt


def masked_loss(logits: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """BCE + soft Dice over the pixels that are not 'ignore' (target 2)."""
    w, y = (tgt != 2).float(), (tgt == 1).float()
    bce = (F.binary_cross_entropy_with_logits(logits, y, reduction="none") * w).sum() / w.sum()
    p = torch.sigmoid(logits) * w
    dice = (2 * (p * y).sum((1, 2, 3)) + 1) / (p.sum((1, 2, 3)) + (y * w).sum((1, 2, 3)) + 1)
    return bce + (1 - dice).mean()


def dice_scores(pred: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    counted = tgt != 2
    p, y = pred & counted, (tgt == 1) & counted
    return 2 * (p & y).sum((1, 2)) / np.maximum(p.sum((1, 2)) + y.sum((1, 2)), 1)


def train_segmenter(args: argparse.Namespace) -> None:
    index = pd.read_csv(DATA / "lung_masks" / "index.csv")
    index["family"] = index["image"].map(lambda p: family(source_of(p)))
    # One mask per source image here; grouping by image still keeps any image on one side only.
    images = np.array(sorted(index["image"].unique()), dtype=object)  # plain str in the checkpoint
    val_images = set(np.random.default_rng(0).permutation(images)[: round(0.15 * len(images))])
    is_val = index["image"].isin(val_images).to_numpy()
    t0 = time.time()
    x = np.stack([load_gray(DATA / p) for p in index["image"]])
    # Nearest neighbour: bilinear would turn every lung edge into a band of "ignore" (127).
    t = np.stack([load_gray(DATA / m, resample=Image.NEAREST) for m in index["mask"]])
    t = np.select([t == LUNG, t == IGNORE], [1, 2], 0).astype(np.uint8)  # 1 lung, 2 ignore, 0 bg
    print(f"loaded {len(x)} images in {time.time() - t0:.0f}s; train {(~is_val).sum()}, val {is_val.sum()}")
    xt = torch.from_numpy(x[:, None]).float() / 255
    tt = torch.from_numpy(t[:, None]).float()
    train_idx = np.flatnonzero(~is_val)

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = LungUNet(pretrained=True)
    print(f"parameters: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * math.ceil(len(train_idx) / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    for epoch in range(args.epochs):
        model.train()
        t0, losses = time.time(), []
        for start in range(0, len(train_idx), args.batch_size):
            batch = torch.from_numpy(train_idx[start:start + args.batch_size])
            img, tgt = augment(xt[batch], tt[batch], gen)
            loss = masked_loss(model(img), tgt)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        np.random.default_rng(epoch).shuffle(train_idx)
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            scores = evaluate(model, xt[torch.from_numpy(np.flatnonzero(is_val))], t[is_val])
            fams = index.loc[is_val, "family"].to_numpy()
            per = ", ".join(f"{f} {scores[fams == f].mean():.3f} (n={int((fams == f).sum())})"
                            for f in sorted(set(fams)))
            dice_line = (f"epoch {epoch + 1}: loss {np.mean(losses):.3f}, val Dice {scores.mean():.3f} [{per}]"
                         f", {time.time() - t0:.0f}s/epoch")
            print(dice_line, flush=True)
        else:
            print(f"epoch {epoch + 1}: loss {np.mean(losses):.3f}, {time.time() - t0:.0f}s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    # Fixed epoch budget, no selection on the validation Dice: the reported number stays honest.
    torch.save({"state_dict": model.state_dict(), "val_images": sorted(val_images),
                "train_images": sorted(set(images) - val_images), "epochs": args.epochs},
               OUT / "segmenter.pt")
    print(f"saved {OUT / 'segmenter.pt'}")
    command = (f"python -m studies.lung_crop.study train-segmenter --epochs {args.epochs} "
               f"--batch-size {args.batch_size} --lr {args.lr}")
    write_output(PAGE, command, f"Held-out validation Dice after the last epoch:\n\n{dice_line}", PAGE_TITLE)


@torch.no_grad()
def predict(model: nn.Module, xt: torch.Tensor, batch: int = 64) -> np.ndarray:
    model.eval()
    return np.concatenate([torch.sigmoid(model(xt[i:i + batch]))[:, 0].numpy()
                           for i in range(0, len(xt), batch)])


def evaluate(model: nn.Module, xt: torch.Tensor, t: np.ndarray) -> np.ndarray:
    return dice_scores(predict(model, xt) > 0.5, t)


def load_segmenter() -> tuple[nn.Module, dict]:
    ckpt = torch.load(OUT / "segmenter.pt", map_location="cpu", weights_only=True)
    model = LungUNet(pretrained=False)
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), ckpt


def lung_components(prob: np.ndarray) -> np.ndarray:
    """The two largest connected blobs of prob > 0.5 (the two lungs), each >= 1% of the image."""
    labels, n = ndimage.label(prob > 0.5)
    if n == 0:
        return np.zeros(prob.shape, bool)
    sizes = np.bincount(labels.ravel())[1:]
    keep = [i + 1 for i in np.argsort(sizes)[::-1][:2] if sizes[i] >= 0.01 * prob.size]
    return np.isin(labels, keep)


def crop_box(mask: np.ndarray, width: int, height: int) -> tuple[tuple[int, int, int, int], float, str]:
    """Box (x0, y0, x1, y1; x1/y1 exclusive, original pixels), lung share, and fallback reason.

    Reason "" means the box is used; otherwise the box is the full image.
    """
    area = float(mask.mean())
    if not mask.any():
        return (0, 0, width, height), area, "no lungs"
    if not MIN_AREA <= area <= MAX_AREA:
        return (0, 0, width, height), area, "implausible area"
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    sx, sy = width / mask.shape[1], height / mask.shape[0]
    x0, x1 = cols[0] * sx, (cols[-1] + 1) * sx
    y0, y1 = rows[0] * sy, (rows[-1] + 1) * sy
    # One tall, narrow blob is one lung found and the other missed (dense opacity, say):
    # its box would cut the other lung off. Two lungs together are about as wide as tall.
    if ndimage.label(mask)[1] == 1 and (x1 - x0) < 0.6 * (y1 - y0):
        return (0, 0, width, height), area, "one lung"
    mx, my = MARGIN * (x1 - x0), MARGIN * (y1 - y0)
    box = (max(0, math.floor(x0 - mx)), max(0, math.floor(y0 - my)),
           min(width, math.ceil(x1 + mx)), min(height, math.ceil(y1 + my)))
    return box, area, ""


def parse_box(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(","))


def cropped_path(original: str) -> Path:
    # images/<label>/<source>__<name>.png. The raddb originals are JPEGs (*.jpg); their crops
    # are PNG too (stem kept, no stem repeats within a label), so no source gets a second lossy
    # JPEG pass that a classifier could pick up as a cue.
    p = Path(original)
    return OUT / "images" / p.parent.name / f"{p.stem}.png"


def crop(args: argparse.Namespace) -> None:
    model, _ = load_segmenter()
    paths = sorted(set().union(*(pd.read_csv(SPLITS / f"{n}.csv")["path"] for n in SPLIT_NAMES)))
    print(f"{len(paths)} images")
    rows, t0 = [], time.time()
    for start in range(0, len(paths), 64):
        chunk = paths[start:start + 64]
        xt = torch.from_numpy(np.stack([load_gray(Path(p)) for p in chunk])[:, None]).float() / 255
        for path, prob in zip(chunk, predict(model, xt), strict=True):
            im = read_gray(Path(path))
            box, area, reason = crop_box(lung_components(prob), *im.size)
            piece = im.crop(box)
            scale = OUT_SIDE / max(piece.size)
            piece = piece.resize((max(1, round(piece.width * scale)), max(1, round(piece.height * scale))),
                                 Image.LANCZOS)
            target = cropped_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            piece.save(target)
            bbox_frac = (box[2] - box[0]) * (box[3] - box[1]) / (im.width * im.height)
            rows.append({"path": path, "bbox": ",".join(map(str, box)), "lung_area_fraction": round(area, 4),
                         "bbox_area_fraction": round(bbox_frac, 4), "fallback": bool(reason),
                         "fallback_reason": reason,
                         "crop_path": str(target), "width": im.width, "height": im.height})
        print(f"{start + len(chunk)}/{len(paths)} ({time.time() - t0:.0f}s)", flush=True)
    pd.DataFrame(rows).to_csv(OUT / "crops.csv", index=False)
    print(f"wrote {OUT / 'crops.csv'}")
    write_splits(args)


def write_splits(args: argparse.Namespace) -> None:
    """Copy each split CSV as text, changing only `path`: same rows, order, columns, subsets."""
    for name in SPLIT_NAMES:
        with open(SPLITS / f"{name}.csv", newline="") as f:
            reader = csv.DictReader(f)
            rows, fields = list(reader), reader.fieldnames
        missing = [r["path"] for r in rows if not cropped_path(r["path"]).exists()]
        if missing:
            raise SystemExit(f"{len(missing)} crops missing, e.g. {missing[0]}: run `crop` first")
        target = SPLITS / f"{name.removesuffix('_s0')}-lungcrop_s0.csv"
        with open(target, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows({**r, "path": str(cropped_path(r["path"]))} for r in rows)
        print(f"wrote {target}")


def qa(args: argparse.Namespace) -> None:
    crops = pd.read_csv(OUT / "crops.csv")
    crops["source"] = crops["path"].map(source_of)
    crops["label"] = crops["path"].map(lambda p: Path(p).parent.name)
    crops["narrow"] = crops["bbox"].map(lambda b: np.diff(parse_box(b)[::2])[0]) / crops["width"] < 0.5
    stats = crops.groupby("source").agg(n=("path", "size"), fallback_rate=("fallback", "mean"),
                                        median_bbox_area=("bbox_area_fraction", "median"),
                                        median_lung_area=("lung_area_fraction", "median"),
                                        narrow_box_rate=("narrow", "mean"))
    reasons = crops[crops["fallback"]].groupby(["source", "fallback_reason"]).size()
    # A crop whose size differs by label within one source would itself be a shortcut cue.
    by_label = crops.groupby(["source", "label"]).agg(
        n=("path", "size"), fallback_rate=("fallback", "mean"),
        median_bbox_area=("bbox_area_fraction", "median")).round(3)
    output = "\n\n".join([
        "```\n" + stats.round(3).to_string() + "\n```",
        "Fallbacks by reason:\n\n```\n" + (reasons.to_string() if len(reasons) else "none") + "\n```",
        "```\n" + by_label.to_string() + "\n```",
    ])
    print(output)
    write_output(PAGE, "python -m studies.lung_crop.study qa", output, PAGE_TITLE)

    model, ckpt = load_segmenter()
    seen = {str(DATA / p) for p in ckpt["train_images"]}  # judge only images the net never fit
    rng = np.random.default_rng(0)
    crops["fam"] = crops["source"].map(family)
    picks = []
    for fam, k in (("raddb", 6), ("darkcovidnet", 6), ("cohen", 4), ("kermany", 4)):
        pool = crops[(crops["fam"] == fam) & ~crops["path"].isin(seen)]
        picks.append(pool.iloc[rng.choice(len(pool), size=k, replace=False)])
    tile, cols = 256, 6
    sheet = Image.new("RGB", (cols * tile, 4 * (tile + 14)), "white")
    for r, group in enumerate(picks):
        xt = torch.from_numpy(np.stack([load_gray(Path(p)) for p in group["path"]])[:, None]).float() / 255
        for c, (row, prob) in enumerate(zip(group.itertuples(), predict(model, xt), strict=True)):
            rgb = read_gray(Path(row.path)).convert("RGB").resize((tile, tile), Image.BILINEAR)  # squashed like the net
            mask = lung_components(prob)
            big = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((tile, tile), Image.NEAREST)) > 0
            edge = big & ~ndimage.binary_erosion(big, iterations=2)
            arr = np.asarray(rgb).copy()
            arr[edge] = (255, 40, 40)
            rgb = Image.fromarray(arr)
            draw = ImageDraw.Draw(rgb)
            x0, y0, x1, y1 = parse_box(row.bbox)
            sx, sy = tile / row.width, tile / row.height
            draw.rectangle((x0 * sx, y0 * sy, x1 * sx - 1, y1 * sy - 1), outline=(255, 220, 0), width=2)
            sheet.paste(rgb, (c * tile, r * (tile + 14) + 14))
            text = f"{row.source} {row.label} lung {row.lung_area_fraction:.2f}" + (" FALLBACK" if row.fallback else "")
            ImageDraw.Draw(sheet).text((c * tile + 3, r * (tile + 14) + 1), text, fill="black")
    sheet.save(OUT / "qa_overlays.png")
    print(f"\nwrote {OUT / 'qa_overlays.png'} (red: predicted lungs, yellow: crop box; images squashed)")


def main() -> None:
    torch.set_num_threads(1)  # the machine is shared with training jobs
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train-segmenter")
    train.add_argument("--epochs", type=int, default=40)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--lr", type=float, default=3e-3)
    for name in ("crop", "splits", "qa"):
        sub.add_parser(name)
    args = parser.parse_args()
    {"train-segmenter": train_segmenter, "crop": crop, "splits": write_splits, "qa": qa}[args.command](args)


if __name__ == "__main__":
    main()
