"""A set of pictures that are NOT chest X-rays, to measure how often the OOD guard refuses them.

Built offline from what the installed packages ship, with no download:
- photos and scientific images bundled with scikit-image and scikit-learn (the distinct base
  images are counted in `describe`; everything else is derived from them or drawn here),
- text documents rendered with Pillow (reports, tables, forms),
- synthetic pictures: noise, gradients, shapes, stripes, blank frames.
Photos also appear as crops, grey versions, rotations, inversions and small JPEG re-encodings,
because a grey photo is much harder to tell from a radiograph than a coloured one.

The feature guard's threshold comes from validation X-rays alone, but the verifier is fitted on
every picture of this set (family "pictures" of `cxr.data.hard_negatives`), so the served
guard's refusal rate measured here (the card's `ood.negative_refusal_rate`) is not out-of-sample;
the held-out families of docs/results/guard_families.md are. Everything is deterministic (seeded).
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from cxr.inference.rendering import png_bytes

# scikit-image images that ship inside the package (no pooch download needed).
SKIMAGE_IMAGES = (
    "astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "colorwheel", "grass",
    "gravel", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page", "text",
    "retina", "rocket", "cell", "shepp_logan_phantom", "horse", "binary_blobs", "checkerboard",
)

DOCUMENT_TEXTS = (
    "Radiology department\nReferral form\n\nPatient name: ____________\nDate of birth: ________\n"
    "Clinical question: cough, fever for 5 days\nRequested exam: chest PA\nSignature: ________",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco.",
    "Laboratory results\nCRP      48 mg/L    (< 5)\nWBC      11.2 G/L   (4-10)\nLymph    0.8 G/L    "
    "(1-4)\nSpO2     93 %\nPCR SARS-CoV-2: pending",
    "Invoice 2024-117\nItem                Qty   Price\nConsultation          1   25.00\n"
    "X-ray chest           1   40.00\nTotal                     65.00",
    "Meeting notes\n- roster for next week\n- oxygen supply check\n- training on the new "
    "screening app\n- report back to the district office",
    "Hasil pemeriksaan\nNama: ______\nUmur: __ tahun\nKeluhan: batuk, demam\nCatatan dokter:",
)


@dataclass
class NegativeImage:
    name: str  # unique, e.g. "skimage:coffee/crop1"
    kind: str  # "photo", "photo-grey", "document", "synthetic", "blank", "scientific"
    base: str  # the distinct image it derives from ("synthetic" for drawn ones)
    data: bytes  # an encoded PNG or JPEG, as a user would upload it


def build_negative_set(seed: int = 0) -> list[NegativeImage]:
    rng = np.random.default_rng(seed)
    items: list[NegativeImage] = []
    for base, kind, rgb in _bundled_images():
        items.extend(_variants(base, kind, rgb, rng))
    for k, text in enumerate(DOCUMENT_TEXTS):
        items.extend(_document_variants(f"document{k}", text, rng))
    items.extend(_synthetic(rng))
    return items


def describe(items: list[NegativeImage]) -> dict:
    """Counts for the model card: images per kind and the number of distinct base images."""
    bases = {item.base for item in items if item.base != "synthetic"}
    return {
        "n": len(items),
        "distinct_base_images": len(bases),
        "synthetic_images": sum(item.base == "synthetic" for item in items),
        "by_kind": dict(sorted(Counter(item.kind for item in items).items())),
        "sources": "scikit-image and scikit-learn sample images, documents rendered with Pillow, "
                   "synthetic noise/gradients/shapes/blank frames; with crops, grey, rotated, "
                   "inverted and JPEG variants",
    }


# --- sources ----------------------------------------------------------------------------------

def _bundled_images():
    import skimage.data
    from sklearn.datasets import load_sample_images

    for name in SKIMAGE_IMAGES:
        try:
            loader = getattr(skimage.data, name)
            arr = loader(rng=0) if name == "binary_blobs" else loader()  # blobs are random
        except Exception:  # noqa: BLE001 - an image missing from this scikit-image is skipped
            continue
        kind = "scientific" if name in ("immunohistochemistry", "retina", "cell", "hubble_deep_field",
                                        "shepp_logan_phantom", "moon", "binary_blobs") else "photo"
        yield f"skimage:{name}", kind, to_rgb(arr)
    sample = load_sample_images()
    for filename, arr in zip(sample.filenames, sample.images, strict=True):
        yield f"sklearn:{filename.rsplit('/', 1)[-1]}", "photo", to_rgb(arr)


def to_rgb(arr: np.ndarray) -> np.ndarray:
    """Any sample picture (bool, float, grey, RGBA) as uint8 RGB (H, W, 3)."""
    arr = np.asarray(arr)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        arr = np.clip((arr - arr.min()) / max(float(np.ptp(arr)), 1e-9) * 255, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    return arr[..., :3]


def _variants(base: str, kind: str, rgb: np.ndarray, rng) -> list[NegativeImage]:
    img = Image.fromarray(rgb)
    grey_kind = "photo-grey" if kind == "photo" else kind
    grey = ImageOps.grayscale(img)
    out = [
        NegativeImage(f"{base}/original", kind, base, png_bytes(img)),
        NegativeImage(f"{base}/grey", grey_kind, base, png_bytes(grey)),
        NegativeImage(f"{base}/grey-inverted", grey_kind, base, png_bytes(ImageOps.invert(grey))),
        NegativeImage(f"{base}/rotated", kind, base, png_bytes(img.rotate(90, expand=True))),
        NegativeImage(f"{base}/crop", kind, base, png_bytes(_random_crop(img, rng))),
        NegativeImage(f"{base}/grey-crop-jpeg", grey_kind, base, _jpeg(_random_crop(grey, rng), 70)),
    ]
    if kind == "photo":  # a photo re-sized to the X-rays' usual 512 px square
        out.append(NegativeImage(f"{base}/square", kind, base, _jpeg(img.resize((512, 512)), 85)))
    return out


def _random_crop(img: Image.Image, rng) -> Image.Image:
    width, height = img.size
    scale = rng.uniform(0.5, 0.8)
    w, h = max(64, int(width * scale)), max(64, int(height * scale))
    left = int(rng.integers(0, max(1, width - w + 1)))
    top = int(rng.integers(0, max(1, height - h + 1)))
    return img.crop((left, top, left + w, top + h))


def _document_variants(base: str, text: str, rng) -> list[NegativeImage]:
    out = []
    for k, (size, font_size) in enumerate((((620, 800), 18), ((800, 600), 26), ((512, 512), 14))):
        page = Image.new("L", size, 250)
        draw = ImageDraw.Draw(page)
        font = ImageFont.load_default(size=font_size)
        draw.multiline_text((30, 40), _wrap(text, max(20, size[0] // (font_size // 2 + 1))), fill=20,
                            font=font, spacing=font_size // 2)
        draw.rectangle((20, 20, size[0] - 20, size[1] - 20), outline=80, width=2)
        if k == 1:  # a phone photo of a page: slightly rotated, shaded, JPEG
            page = page.rotate(float(rng.uniform(-8, 8)), fillcolor=90, expand=True)
            shade = np.linspace(0.75, 1.0, page.size[0], dtype=np.float32)[None, :]
            page = Image.fromarray((np.asarray(page) * shade).astype(np.uint8))
            out.append(NegativeImage(f"{base}/photographed", "document", base, _jpeg(page, 80)))
        else:
            out.append(NegativeImage(f"{base}/scan{k}", "document", base, png_bytes(page)))
    return out


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) if line else "" for line in text.splitlines())


def _synthetic(rng) -> list[NegativeImage]:
    out: list[NegativeImage] = []

    def add(name: str, kind: str, arr: np.ndarray, jpeg: bool = False) -> None:
        img = Image.fromarray(arr)
        out.append(NegativeImage(f"synthetic:{name}", kind, "synthetic", _jpeg(img, 85) if jpeg else png_bytes(img)))

    size = 384
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    for k in range(6):
        add(f"gaussian-noise{k}", "synthetic", np.clip(rng.normal(128, 20 + 15 * k, (size, size)), 0, 255).astype(np.uint8))
        add(f"uniform-noise{k}", "synthetic", rng.integers(0, 256, (size, size, 3) if k % 2 else (size, size), dtype=np.uint8))
        add(f"salt-pepper{k}", "synthetic", (rng.random((size, size)) < 0.1 + 0.1 * k).astype(np.uint8) * 255)
        blurred = Image.fromarray(rng.integers(0, 256, (24, 24), dtype=np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
        add(f"smooth-noise{k}", "synthetic", np.asarray(blurred), jpeg=k % 2 == 1)
    for k, angle in enumerate(np.linspace(0, np.pi, 6, endpoint=False)):
        ramp = (np.cos(angle) * xx + np.sin(angle) * yy)
        add(f"gradient{k}", "synthetic", (255 * (ramp - ramp.min()) / np.ptp(ramp)).astype(np.uint8))
        radial = np.hypot(xx - 0.5, yy - 0.5) * (1 + k)
        add(f"radial{k}", "synthetic", (255 * (np.cos(radial * 6) * 0.5 + 0.5)).astype(np.uint8))
        add(f"stripes{k}", "synthetic", ((np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * (10 + 5 * k) * np.pi) > 0) * 255).astype(np.uint8))
    for k in range(10):
        img = Image.new("RGB" if k % 2 else "L", (size, size), 0 if k < 5 else 255)
        draw = ImageDraw.Draw(img)
        for _ in range(3 + k):
            box = sorted(rng.integers(0, size, 2)), sorted(rng.integers(0, size, 2))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3)) if k % 2 else int(rng.integers(0, 256))
            shape = (draw.ellipse, draw.rectangle)[int(rng.integers(0, 2))]
            shape((box[0][0], box[1][0], box[0][1] + 1, box[1][1] + 1), fill=colour)
        add(f"shapes{k}", "synthetic", np.asarray(img))
    for k, level in enumerate((0, 255, 128, 30, 220)):
        add(f"blank{k}", "blank", np.full((size, size), level, np.uint8))
    add("blank-faint-noise", "blank", np.clip(rng.normal(128, 1.0, (size, size)), 0, 255).astype(np.uint8))
    add("checker", "synthetic", (((np.floor(xx * 8) + np.floor(yy * 8)) % 2) * 255).astype(np.uint8))
    return out


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    img.convert("RGB" if img.mode not in ("L", "RGB") else img.mode).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
