"""Hard negatives for fitting the chest X-ray verifier: pictures that carry X-ray texture but are
not a usable frontal chest X-ray, made from real X-rays, in families.

Each family is a way a real upload goes wrong. The verifier is fitted with whole families left out
in turn (studies/guard_verifier), so a family's refusal rate is measured by a fit that never saw
it. These generators are written independently of studies/guard_families (the evaluation's
families): other geometry, other moire, other crops, other damage.

- `screen_photo`: an X-ray shown in a viewer on a screen, photographed with a phone: viewer
  frame and side panel, perspective, a line-grid moire, colour cast, blur, JPEG.
- `partial_view`: a part of an X-ray too small to show both lungs (a half, a third, a window).
- `degraded`: an X-ray processed beyond reading: posterised, pixelated, blurred, edge-filtered,
  solarised, drowned in noise.
- `film_photo`: a printed film on a lightbox (or held against a window) photographed with a
  phone: bright uneven backlight around the film, hanger clips, perspective, glare, no pixel grid.
- `table_photo`: a film or paper print lying on a table, photographed from above: a textured
  surface around it, no backlight, the lamp mirrored on it, sometimes a shadow or a print screen.
- `collage`: a viewer screenshot or teaching slide with two to four images side by side (whole
  X-rays and parts of them), dark gutters and caption lines.
- `pictures`: the pictures of `cxr.data.negatives` (photos, documents, synthetic drawings).

Deterministic (seeded); numpy and Pillow only.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from cxr.data.negatives import build_negative_set
from cxr.inference.rendering import png_bytes


@dataclass
class HardNegative:
    family: str
    name: str
    data: bytes  # encoded as a user would upload it


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=int(quality))
    return buffer.getvalue()


def _perspective(src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float)).tolist()


def _slanted(img: Image.Image, size: tuple[int, int], rng, scale_range: tuple[float, float],
             shift: float, tilt: float) -> tuple[np.ndarray, np.ndarray]:
    """`img` photographed onto a black `size` canvas: scaled by a share in `scale_range` of what
    fits, its centre moved by about `shift` of the canvas, each corner pulled by up to `tilt` of
    its side (perspective). Returns (grey pixels, share of each pixel inside the image), floats."""
    width, height = size
    w, h = img.size
    scale = rng.uniform(*scale_range) * min(width / w, height / h)
    cx, cy = width / 2 + rng.normal(0, shift) * width, height / 2 + rng.normal(0, shift) * height
    pull = rng.uniform(-tilt, tilt, size=(4, 2)) * min(w, h) * scale
    dst = [(cx - w * scale / 2 + pull[0, 0], cy - h * scale / 2 + pull[0, 1]),
           (cx + w * scale / 2 + pull[1, 0], cy - h * scale / 2 + pull[1, 1]),
           (cx + w * scale / 2 + pull[2, 0], cy + h * scale / 2 + pull[2, 1]),
           (cx - w * scale / 2 + pull[3, 0], cy + h * scale / 2 + pull[3, 1])]
    coeffs = _perspective([(0, 0), (w, 0), (w, h), (0, h)], dst)
    grey = np.asarray(img.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                                    fillcolor=0), np.float32)
    inside = np.asarray(Image.new("L", (w, h), 255).transform(size, Image.Transform.PERSPECTIVE, coeffs,
                                                              fillcolor=0), np.float32) / 255
    return grey, inside


def _phone_capture(grey: np.ndarray, rng, cast: float, noise: tuple[float, float],
                   blur: tuple[float, float]) -> bytes:
    """A scene's grey light as a phone saves it: a colour cast (up to `cast` per channel, 7 times
    in 10), sensor noise, a little blur, sometimes greyscale, JPEG at quality 55-91."""
    height, width = grey.shape
    tint = np.array([1.0, 1.0, 1.0]) + rng.uniform(-cast, cast, 3) * (rng.random() < 0.7)
    rgb = np.clip(grey[..., None] * tint + rng.normal(0, rng.uniform(*noise), (height, width, 3)), 0, 255)
    img = Image.fromarray(rgb.astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(*blur)))
    if rng.random() < 0.3:
        img = ImageOps.grayscale(img)
    return _jpeg(img, rng.integers(55, 92))


def screen_photo(xray: np.ndarray, rng) -> bytes:
    """A viewer window (dark frame, a grey side panel with text lines) photographed at a slant."""
    side = int(rng.integers(360, 520))
    panel = int(side * rng.uniform(0.2, 0.45))
    viewer = Image.new("L", (side + panel + 24, side + 40), int(rng.integers(0, 35)))
    viewer.paste(Image.fromarray(xray).resize((side, side)), (12, 28))
    draw = ImageDraw.Draw(viewer)
    draw.rectangle((side + 18, 28, side + panel + 18, side + 28), fill=int(rng.integers(40, 90)))
    for line in range(int(rng.integers(4, 12))):
        y = 40 + line * 18
        draw.line((side + 26, y, side + 26 + int(rng.uniform(0.3, 0.9) * (panel - 16)), y),
                  fill=int(rng.integers(150, 230)), width=3)
    draw.rectangle((0, 0, viewer.width, 20), fill=int(rng.integers(60, 120)))
    width, height = (720, 960) if rng.random() < 0.5 else (960, 720)
    screen, inside = _slanted(viewer, (width, height), rng, scale_range=(0.55, 1.0), shift=0.04, tilt=0.12)
    desk = rng.uniform(60, 200) + rng.normal(0, 6, (height, width)).cumsum(axis=1) * 0.02
    grey = screen * inside + desk * (1 - inside)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    period = rng.uniform(2.2, 5.0)
    angle = rng.uniform(-0.3, 0.3)
    grid = np.cos(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    grey = grey * (1 + rng.uniform(0.04, 0.25) * grid * inside)
    grey += rng.uniform(0, 90) * np.exp(-((xx - rng.uniform(0, width)) ** 2 + (yy - rng.uniform(0, height)) ** 2)
                                        / (2 * (rng.uniform(0.08, 0.3) * width) ** 2))
    return _phone_capture(grey, rng, cast=0.15, noise=(2, 8), blur=(0, 1.5))


def partial_view(xray: np.ndarray, rng) -> bytes:
    """A part of the X-ray that cannot show both lungs whole."""
    h, w = xray.shape
    kind = int(rng.integers(0, 5))
    if kind == 0:  # one side
        frac = rng.uniform(0.3, 0.5)
        box = (0, 0, int(frac * w), h) if rng.random() < 0.5 else (int((1 - frac) * w), 0, w, h)
    elif kind == 1:  # top or bottom
        frac = rng.uniform(0.3, 0.5)
        box = (0, 0, w, int(frac * h)) if rng.random() < 0.5 else (0, int((1 - frac) * h), w, h)
    elif kind == 2:  # a small window anywhere
        frac = rng.uniform(0.2, 0.45)
        x0, y0 = rng.uniform(0, 1 - frac, 2)
        box = (int(x0 * w), int(y0 * h), int((x0 + frac) * w), int((y0 + frac) * h))
    elif kind == 3:  # a narrow vertical strip through the middle
        frac = rng.uniform(0.2, 0.35)
        x0 = rng.uniform(0.5 - frac, 0.5)
        box = (int(x0 * w), 0, int((x0 + frac) * w), h)
    else:  # a corner
        frac = rng.uniform(0.35, 0.55)
        x0 = 0 if rng.random() < 0.5 else 1 - frac
        y0 = 0 if rng.random() < 0.5 else 1 - frac
        box = (int(x0 * w), int(y0 * h), int((x0 + frac) * w), int((y0 + frac) * h))
    crop = Image.fromarray(xray).crop(box)
    if min(crop.size) < 96:  # a phone would show it larger
        crop = crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.BICUBIC)
    return png_bytes(crop) if rng.random() < 0.5 else _jpeg(crop, rng.integers(70, 95))


def degraded(xray: np.ndarray, rng) -> bytes:
    """The X-ray processed until it no longer shows the chest."""
    img = Image.fromarray(xray)
    kind = int(rng.integers(0, 6))
    if kind == 0:
        img = ImageOps.posterize(img, int(rng.integers(1, 3)))
    elif kind == 1:
        block = int(rng.integers(12, 32))
        small = img.resize((max(2, img.width // block), max(2, img.height // block)), Image.Resampling.BOX)
        img = small.resize(img.size, Image.Resampling.NEAREST)
    elif kind == 2:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(8, 20)))
    elif kind == 3:
        img = ImageOps.autocontrast(img.filter(ImageFilter.FIND_EDGES))
    elif kind == 4:
        img = ImageOps.solarize(img, int(rng.integers(60, 160)))
    else:
        arr = np.asarray(img, np.float32) * rng.uniform(0.1, 0.4) + rng.normal(128, 70, xray.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return png_bytes(img)


def film_photo(xray: np.ndarray, rng) -> bytes:
    """A film on a lit lightbox, photographed: the backlight glows around the film (brightest at
    its centre, falling off to the panel's edges), hanger clips bite the film's top edge, the
    photo is slanted, and glare lies across the film. Unlike a screen there is no pixel grid."""
    film = Image.fromarray(xray)
    margin = int(min(film.size) * rng.uniform(0.02, 0.08))  # unexposed film edge: dark
    framed = Image.new("L", (film.width + 2 * margin, film.height + 2 * margin), int(rng.integers(5, 40)))
    framed.paste(film, (margin, margin))
    draw = ImageDraw.Draw(framed)
    for k in range(int(rng.integers(0, 3))):  # hanger clips: dark blocks over the top edge
        x = int(framed.width * (0.25 + 0.5 * k + rng.normal(0, 0.05)))
        draw.rectangle((x - 12, 0, x + 12, int(rng.integers(18, 40))), fill=int(rng.integers(0, 30)))
    width, height = (720, 960) if rng.random() < 0.6 else (960, 720)
    grey, inside = _slanted(framed, (width, height), rng, scale_range=(0.6, 0.95), shift=0.05, tilt=0.08)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    glow = np.exp(-((xx - width * rng.uniform(0.35, 0.65)) ** 2 + (yy - height * rng.uniform(0.35, 0.65)) ** 2)
                  / (2 * (rng.uniform(0.4, 0.8) * max(width, height)) ** 2))
    panel = rng.uniform(170, 250) * (0.6 + 0.4 * glow)
    # Against the light a film shows the image itself (lungs dark, bones bright), lit unevenly.
    grey = grey * (0.55 + 0.45 * glow) * inside + panel * (1 - inside)
    grey += rng.uniform(20, 110) * np.exp(-((xx * np.cos(0.6) + yy * np.sin(0.6) - rng.uniform(0, width)) ** 2)
                                          / (2 * (rng.uniform(0.03, 0.12) * width) ** 2))
    return _phone_capture(grey, rng, cast=0.12, noise=(2, 7), blur=(0.3, 1.8))


def collage(xray: np.ndarray, rng) -> bytes:
    """Two to four tiles on a dark page (a viewer's comparison layout, a slide): the X-ray, its
    mirror or parts of it at other zooms, each with a caption line, saved as a screenshot."""
    tiles = int(rng.integers(2, 5))
    columns = 2 if tiles == 4 or rng.random() < 0.7 else tiles
    rows = int(np.ceil(tiles / columns))
    cell = int(rng.integers(220, 360))
    gutter = int(rng.integers(6, 30))
    page = Image.new("L", (columns * (cell + gutter) + gutter, rows * (cell + gutter + 24) + gutter),
                     int(rng.integers(0, 60)))
    draw = ImageDraw.Draw(page)
    h, w = xray.shape
    for t in range(tiles):
        img = Image.fromarray(xray)
        kind = int(rng.integers(0, 3))
        if kind == 1:
            img = ImageOps.mirror(img)
        elif kind == 2:  # a zoomed part
            frac = rng.uniform(0.4, 0.7)
            x0, y0 = rng.uniform(0, 1 - frac, 2)
            img = img.crop((int(x0 * w), int(y0 * h), int((x0 + frac) * w), int((y0 + frac) * h)))
        img.thumbnail((cell, cell))
        x = gutter + (t % columns) * (cell + gutter) + (cell - img.width) // 2
        y = gutter + (t // columns) * (cell + gutter + 24)
        page.paste(img, (x, y + (cell - img.height) // 2))
        draw.line((x, y + cell + 12, x + int(cell * rng.uniform(0.3, 0.8)), y + cell + 12),
                  fill=int(rng.integers(160, 255)), width=4)
    return png_bytes(page) if rng.random() < 0.6 else _jpeg(page, rng.integers(70, 95))


def _surface(width: int, height: int, rng) -> np.ndarray:
    """What a sheet lies on, grey levels: wood grain, a creased cloth, or a plain top darkening
    towards the edges."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(25, 150)
    kind = int(rng.integers(0, 3))
    if kind == 0:  # wood: wavy grain lines along one axis
        along, across = (xx, yy) if rng.random() < 0.5 else (yy, xx)
        wobble = 6 * np.sin(along / rng.uniform(40, 120)) + rng.normal(0, 1, (height, width)).cumsum(axis=1) * 0.05
        return base + rng.uniform(6, 22) * np.sin(2 * np.pi * (across + wobble) / rng.uniform(8, 30))
    if kind == 1:  # cloth: soft folds and weave noise
        folds = np.sin(xx / rng.uniform(50, 150) + yy / rng.uniform(60, 200)) * rng.uniform(8, 30)
        return base + folds + rng.normal(0, rng.uniform(2, 6), (height, width))
    vignette = ((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2)
    return base * (1 - rng.uniform(0.2, 0.6) * vignette)


def table_photo(xray: np.ndarray, rng) -> bytes:
    """A printed film or paper copy lying on a table (or bed), photographed from above with no
    light behind it: a textured surface around a slanted sheet, the sheet dimmer and flatter than
    on a lightbox, the lamp or a window mirrored on it, sometimes a shadow across and a print
    screen beating with the camera; a third trimmed to the sheet before upload."""
    sheet = Image.fromarray(xray)
    if rng.random() < 0.5:  # a paper print's white margin; else the film's dark edge
        margin, tone = int(min(sheet.size) * rng.uniform(0.03, 0.1)), int(rng.integers(200, 250))
    else:
        margin, tone = int(min(sheet.size) * rng.uniform(0.0, 0.05)), int(rng.integers(5, 40))
    framed = Image.new("L", (sheet.width + 2 * margin, sheet.height + 2 * margin), tone)
    framed.paste(sheet, (margin, margin))
    width, height = (720, 960) if rng.random() < 0.6 else (960, 720)
    grey, inside = _slanted(framed, (width, height), rng, scale_range=(0.55, 0.98), shift=0.05, tilt=0.14)
    grey = grey * rng.uniform(0.55, 1.0) + rng.uniform(0, 45)  # reflected light: dimmer, flatter
    grey = grey * inside + _surface(width, height, rng) * (1 - inside)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if rng.random() < 0.3:  # a printer's screen beating with the camera's pixels
        period = rng.uniform(3, 6)
        grey *= 1 + rng.uniform(0.03, 0.12) * np.cos(2 * np.pi * xx / period) * np.cos(2 * np.pi * yy / period) * inside
    for _ in range(int(rng.integers(1, 3))):  # the lamp's reflection: a tilted bright ellipse
        angle = rng.uniform(0, np.pi)
        dx, dy = xx - rng.uniform(0.15, 0.85) * width, yy - rng.uniform(0.15, 0.85) * height
        u, v = dx * np.cos(angle) + dy * np.sin(angle), dy * np.cos(angle) - dx * np.sin(angle)
        spread = rng.uniform(0.04, 0.2) * width
        grey += rng.uniform(60, 220) * np.exp(-(u / spread) ** 2 - (v / (spread * rng.uniform(0.4, 1.5))) ** 2)
    if rng.random() < 0.4:  # a phone's or hand's shadow: a soft-edged darker half
        angle = rng.uniform(0, 2 * np.pi)
        edge = (xx - width / 2) * np.cos(angle) + (yy - height / 2) * np.sin(angle) - rng.uniform(-0.3, 0.3) * width
        grey *= 1 - rng.uniform(0.15, 0.5) / (1 + np.exp(-edge / rng.uniform(10, 60)))
    if rng.random() < 0.33:
        rows, columns = np.nonzero(inside > 0.5)
        grey = grey[rows.min():rows.max() + 1, columns.min():columns.max() + 1]
    return _phone_capture(grey, rng, cast=0.2, noise=(2, 7), blur=(0.3, 1.5))


XRAY_FAMILIES: dict[str, Callable[[np.ndarray, np.random.Generator], bytes]] = {
    "screen_photo": screen_photo,
    "partial_view": partial_view,
    "degraded": degraded,
    # Added 2026-12-03, after the three above: their pictures (drawn first) are unchanged.
    "film_photo": film_photo,
    "collage": collage,
    # Added 2026-12-06 (an audit's phone photos of films on a dark table were read): last, so the
    # families above draw the same pictures as before.
    "table_photo": table_photo,
}


def build_hard_negatives(xrays: Sequence[np.ndarray], per_family: int = 300, seed: int = 0
                         ) -> list[HardNegative]:
    """`per_family` pictures of every X-ray family (cycling through `xrays`, 8-bit grey arrays of
    fitting X-rays only), plus every picture of `cxr.data.negatives` as family "pictures"."""
    rng = np.random.default_rng(seed)
    items = []
    for family, make in XRAY_FAMILIES.items():
        for k in range(per_family):
            items.append(HardNegative(family, f"{family}{k}", make(xrays[k % len(xrays)], rng)))
    items += [HardNegative("pictures", n.name, n.data) for n in build_negative_set(seed)]
    return items
