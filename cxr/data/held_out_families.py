"""Families of pictures that are NOT frontal chest X-rays, made offline, seeded and deterministic,
to MEASURE the guard on (studies/guard_families, studies/guard_highlights): nothing is ever fitted
on them, which is what makes them held out. The pictures the guard is fitted on come from other
generators (cxr.data.negatives, cxr.data.hard_negatives).

Each family is one function returning `Family` (name, what it is, whether the negative set of
`cxr.data.negatives` (what the bundled model card reports) already holds pictures of this kind,
and the encoded pictures as a user would upload them). Families that set has no picture of are
held out by construction: nothing of the guard was ever looked at beside them. Since the chest
X-ray verifier (cxr.inference.guard.verifier), the monitor photos, crops and destroyed X-rays are
"kind": its fitting negatives (cxr.data.hard_negatives) hold pictures of these kinds, made by other
generators from other X-rays; their held-out measure is the verifier study's family-left-out table.

Sources: scikit-image's and matplotlib's bundled sample files (no download), Pillow drawing and
text, matplotlib's Agg backend, and real X-rays passed in by the caller (for the monitor photos,
crops and transforms). Imports cxr, numpy, PIL, skimage, sklearn and matplotlib only.
"""
from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from cxr.data.negatives import SKIMAGE_IMAGES, to_rgb
from cxr.inference.guard.orientation import apply_orientation
from cxr.inference.rendering import png_bytes

# Pictures per generated held-out family. "Refused >= 99%" needs about 300 refused of 300 for the
# Wilson interval's lower end to pass 98.7%; with 30 it could not pass 89%.
GENERATED = 300


@dataclass
class Family:
    name: str
    what: str
    in_fitted_set: str  # "yes" (same base images), "kind" (same kind, new pictures), "no"
    negative: bool = True  # False: rotations/inversions, which the orientation check handles
    items: list[tuple[str, bytes]] = field(default_factory=list)


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    img.convert("L" if img.mode == "L" else "RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _crop(img: Image.Image, rng, lo: float = 0.5, hi: float = 0.85) -> Image.Image:
    width, height = img.size
    scale = rng.uniform(lo, hi)
    w, h = max(64, int(width * scale)), max(64, int(height * scale))
    left = int(rng.integers(0, max(1, width - w + 1)))
    top = int(rng.integers(0, max(1, height - h + 1)))
    return img.crop((left, top, left + w, top + h))


def _photo_variants(name: str, img: Image.Image, rng) -> list[tuple[str, bytes]]:
    """Colour, grey, grey square 512 px JPEG (the X-rays' usual shape), grey crop JPEG."""
    grey = ImageOps.grayscale(img)
    return [
        (f"{name}/colour", _jpeg(img, 90)),
        (f"{name}/grey", png_bytes(grey)),
        (f"{name}/grey-square", _jpeg(grey.resize((512, 512)), 85)),
        (f"{name}/grey-crop", _jpeg(_crop(grey, rng), 75)),
    ]


# --- photos -----------------------------------------------------------------------------------

def photos_in_set(seed: int = 0) -> Family:
    """The negative set's own scikit-image and scikit-learn photos, with new crops: a reference."""
    import skimage.data
    from sklearn.datasets import load_sample_images

    rng = np.random.default_rng(seed)
    items = []
    for name in SKIMAGE_IMAGES:
        if name in ("binary_blobs", "checkerboard", "shepp_logan_phantom"):
            continue
        try:
            arr = getattr(skimage.data, name)()
        except Exception:  # noqa: BLE001 - an image missing from this scikit-image is skipped
            continue
        items += _photo_variants(f"skimage:{name}", _rgb_image(arr), rng)
    sample = load_sample_images()
    for filename, arr in zip(sample.filenames, sample.images, strict=True):
        items += _photo_variants(f"sklearn:{os.path.basename(filename)}", _rgb_image(arr), rng)
    return Family("photos (negative set's bases)", "scikit-image/-learn photos of the negative set, "
                  "new crops, grey and 512 px square JPEGs", "yes", items=items)


def _skimage_file(name: str) -> np.ndarray:
    import skimage.data
    import skimage.io

    return skimage.io.imread(os.path.join(skimage.data.data_dir, name))


def _matplotlib_file(name: str) -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "sample_data", name)


