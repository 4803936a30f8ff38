"""Full-resolution cues of a phone photo of a film: a periodic beat and a lamp's highlight.

The verifier (cxr.inference.guard.verifier) sees a 16 x 16 thumbnail and the network's pooled
features; a grey photo of a film lying on a table keeps an X-ray's layout there. What such a photo
has that an X-ray file has not lies at full resolution:

- `beat_score`: a printer's screen or a monitor's pixels beating with the camera's leave narrow
  peaks in the spectrum of the picture's fine detail, on a two-dimensional lattice at whatever
  angle the sheet happened to lie. X-rays carry periodic patterns too, but on the axes
  (anti-scatter grid lines, a few degrees off at most), on JPEG's 8-pixel block grid, and in one
  direction only (lines); those frequencies are left out and a second direction is required.
  Peaks are read as ratios of the averaged tile spectrum to the median of its ring (the same
  spatial frequency at all angles).
- `highlight_score`: a lamp mirrored on a glossy sheet burns out to white in its middle and fades
  smoothly outwards on every side, whatever lies beneath. Around each burnt-out patch, the
  brightness of rings at growing distances (in units of the patch's radius) is read in eight
  sectors; a label, marker or burnt film edge drops at once, burnt anatomy not on every side.

numpy and scipy only.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

TILE = 64  # px; a beat of period 3-16 px shows as a peak 4-21 bins from the centre
MIN_RADIUS = 4  # bins; periods over 16 px are anatomy, not a beat
AXIS_DEGREES = 12  # grid lines of a film turned a little on the detector stay this near an axis
LATTICE_DEGREES = 30  # a screen's second direction lies at least this far from its first
BURNT = 250  # grey level taken as burnt out


def _excluded(tile: int = TILE) -> np.ndarray:
    """Frequencies (fftshifted, tile x tile) the beat score ignores: near DC, the axes, and the
    8-pixel block grid's lines, each with one bin either side."""
    f = np.arange(tile) - tile // 2
    fy, fx = np.meshgrid(f, f, indexing="ij")
    radius = np.hypot(fx, fy)
    block = tile // 8

    def near_grid(v: np.ndarray) -> np.ndarray:
        return np.abs((v + block // 2) % block - block // 2) <= 1

    angle = np.degrees(np.arctan2(np.abs(fy), np.abs(fx)))
    near_axis = (angle < AXIS_DEGREES) | (angle > 90 - AXIS_DEGREES)
    return (radius < MIN_RADIUS) | (radius > tile // 2) | near_axis | near_grid(fx) | near_grid(fy)


def tile_spectrum(gray: np.ndarray, tile: int = TILE) -> np.ndarray | None:
    """Mean power spectrum (fftshifted) of half-overlapping Hann-windowed tiles that carry detail
    and are not burnt out or black; None when the picture has none."""
    g = np.asarray(gray, np.float64)
    h, w = g.shape
    if min(h, w) < tile:
        return None
    window = np.outer(np.hanning(tile), np.hanning(tile))
    step = tile // 2
    tiles = []
    for y in range(0, h - tile + 1, step):
        for x in range(0, w - tile + 1, step):
            t = g[y:y + tile, x:x + tile]
            if (t >= BURNT).mean() > 0.05 or (t <= 5).mean() > 0.05 or t.std() < 2:
                continue
            tiles.append((t - t.mean()) * window)
    if not tiles:
        return None
    power = np.zeros((tile, tile))
    for start in range(0, len(tiles), 256):
        power += (np.abs(np.fft.fft2(np.stack(tiles[start:start + 256]))) ** 2).sum(axis=0)
    return np.fft.fftshift(power / len(tiles))


def peak_ratios(gray: np.ndarray, tile: int = TILE) -> np.ndarray | None:
    """The tile spectrum divided by its ring's median (same spatial frequency, all angles), 0 at
    the frequencies `_excluded` leaves out; None when no tile carries detail."""
    power = tile_spectrum(gray, tile)
    if power is None:
        return None
    f = np.arange(tile) - tile // 2
    fy, fx = np.meshgrid(f, f, indexing="ij")
    ring = np.rint(np.hypot(fx, fy)).astype(int)
    ratios = np.zeros_like(power)
    for r in range(MIN_RADIUS, tile // 2 + 1):
        on_ring = ring == r
        typical = np.median(power[on_ring])
        if typical > 0:
            ratios[on_ring] = power[on_ring] / typical
    ratios[_excluded(tile)] = 0.0
    return ratios


def beat_score(gray: np.ndarray, tile: int = TILE) -> float:
    """How strongly the fine detail repeats on a two-dimensional lattice, as a printer's screen, a
    monitor's pixels or their beat with a camera's sensor do: the peak ratio of the highest peak
    lying at least `LATTICE_DEGREES` in direction away from the highest of all (never above that
    one). Real X-rays score about 2, their sources' 99th percentiles 3-7. A grid's lines repeat in
    one direction only, so they give one peak and a low score."""
    ratios = peak_ratios(gray, tile)
    if ratios is None:
        return 0.0
    f = np.arange(tile) - tile // 2
    fy, fx = np.meshgrid(f, f, indexing="ij")
    direction = np.degrees(np.arctan2(fy, fx)) % 180
    top = int(np.argmax(ratios))
    apart = np.abs((direction - direction.flat[top] + 90) % 180 - 90) >= LATTICE_DEGREES
    return float(min(ratios.flat[top], ratios[apart].max()))


RINGS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0)  # outer edges of the rings, in patch radii
SECTORS = 8
NEAR_WHITE = 195  # a ring whose median is at least this is still in the halo


def highlight_score(gray: np.ndarray, side: int = 512, min_share: float = 0.002) -> float:
    """How far out a burnt-out patch's halo reaches in every direction, in patch radii (0 when no
    patch qualifies): the rings around the patch are cut into 8 sectors, each sector's reach is the
    last ring whose median stays near white, and the patch's score is its shortest reach. A lamp's
    reflection fades out alike on all sides; a burnt label or film edge drops at once, and burnt
    anatomy (spine, shoulder, a bright mediastinum) stays bright along the bone but not across it.

    Read on a copy whose longer side is at most `side` px so a patch's size means the same at any
    resolution; patches under `min_share` of the picture or touching its border are skipped; the
    five largest are scored and the best kept.
    """
    img = np.asarray(gray)
    h, w = img.shape
    scale = side / max(h, w)
    if scale < 1:
        from PIL import Image

        img = np.asarray(Image.fromarray(img).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                                     Image.Resampling.BOX))
    g = img.astype(np.float64)
    labels, n = ndimage.label(g >= BURNT)
    if n == 0:
        return 0.0
    sizes = ndimage.sum_labels(np.ones_like(g), labels, index=np.arange(1, n + 1))
    border = set(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]).tolist())
    yy, xx = np.mgrid[0:g.shape[0], 0:g.shape[1]]
    best = 0.0
    for k in np.argsort(sizes)[::-1][:5]:
        label = int(k) + 1
        if sizes[k] < min_share * g.size or label in border:
            continue
        patch = labels == label
        radius = np.sqrt(sizes[k] / np.pi)
        distance = ndimage.distance_transform_edt(~patch) / radius
        cy, cx = yy[patch].mean(), xx[patch].mean()
        sector = ((np.arctan2(yy - cy, xx - cx) + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
        reaches = []
        for s in range(SECTORS):
            inner, reach = 0.0, 0.0
            for outer in RINGS:
                ring = (distance > inner) & (distance <= outer) & (sector == s) & ~patch
                if ring.sum() < 5 or float(np.median(g[ring])) < NEAR_WHITE:
                    break
                reach = inner = outer
            reaches.append(reach)
        best = max(best, min(reaches))
    return best
