"""A second non-X-ray set, from other pictures than cxr.data.negatives: the OOD studies check on
it that a guard chosen while looking at the first set is not tuned to it. Evaluation only: nothing
is fitted or thresholded on it."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def build_holdout_negatives() -> list:
    """A second non-X-ray set from base images and generators that cxr.data.negatives does not use
    (a face, a motorcycle, Grace Hopper, an MRI slice, a retina close-up, elevation maps,
    matplotlib charts, pink noise, cell patterns): it checks that a candidate picked while
    looking at the first set is not tuned to it. Evaluation only, like the first set."""
    import gzip
    import os

    import matplotlib
    import skimage.data
    from PIL import Image

    from cxr.data.negatives import NegativeImage, _variants, to_rgb
    from cxr.inference.rendering import png_bytes

    rng = np.random.default_rng(1)
    sample_dir = Path(os.path.dirname(matplotlib.__file__)) / "mpl-data" / "sample_data"
    with gzip.open(sample_dir / "s1045.ima.gz") as mri_file:
        mri = np.frombuffer(mri_file.read(), np.uint16).reshape(256, 256)
    bases = {
        "holdout:face": ("photo", skimage.data.lfw_subset()[0]),
        "holdout:motorcycle": ("photo", skimage.data.stereo_motorcycle()[0]),
        "holdout:grace_hopper": ("photo", np.asarray(Image.open(sample_dir / "grace_hopper.jpg"))),
        "holdout:mri": ("scientific", mri),
        "holdout:microaneurysms": ("scientific", skimage.data.microaneurysms()),
        "holdout:dem": ("scientific", np.load(sample_dir / "jacksboro_fault_dem.npz")["elevation"]),
        "holdout:topobathy": ("scientific", np.load(sample_dir / "topobathy.npz")["topo"]),
    }
    items = []
    for base, (kind, arr) in bases.items():
        rgb = np.asarray(Image.fromarray(to_rgb(arr)).resize((256, 256))) if min(arr.shape[:2]) < 128 else to_rgb(arr)
        items.extend(_variants(base, kind, rgb, rng))
    for k, chart in enumerate(_charts(rng)):
        items.append(NegativeImage(f"holdout:chart{k}", "document", "holdout:charts", png_bytes(chart)))
    size = 384
    for k in range(4):  # pink (1/f) noise: smooth, blotchy, full of grey levels
        spectrum = np.fft.fft2(rng.normal(size=(size, size)))
        frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size))) + 1.0 / size
        field = np.real(np.fft.ifft2(spectrum / frequency ** (1.0 + 0.25 * k)))
        grey = Image.fromarray(to_rgb(field)[..., 0])
        items.append(NegativeImage(f"holdout:pink-noise{k}", "synthetic", "synthetic", png_bytes(grey)))
    for k in range(4):  # cells: distance to the nearest of scattered points (a Voronoi pattern)
        points = rng.random((20 + 20 * k, 2)) * size
        yy, xx = np.mgrid[0:size, 0:size]
        distance = np.min(np.hypot(yy[..., None] - points[:, 0], xx[..., None] - points[:, 1]), axis=2)
        grey = Image.fromarray(to_rgb(distance)[..., 0])
        items.append(NegativeImage(f"holdout:cells{k}", "synthetic", "synthetic", png_bytes(grey)))
    return items


def _charts(rng) -> list:
    """Line, bar and scatter charts rendered with matplotlib (documents a user might upload)."""
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    charts = []
    for k in range(4):
        fig = Figure(figsize=(5, 4))
        ax = fig.subplots()
        x = np.arange(30)
        [ax.plot, ax.bar, ax.scatter, ax.step][k](x, np.cumsum(rng.normal(size=30)))
        ax.set_title(f"Weekly cases, district {k + 1}")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        charts.append(Image.open(io.BytesIO(buffer.getvalue())).convert("L" if k % 2 else "RGB"))
    return charts