def photos_held_out(seed: int = 0) -> Family:
    """Photos the negative set never used: scikit-image files outside its list and matplotlib's."""
    rng = np.random.default_rng(seed)
    images = {}
    for name in ("color.png", "clock_motion.png", "motorcycle_left.png", "motorcycle_right.png",
                 "chessboard_RGB.png", "microaneurysms.png", "no_time_for_that_tiny.gif"):
        arr = _skimage_file(name)
        images[f"skimage-file:{name}"] = _rgb_image(arr[0] if arr.ndim == 4 else arr)
    tif = _skimage_file("multipage_rgb.tif")
    images["skimage-file:multipage_rgb.tif"] = _rgb_image(tif[0] if tif.ndim == 4 else tif)
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"):
        images[f"matplotlib:{name}"] = Image.open(_matplotlib_file(name)).convert("RGB")
    items = []
    for name, img in images.items():
        if min(img.size) < 64:
            img = img.resize((img.size[0] * 4, img.size[1] * 4), Image.Resampling.BICUBIC)
        items += _photo_variants(name, img, rng)
    return Family("photos (other files)", "scikit-image files outside the negative set's list and "
                  "matplotlib's sample photos: colour, grey, 512 px grey JPEG, grey crop", "no", items=items)


def faces(seed: int = 0, n: int = 100) -> Family:
    """Grey face photos (scikit-image's LFW subset, 25 px, enlarged as a phone would show them)."""
    rng = np.random.default_rng(seed)
    import skimage.data

    faces_ = np.load(os.path.join(skimage.data.data_dir, "lfw_subset.npy"))[:100]  # the faces half
    items = []
    for k in rng.choice(len(faces_), size=min(n, len(faces_)), replace=False):
        img = _rgb_image(faces_[int(k)]).convert("L").resize((256, 256), Image.Resampling.BICUBIC)
        items.append((f"lfw:{int(k)}", _jpeg(img, 85) if k % 2 else png_bytes(img)))
    return Family("grey face portraits", "scikit-image's LFW faces, grey, enlarged to 256 px", "no",
                  items=items)


def scientific_maps(seed: int = 0) -> Family:
    """matplotlib's sample grids: electron micrograph, elevation and bathymetry maps, in grey."""
    rng = np.random.default_rng(seed)
    grids = {}
    with np.load(_matplotlib_file("jacksboro_fault_dem.npz")) as dem:
        grids["jacksboro-dem"] = dem["elevation"]
    with np.load(_matplotlib_file("topobathy.npz")) as topo:
        grids["topobathy"] = topo["topo"]
    items = []
    for name, grid in grids.items():
        img = _rgb_image(grid).convert("L")
        img = img.resize((max(256, img.size[0]), max(256, img.size[1])), Image.Resampling.BICUBIC)
        items += [(f"{name}/grey", png_bytes(img)), (f"{name}/inverted", png_bytes(ImageOps.invert(img))),
                  (f"{name}/crop", _jpeg(_crop(img, rng), 80)),
                  (f"{name}/equalised", png_bytes(ImageOps.equalize(img)))]
    return Family("scientific maps (grey)", "matplotlib's elevation and bathymetry grids rendered grey",
                  "kind", items=items)


# --- other modalities -------------------------------------------------------------------------

def mri_slices(seed: int = 0) -> Family:
    """One real brain MRI slice (matplotlib's s1045.ima, 256 x 256, 16 bit) in many windows."""
    rng = np.random.default_rng(seed)
    with gzip.open(_matplotlib_file("s1045.ima.gz")) as f:
        mri = np.frombuffer(f.read(), np.uint16).reshape(256, 256).astype(np.float32)
    items = []
    for k, (lo, hi) in enumerate(((0, 99.5), (1, 99), (5, 95), (0, 90), (10, 99.9), (0, 80))):
        a, b = np.percentile(mri, [lo, hi])
        grey = Image.fromarray((np.clip((mri - a) / max(b - a, 1), 0, 1) * 255).astype(np.uint8))
        size = int(rng.integers(256, 640))
        grey = grey.resize((size, size), Image.Resampling.BICUBIC)
        items += [(f"mri/window{k}", png_bytes(grey) if k % 2 else _jpeg(grey, 85)),
                  (f"mri/window{k}-crop", png_bytes(_crop(grey, rng, 0.7, 0.95)))]
    return Family("brain MRI (one slice)", "a real MRI slice from matplotlib's sample data in 6 grey "
                  "windows, enlarged and cropped (one base image only)", "no", items=items)


# --- documents, screenshots, charts ------------------------------------------------------------

WORDS = ("patient ward oxygen review clinic result normal report referral district vaccine fever "
         "cough sputum clinic nurse discharge follow-up radiology imaging budget schedule supply "
         "batuk demam pasien rumah sakit hasil pemeriksaan dokter catatan jadwal").split()


def _words(rng, n: int) -> str:
    return " ".join(WORDS[int(k)] for k in rng.integers(0, len(WORDS), n))


def documents(seed: int = 0, n: int = GENERATED) -> Family:
    """Pages the negative set never drew: tables with grid lines, two-column text, forms, slides,
    dark-mode pages, scanned with shading, rotation and JPEG."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        width, height = ((620, 800), (800, 620), (512, 512), (1000, 1300))[k % 4]
        dark = k % 7 == 3
        page = Image.new("L", (width, height), 30 if dark else int(rng.integers(225, 256)))
        draw = ImageDraw.Draw(page)
        ink = 220 if dark else int(rng.integers(0, 60))
        size = int(rng.integers(12, 28))
        font = ImageFont.load_default(size=size)
        layout = k % 3
        y = 30
        draw.text((30, y), _words(rng, 4).title(), fill=ink, font=ImageFont.load_default(size=size + 8))
        y += size * 3
        if layout == 0:  # a table with grid lines
            cols, rows = int(rng.integers(3, 6)), int(rng.integers(6, 16))
            cw, rh = (width - 60) // cols, size * 2
            for r in range(rows):
                for c in range(cols):
                    box = (30 + c * cw, y + r * rh, 30 + (c + 1) * cw, y + (r + 1) * rh)
                    draw.rectangle(box, outline=ink, width=1)
                    text = _words(rng, 1) if c == 0 else f"{rng.uniform(0, 200):.1f}"
                    draw.text((box[0] + 4, box[1] + 3), text, fill=ink, font=font)
        elif layout == 1:  # two columns of text
            col = (width - 90) // 2
            for c in range(2):
                for line in range((height - y - 40) // (size + 6)):
                    draw.text((30 + c * (col + 30), y + line * (size + 6)),
                              _words(rng, max(2, col // (size * 4))), fill=ink, font=font)
        else:  # a form: labels and boxes
            for line in range((height - y - 40) // (size * 3)):
                draw.text((30, y + line * size * 3), _words(rng, 2) + ":", fill=ink, font=font)
                draw.rectangle((width // 2, y + line * size * 3, width - 30, y + line * size * 3 + size + 6),
                               outline=ink, width=2)
        if k % 2:  # photographed: rotated, shaded, blurred a little, JPEG
            page = page.rotate(float(rng.uniform(-10, 10)), fillcolor=int(rng.integers(40, 120)), expand=True)
            shade = np.linspace(rng.uniform(0.6, 0.85), 1.0, page.size[0], dtype=np.float32)[None, :]
            page = Image.fromarray((np.asarray(page) * shade).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
            items.append((f"page{k}/photographed", _jpeg(page, int(rng.integers(60, 90)))))
        else:
            items.append((f"page{k}/scan", png_bytes(page)))
    return Family("document pages and tables", "new page layouts rendered with Pillow: tables, two "
                  "columns, forms, dark pages; half photographed", "kind", items=items)


def _xray_thumb(xrays: Sequence[np.ndarray], rng, size: int) -> Image.Image:
    return Image.fromarray(xrays[int(rng.integers(0, len(xrays)))]).resize((size, size))


def ui_screenshots(xrays: Sequence[np.ndarray], seed: int = 0, n: int = GENERATED) -> Family:
    """Application windows drawn with Pillow: title bar, side bar, buttons, fields, a list; a third
    show a small X-ray inside the window (a screenshot of a viewer, not an X-ray)."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        width, height = ((1280, 800), (1024, 768), (800, 600), (1440, 900))[k % 4]
        grey_ui = k % 2 == 1  # a grey theme: no colour to catch
        def colour(base: int, _grey: bool = grey_ui) -> tuple[int, int, int]:
            if _grey:
                return (base, base, base)
            return tuple(int(v) for v in np.clip(base + rng.integers(-90, 90, 3), 0, 255))
        img = Image.new("RGB", (width, height), colour(int(rng.integers(200, 250))))
        draw = ImageDraw.Draw(img)
        font = ImageFont.load_default(size=int(rng.integers(12, 20)))
        draw.rectangle((0, 0, width, 36), fill=colour(60))
        draw.text((12, 10), _words(rng, 3).title(), fill=(240, 240, 240), font=font)
        for b, x in enumerate((width - 100, width - 66, width - 32)):
            draw.ellipse((x, 10, x + 16, 26), fill=colour(120 + 40 * b))
        side = int(rng.integers(160, 260))
        draw.rectangle((0, 36, side, height), fill=colour(int(rng.integers(40, 90)) if k % 3 == 0 else 225))
        for line in range(12):
            draw.text((16, 56 + line * 32), _words(rng, 2), fill=colour(200 if k % 3 == 0 else 40), font=font)
        x0, y0 = side + 24, 60
        for _field in range(int(rng.integers(3, 7))):
            draw.text((x0, y0), _words(rng, 2) + ":", fill=(30, 30, 30), font=font)
            draw.rounded_rectangle((x0 + 180, y0 - 4, x0 + 480, y0 + 24), 4, outline=(120, 120, 120), fill=(255, 255, 255))
            y0 += 44
        for b in range(3):
            draw.rounded_rectangle((x0 + b * 140, y0, x0 + b * 140 + 120, y0 + 36), 6, fill=colour(90))
            draw.text((x0 + b * 140 + 16, y0 + 10), _words(rng, 1), fill=(255, 255, 255), font=font)
        if k % 3 == 2 and xrays:  # an X-ray viewer's window
            size = min(height - y0 - 80, width - x0 - 60, 360)
            img.paste(_xray_thumb(xrays, rng, size).convert("RGB"), (x0, y0 + 60))
        else:
            for row in range(int(rng.integers(4, 10))):
                draw.text((x0, y0 + 60 + row * 28), _words(rng, 6), fill=(20, 20, 20), font=font)
        items.append((f"window{k}", png_bytes(img) if k % 4 else _jpeg(img, 90)))
    return Family("UI screenshots", "application windows drawn with Pillow (colour and grey themes; a "
                  "third show an X-ray thumbnail inside the window)", "no", items=items)


def charts(seed: int = 0, n: int = GENERATED) -> Family:
    """Line, bar, scatter, histogram and image charts from matplotlib's Agg backend, colour and grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        grey = k % 2 == 1
        fig, ax = plt.subplots(figsize=(rng.uniform(4, 8), rng.uniform(3, 6)), dpi=100)
        kind = k % 5
        x = np.arange(30)
        colour = "0.2" if grey else None
        if kind == 0:
            for _ in range(3):
                ax.plot(x, np.cumsum(rng.normal(0, 1, 30)), color=colour)
        elif kind == 1:
            ax.bar(np.arange(8), rng.uniform(1, 10, 8), color=colour)
        elif kind == 2:
            ax.scatter(rng.normal(0, 1, 200), rng.normal(0, 1, 200), s=8, color=colour)
        elif kind == 3:
            ax.hist(rng.normal(0, 1, 1000), bins=30, color=colour)
        else:
            ax.imshow(rng.normal(0, 1, (20, 20)).cumsum(0), cmap="gray" if grey else "viridis")
        ax.set_title(_words(rng, 3))
        ax.set_xlabel(_words(rng, 1))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        img = Image.open(io.BytesIO(buffer.getvalue())).convert("L" if grey else "RGB")
        items.append((f"chart{k}", png_bytes(img) if k % 3 else _jpeg(img, 85)))
    return Family("charts", "matplotlib line/bar/scatter/histogram/image charts, half in grey", "no",
                  items=items)


# --- X-rays shown on a monitor and photographed --------------------------------------------------

def _perspective_coefficients(src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE data mapping output points `dst` back to input points `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return list(np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float)))


def monitor_photos(xrays: Sequence[np.ndarray], seed: int = 0, n: int = 80) -> Family:
    """A real X-ray on a monitor, photographed: the screen fills 45-95% of the frame at a slant
    (perspective), the monitor's pixel grid beats with the camera's (moire), a white-balance
    colour cast, a glare spot, sensor noise and phone JPEG. Half have a mild cast only."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        xray = Image.fromarray(xrays[k % len(xrays)]).convert("L")
        width, height = (800, 600) if k % 2 else (640, 800)
        fill = rng.uniform(0.45, 0.95)
        sw, sh = width * fill, height * fill
        cx, cy = width / 2 + rng.uniform(-0.05, 0.05) * width, height / 2 + rng.uniform(-0.05, 0.05) * height
        short = min(sw, sh)
        jitter = lambda short=short: rng.uniform(-0.08, 0.08) * short  # noqa: E731
        quad = [(cx - sw / 2 + jitter(), cy - sh / 2 + jitter()), (cx + sw / 2 + jitter(), cy - sh / 2 + jitter()),
                (cx + sw / 2 + jitter(), cy + sh / 2 + jitter()), (cx - sw / 2 + jitter(), cy + sh / 2 + jitter())]
        # the screen: the X-ray letterboxed on black, a bezel around it
        screen = Image.new("L", (600, 450), 0)
        side = 430
        screen.paste(xray.resize((side, side)), ((600 - side) // 2, 10))
        bezel = Image.new("L", (640, 490), int(rng.integers(10, 50)))
        bezel.paste(screen, (20, 20))
        src = [(0, 0), (640, 0), (640, 490), (0, 490)]
        room = np.linspace(rng.uniform(40, 120), rng.uniform(120, 220), height, dtype=np.float32)[:, None]
        room = np.repeat(room, width, axis=1)
        warped = bezel.transform((width, height), Image.Transform.PERSPECTIVE,
                                 _perspective_coefficients(src, quad), Image.Resampling.BILINEAR, fillcolor=0)
        mask = Image.new("L", (640, 490), 255).transform((width, height), Image.Transform.PERSPECTIVE,
                                                         _perspective_coefficients(src, quad), fillcolor=0)
        m = np.asarray(mask, np.float32) / 255
        grey = np.asarray(warped, np.float32) * m + room * (1 - m)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        f1, f2, angle = rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.6), rng.uniform(0, np.pi)
        moire = (np.sin(2 * np.pi * f1 * xx) * np.sin(2 * np.pi * f2 * (xx * np.cos(angle) + yy * np.sin(angle))))
        grey = grey * (1 + rng.uniform(0.05, 0.2) * moire * m)
        gx, gy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (rng.uniform(0.05, 0.2) * width) ** 2))
        grey = grey + rng.uniform(30, 120) * glare
        strong = k % 2 == 0
        cast = np.array([1.0, rng.uniform(0.85, 1.05), rng.uniform(1.05, 1.35)] if strong
                        else [1.0, rng.uniform(0.97, 1.02), rng.uniform(1.02, 1.08)], np.float32)
        if strong and k % 4 == 0:
            rng.shuffle(cast)
        rgb = grey[..., None] * cast[None, None, :] + rng.normal(0, 4, (height, width, 3))
        img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
        items.append((f"monitor{k}/{'strong' if strong else 'mild'}-cast", _jpeg(img, int(rng.integers(60, 90)))))
    return Family("X-ray on a monitor, photographed", "real held-out-patient X-rays on a slanted "
                  "screen: perspective, moire, colour cast (half mild), glare, noise, JPEG", "kind", items=items)


def monitor_photos_grey(monitors: Family) -> Family:
    """The monitor photos (`monitor_photos`) saved in greyscale (a phone's mono mode, or converted
    before upload): no colour tint is left for the rules layer, so the network-based checks must
    refuse them alone."""
    items = [(name.replace("monitor", "monitor-grey", 1),
              _jpeg(ImageOps.grayscale(Image.open(io.BytesIO(data))), 85))
             for name, data in monitors.items]
    return Family("X-ray on a monitor, photographed, saved grey", "the monitor photos above in "
                  "greyscale", "kind", items=items)


def table_photos(xrays: Sequence[np.ndarray], seed: int = 0, n: int = 80) -> Family:
    """A printed film or paper copy lying on a table, photographed from above with a phone
    (found by an audit on 2026-12-05: such photos were read, one as "COVID-19 >99.9%"): a plain
    dark-to-mid surface, the sheet slanted (perspective), the room lamp's reflection as a bright
    blob, a faint halftone beat, JPEG. Odd ones are grey, even ones warm room light; every fourth
    is cropped to the sheet, as a user trims a photo before uploading."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        sheet = Image.fromarray(xrays[k % len(xrays)]).convert("L").resize((600, 680))
        width, height = (740, 960) if k % 3 else (960, 740)
        fill = rng.uniform(0.6, 0.92)
        sw, sh = 600 * fill * min(width / 600, height / 680), 680 * fill * min(width / 600, height / 680)
        cx, cy = width / 2 + rng.uniform(-0.04, 0.04) * width, height / 2 + rng.uniform(-0.04, 0.04) * height
        short = min(sw, sh)
        pull = lambda short=short: rng.uniform(-0.1, 0.1) * short  # noqa: E731
        quad = [(cx - sw / 2 + pull(), cy - sh / 2 + pull()), (cx + sw / 2 + pull(), cy - sh / 2 + pull()),
                (cx + sw / 2 + pull(), cy + sh / 2 + pull()), (cx - sw / 2 + pull(), cy + sh / 2 + pull())]
        coefficients = _perspective_coefficients([(0, 0), (600, 0), (600, 680), (0, 680)], quad)
        warped = np.asarray(sheet.transform((width, height), Image.Transform.PERSPECTIVE, coefficients,
                                            Image.Resampling.BICUBIC, fillcolor=0), np.float32)
        on_sheet = np.asarray(Image.new("L", (600, 680), 255).transform(
            (width, height), Image.Transform.PERSPECTIVE, coefficients, fillcolor=0), np.float32) / 255
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        table = rng.uniform(25, 110) + rng.uniform(-20, 20) * xx / width
        grey = warped * on_sheet + table * (1 - on_sheet)
        lamp = np.exp(-(((xx - rng.uniform(0.25, 0.75) * width) / (rng.uniform(0.1, 0.25) * width)) ** 2
                        + ((yy - rng.uniform(0.2, 0.6) * height) / (rng.uniform(0.08, 0.2) * height)) ** 2))
        grey += rng.uniform(80, 190) * lamp
        grey += rng.uniform(0, 14) * np.sin(rng.uniform(0.6, 1.1) * xx + 0.35 * yy) * np.sin(0.3 * xx - 0.8 * yy)
        if k % 2:
            img = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
        else:
            warm = np.array([1.0, rng.uniform(0.92, 0.98), rng.uniform(0.78, 0.9)], np.float32)
            img = Image.fromarray(np.clip(grey[..., None] * warm, 0, 255).astype(np.uint8))
        if k % 4 == 3:
            rows, columns = np.nonzero(on_sheet > 0.5)
            img = img.crop((int(columns.min()), int(rows.min()), int(columns.max()), int(rows.max())))
        items.append((f"table{k}/{'grey' if k % 2 else 'warm'}{'-cropped' if k % 4 == 3 else ''}",
                      _jpeg(img, int(rng.integers(78, 92)))))
    return Family("X-ray on a table, photographed", "real held-out-patient X-rays as a printed sheet "
                  "on a table: perspective, lamp reflection, halftone beat, JPEG (a quarter cropped "
                  "to the sheet)", "kind", items=items)


# --- X-ray crops and transforms ------------------------------------------------------------------

def xray_crops(xrays: Sequence[np.ndarray], seed: int = 0, n: int = 80) -> Family:
    """Crops too small to show both lungs: one side (the left or right 40%), one quadrant, or
    the central 35% (the heart and mediastinum)."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        img = Image.fromarray(xrays[k % len(xrays)])
        w, h = img.size
        kind = k % 4
        if kind == 0:
            box = (0, 0, int(0.4 * w), h) if k % 8 < 4 else (int(0.6 * w), 0, w, h)
        elif kind == 1:
            qx, qy = int(rng.integers(0, 2)), int(rng.integers(0, 2))
            box = (qx * w // 2, qy * h // 2, (qx + 1) * w // 2, (qy + 1) * h // 2)
        elif kind == 2:
            box = (int(0.325 * w), int(0.325 * h), int(0.675 * w), int(0.675 * h))
        else:  # the lower third: diaphragm and abdomen
            box = (0, int(0.67 * h), w, h)
        items.append((f"crop{k}/{('side', 'quadrant', 'centre', 'lower-third')[kind]}",
                      png_bytes(img.crop(box))))
    return Family("X-ray crops (no two lungs)", "held-out-patient X-rays cropped to one side, a "
                  "quadrant, the centre or the lower third", "kind", items=items)


def xray_transforms(xrays: Sequence[np.ndarray], seed: int = 0, n: int = 96) -> Family:
    """Transforms after which no reader would call it a chest X-ray: a 2 x 2 montage of four X-rays,
    a binary threshold, an edge map, 16-px blocks, 2-level posterisation, a false-colour map."""
    import matplotlib

    rng = np.random.default_rng(seed)
    items = []
    jet = matplotlib.colormaps["jet"]
    for k in range(n):
        grey = Image.fromarray(xrays[k % len(xrays)]).convert("L").resize((512, 512))
        kind = k % 6
        if kind == 0:
            tiles = [Image.fromarray(xrays[int(i) % len(xrays)]).convert("L").resize((256, 256))
                     for i in rng.integers(0, len(xrays), 4)]
            out = Image.new("L", (512, 512))
            for t, tile in enumerate(tiles):
                out.paste(tile, ((t % 2) * 256, (t // 2) * 256))
        elif kind == 1:
            out = grey.point(lambda v: 255 if v > 128 else 0)
        elif kind == 2:
            out = ImageOps.autocontrast(grey.filter(ImageFilter.FIND_EDGES))
        elif kind == 3:
            out = grey.resize((32, 32), Image.Resampling.BOX).resize((512, 512), Image.Resampling.NEAREST)
        elif kind == 4:
            out = ImageOps.posterize(grey, 1)
        else:
            out = Image.fromarray((jet(np.asarray(grey) / 255.0)[..., :3] * 255).astype(np.uint8))
        names = ("montage", "threshold", "edges", "blocks16", "posterise", "false-colour")
        items.append((f"xray{k}/{names[kind]}", png_bytes(out)))
    return Family("X-ray transforms (destroyed)", "held-out-patient X-rays made into montages, "
                  "thresholds, edge maps, 16 px blocks, posterised, false colour", "kind", items=items)


def xray_orientation(xrays: Sequence[np.ndarray], n: int = 80) -> Family:
    """Rotated and inverted X-rays: still chest X-rays; the orientation check turns them back or
    refuses them. Not a negative family: reported apart."""
    items = []
    for k in range(n):
        name = ("rot90", "rot180", "rot270", "inverted")[k % 4]
        items.append((f"xray{k}/{name}", png_bytes(Image.fromarray(apply_orientation(xrays[k % len(xrays)], name)))))
    return Family("X-ray rotated or inverted", "held-out-patient X-rays turned 90/180/270 degrees or "
                  "inverted (the orientation check's job)", "no", negative=False, items=items)


def all_families(xrays: Sequence[np.ndarray], seed: int = 0) -> list[Family]:
    monitors = monitor_photos(xrays, seed)  # made once: the grey family is the same photos
    makers: list[Callable[[], Family]] = [
        lambda: photos_in_set(seed), lambda: photos_held_out(seed), lambda: faces(seed),
        lambda: scientific_maps(seed), lambda: mri_slices(seed), lambda: documents(seed),
        lambda: ui_screenshots(xrays, seed), lambda: charts(seed),
        lambda: monitors, lambda: monitor_photos_grey(monitors), lambda: table_photos(xrays, seed),
        lambda: xray_crops(xrays, seed),
        lambda: xray_transforms(xrays, seed), lambda: xray_orientation(xrays),
    ]
    return [make() for make in makers]


def _rgb_image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(to_rgb(arr))
